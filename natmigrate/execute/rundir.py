"""The run directory: everything needed to understand, resume or roll back a run, on disk.

Layout (directory 0700, files 0600)::

    run.json                 what is being migrated, how to reach it, the options, the status
    plan.json                the plan being executed
    backups/<type>-<name>.json  every resource as read before the first change (secrets redacted)
    ports-before.json        the v1 port mapping before the change
    journal.jsonl            one line per step event, appended and flushed as it happens
    ports.json, ports.csv    the port mapping after the change (old -> new)
    simulator-state.json     simulated runs only: the simulated Azure, saved after every write

Nothing written here may contain a secret: bodies pass through :func:`redact` first.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import getpass
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from natmigrate.errors import NatMigrateError

RUN_FORMAT_VERSION = 1
REDACTED = "<redacted by natmigrate>"

# Keys whose values may hold secrets anywhere in a resource body (compared case-insensitively).
SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "adminPassword",
        "customData",
        "userData",
        "protectedSettings",
        "protectedSettingsFromKeyVault",
        "secrets",
        "password",
        "clientSecret",
        "sasToken",
        "storageAccountKey",
        "primaryKey",
        "secondaryKey",
    )
)


class RunDirError(NatMigrateError):
    """The run directory is missing, unreadable or not a natmigrate run."""


class RunLockedError(NatMigrateError):
    """Another natmigrate process is working on the same load balancer."""


def redact(value: Any) -> Any:
    """A deep copy of ``value`` with every secret-bearing key's value replaced (structure kept)."""
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if str(k).lower() in SECRET_KEYS and v not in (None, "", [], {}) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` atomically to a 0600 file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:120] or "resource"


@dataclass
class RunDir:
    """An open run directory."""

    path: Path

    # Creation and opening -------------------------------------------------------------------

    @classmethod
    def create(cls, state_dir: str | os.PathLike[str], lb_name: str) -> RunDir:
        """A new run directory under ``state_dir`` named after the time and the load balancer."""
        base = Path(state_dir).resolve()
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        for n in range(1000):
            suffix = "" if n == 0 else f"-{n}"
            path = base / f"{stamp}-{_safe_name(lb_name)}{suffix}"
            try:
                path.mkdir(mode=0o700)
            except FileExistsError:
                continue
            os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
            (path / "backups").mkdir(mode=0o700)
            return cls(path)
        raise RunDirError(f"{base}: cannot create a run directory")

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> RunDir:
        """An existing run directory; a one-line error when it is not one."""
        p = Path(path)
        if not (p / "run.json").is_file():
            raise RunDirError(f"{p}: not a natmigrate run directory (no run.json)")
        return cls(p)

    def discard(self) -> None:
        """Remove a run directory whose run never started (nothing in it is worth keeping)."""
        shutil.rmtree(self.path, ignore_errors=True)

    # Files -----------------------------------------------------------------------------------

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as JSON to ``name`` (relative), privately and atomically."""
        target = self.path / name
        _write_private(target, json.dumps(data, indent=2, sort_keys=False) + "\n")
        return target

    def read_json(self, name: str) -> Any:
        """Read a JSON file of the run; a one-line error when missing or broken."""
        target = self.path / name
        try:
            return json.loads(target.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunDirError(f"{target}: missing") from None
        except (OSError, ValueError) as exc:
            raise RunDirError(f"{target}: cannot read: {exc}") from None

    def has(self, name: str) -> bool:
        """True when the run has the file ``name``."""
        return (self.path / name).is_file()

    @property
    def meta(self) -> dict[str, Any]:
        """The contents of ``run.json``."""
        data = self.read_json("run.json")
        if not isinstance(data, dict) or data.get("format_version") != RUN_FORMAT_VERSION:
            raise RunDirError(f"{self.path / 'run.json'}: not a run of this natmigrate version")
        return data

    def update_meta(self, **changes: Any) -> None:
        """Merge ``changes`` into ``run.json``."""
        data = self.meta if self.has("run.json") else {"format_version": RUN_FORMAT_VERSION}
        data.update(changes)
        self.write_json("run.json", data)

    # Backups ---------------------------------------------------------------------------------

    def backup_name(self, resource_id: str) -> str:
        """The backup file name of a resource (stable, readable, collision-free)."""
        parts = resource_id.rstrip("/").split("/")
        kind = parts[-2] if len(parts) >= 2 else "resource"
        digest = hashlib.sha256(resource_id.lower().encode()).hexdigest()[:8]
        return f"backups/{_safe_name(kind)}-{_safe_name(parts[-1])}-{digest}.json"

    def save_backup(self, body: Mapping[str, Any]) -> None:
        """Back up a resource body as read before any change; never overwrites an existing backup."""
        rid = str(body.get("id") or "")
        name = self.backup_name(rid)
        if self.has(name):
            return
        self.write_json(name, redact(body))

    def backup(self, resource_id: str) -> dict[str, Any]:
        """The backed-up body of a resource."""
        data = self.read_json(self.backup_name(resource_id))
        if not isinstance(data, dict):
            raise RunDirError(f"{self.path / self.backup_name(resource_id)}: not a resource body")
        return data

    # Journal ---------------------------------------------------------------------------------

    def journal(self, event: str, step: str, **fields: Any) -> None:
        """Append one event to ``journal.jsonl`` and flush it to disk before returning."""
        record = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")}
        record.update({"event": event, "step": step})
        record.update(redact(fields))
        target = self.path / "journal.jsonl"
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(record, sort_keys=False) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def journal_entries(self) -> list[dict[str, Any]]:
        """Every journal event so far (a torn last line from a kill is skipped)."""
        target = self.path / "journal.jsonl"
        if not target.exists():
            return []
        out = []
        for line in target.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict):
                out.append(item)
        return out

    # Ports -----------------------------------------------------------------------------------

    def write_ports(self, rows: list[dict[str, Any]]) -> None:
        """``ports.json`` and ``ports.csv``: one row per target, old and new frontend ports."""
        self.write_json("ports.json", rows)
        buf = io.StringIO()
        columns = ["target", "rule", "protocol", "backend_port", "old", "new", "predicted", "status"]
        writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
        _write_private(self.path / "ports.csv", buf.getvalue())


# Locks -------------------------------------------------------------------------------------------


def lock_dir() -> Path:
    """Where locks live: ``NATMIGRATE_LOCK_DIR``, else a private per-user temporary directory."""
    env = os.environ.get("NATMIGRATE_LOCK_DIR")
    user = os.getuid() if hasattr(os, "getuid") else getpass.getuser()
    base = Path(env) if env else Path(tempfile.gettempdir()) / f"natmigrate-{user}" / "locks"
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return base


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def run_lock(key: str, description: str) -> Iterator[None]:
    """Hold the machine-wide lock for ``key`` (a load balancer); refuse when a live process holds it.

    A lock left behind by a killed process (its pid is gone) is taken over.
    """
    path = lock_dir() / (hashlib.sha256(key.lower().encode()).hexdigest()[:32] + ".lock")
    payload = json.dumps({"pid": os.getpid(), "what": description}).encode()
    for _ in range(3):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8"))
                pid = int(holder.get("pid", 0))
            except (OSError, ValueError, TypeError, AttributeError):
                pid = 0
            if _pid_alive(pid) and pid != os.getpid():
                raise RunLockedError(
                    f"another natmigrate process (pid {pid}) is working on {description}; "
                    f"wait for it to finish (lock file {path})"
                ) from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        try:
            os.write(fd, payload)
        finally:
            os.close(fd)
        break
    else:
        raise RunLockedError(f"cannot take the lock for {description} ({path})")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
