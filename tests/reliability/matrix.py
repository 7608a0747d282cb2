"""The fault matrix: every write of a clean migration x every fault kind, then ``resume`` / ``rollback``.

How one scenario runs:

1. A clean ``migrate --simulate`` of the topology gives the list of writes (method + path, in the
   order the simulator received them) and the clean final state.
2. ``migrate`` again from the same seed, with the fault injected at exactly the i-th write (its
   method, its exact path, and which occurrence of that method+path it is, so parallel steps that
   interleave differently do not move the fault).
3. The run directory is copied; faults are cleared from both saved simulator states (the outage is
   over); ``resume`` runs on one copy, ``rollback`` on the other.
4. States are compared on writable properties only (:func:`picture`): no etags, provisioning states,
   read-only back-references or rules Azure generates from NAT pools.

"Equal to a clean run's final state" when a foreign change was made (fault kind ``412-foreign``):
someone else adds a tag to the resource just before natmigrate's write. The expected state is the
clean run's (or, for rollback, the original) with that tag added; the tag must survive, i.e.
natmigrate must neither clobber nor undo another client's change.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest
from execute import topologies as t
from execute.helpers import add_faults, cli, cli_process

from natmigrate.azure import rehearsal
from natmigrate.azure.clients import Connection
from natmigrate.azure.credential import SimulatorCredential
from natmigrate.azure.gateway import SdkGateway
from natmigrate.execute.transforms import differences, normalized, unchanged
from natmigrate.simulator import Simulator

KINDS = ("500", "429-storm", "lro-failed", "409", "drop", "crash", "412-foreign")
PERSISTENT = 25  # a "persistent" 500: more consecutive failures than every retry layer together
STORM = 3  # consecutive 429s with Retry-After
FOREIGN_TAG = "changed-by-someone-else"
# Faults that must stop the run (exit code), so that the scenario really exercises resume/rollback.
_MUST_STOP = {"500": 1, "lro-failed": 1, "crash": 137}
_NAT_KEYS = {
    "inboundNatPools",
    "inboundNatRules",
    "backendAddressPools",
    "networkProfile",
    "upgradePolicy",
    "loadBalancerBackendAddressPools",
    "loadBalancerInboundNatRules",
    "loadBalancerInboundNatPools",
}


@dataclass(frozen=True)
class Write:
    """One write request of a clean run, and which occurrence of its method+path it is."""

    index: int
    method: str
    path: str
    occurrence: int

    @property
    def glob(self) -> str:
        """The exact path as a fault pattern (glob characters escaped)."""
        return "".join(f"[{c}]" if c in "*?[" else c for c in self.path)

    @property
    def resource(self) -> str:
        """The resource the write is about (an action's path without the action)."""
        path = self.path
        return path.rsplit("/", 1)[0] if self.method == "POST" else path

    def short(self) -> str:
        """``PUT loadBalancers/lb#1`` for messages."""
        parts = self.path.split("/")
        return f"{self.method} {'/'.join(parts[7:])}#{self.occurrence}"


@dataclass
class Outcome:
    """What one scenario did and found."""

    topology: str
    kind: str
    write: str
    migrate_exit: int  # exit code of the faulted command (migrate, or rollback in that phase)
    phase: str = "migrate"  # the command the fault hit: migrate, or rollback
    recovered: bool = False
    restored: bool = False
    unmapped_after_resume: int = 0
    unmapped_after_rollback: int = 0
    other_changed: int = 0
    traceback: bool = False
    problems: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)


@dataclass
class CleanRun:
    """A fault-free migration: its writes, its final picture, the original picture."""

    seed: Path
    run_dir: Path  # the clean run's directory (left migrated)
    writes: list[Write]
    rollback_writes: list[Write]
    final: dict[str, Any]
    original: dict[str, Any]
    mapped_targets: set[str]
    original_targets: set[str]
    migrate_args: tuple[str, ...] = ()


# ------------------------------------------------------------------------------ pictures


def _state(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def picture(state_file: Path) -> dict[str, Any]:
    """Every resource's writable properties and every instance's applied network model."""
    sim = Simulator.load_state(state_file)
    sim.settle()
    world = sim.state()["world"]
    out: dict[str, Any] = {}
    for key in sorted(world["resources"]):
        out[key] = normalized(sim.resource(key))
    for vmss, instances in sorted(world["instances"].items()):
        for iid, inst in sorted(instances.items()):
            out[f"{vmss}/virtualmachines/{iid}#applied"] = normalized(inst.get("applied"))
    return out


def mapped_targets(state_file: Path) -> set[str]:
    """Backend targets with an open NAT mapping interval at the end of the run."""
    timeline = _state(state_file)["world"]["timeline"]
    return {str(iv["target"]).lower() for iv in timeline if iv.get("end") is None}


def without_foreign_tag(pic: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The picture without the foreign tag, and how many resources carried it."""
    out: dict[str, Any] = {}
    found = 0
    for key, body in pic.items():
        tags = body.get("tags") if isinstance(body, dict) else None
        if isinstance(tags, dict) and FOREIGN_TAG in tags:
            found += 1
            body = dict(body)
            rest = {k: v for k, v in tags.items() if k != FOREIGN_TAG}
            if rest:
                body["tags"] = rest
            else:
                body.pop("tags")
        out[key] = body
    return out, found


def _other_parts(body: Any) -> Any:
    """A body without what a migration legitimately changes (NAT, pools, network model)."""
    if isinstance(body, dict):
        return {k: _other_parts(v) for k, v in body.items() if k not in _NAT_KEYS}
    if isinstance(body, list):
        return [_other_parts(v) for v in body]
    return body


def other_changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Resources whose non-NAT properties (rules, probes, frontends, OS profile...) differ."""
    return [
        key
        for key in sorted(set(before) | set(after))
        if not key.endswith("#applied") and _other_parts(before.get(key)) != _other_parts(after.get(key))
    ]


def diff_summary(want: dict[str, Any], got: dict[str, Any]) -> str:
    """The first few differing paths, for a readable failure."""
    out: list[str] = []
    for key in sorted(set(want) | set(got)):
        if want.get(key) != got.get(key):
            where = "/".join(key.split("/")[-2:])
            out += [f"{where}{d}" for d in differences(want.get(key), got.get(key))[:3]] or [where]
    return "; ".join(out[:6])


# ------------------------------------------------------------------------------ runs


@dataclass
class Seen:
    """What the simulators of this process's ``--simulate`` runs received."""

    requests: list[Any] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)


@contextlib.contextmanager
def capture_rehearsals() -> Iterator[Seen]:
    """Collect the request log and the bearer tokens of every ``--simulate`` run in this process."""
    seen = Seen()
    original_enter, original_exit = rehearsal.Rehearsal.__enter__, rehearsal.Rehearsal.__exit__
    earlier: dict[int, int] = {}  # the saved state carries the log of earlier commands: skip it

    def enter_and_mark(self: rehearsal.Rehearsal) -> rehearsal.Rehearsal:
        entered = original_enter(self)
        earlier[id(self)] = len(self.simulator.requests)
        return entered

    def exit_and_keep(self: rehearsal.Rehearsal, *exc: Any) -> None:
        if self.sim is not None:
            seen.requests.extend(self.sim.requests[earlier.get(id(self), 0) :])
            seen.tokens |= self.sim.token_seen
        original_exit(self, *exc)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(rehearsal.Rehearsal, "__enter__", enter_and_mark)
        mp.setattr(rehearsal.Rehearsal, "__exit__", exit_and_keep)
        yield seen


def _run_dir(stdout: str) -> Path:
    return Path(json.loads(stdout)["run_dir"])


def clean_run(topo: t.Topology, work: Path) -> CleanRun:
    """Migrate without faults; the writes it sent, in order, and the states before and after."""
    work.mkdir(parents=True, exist_ok=True)
    seed = topo.write(work / "seed.json")
    args = ["migrate", "--simulate", str(seed), "--yes", "-o", "json", "--state-dir", str(work / "clean")]
    with capture_rehearsals() as rehearsals:
        done = cli(*args, *topo.migrate_args)
    assert done.exit_code == 0, done.stderr
    run_dir = _run_dir(done.stdout)
    writes = _writes(rehearsals.requests)
    undone = work / "clean-rollback"
    shutil.copytree(run_dir, undone)
    with capture_rehearsals() as rehearsals:
        back = cli("rollback", str(undone), "-o", "json")
    assert back.exit_code == 0, back.stderr
    rollback_writes = _writes(rehearsals.requests)
    original_sim = Simulator(subscription_id=t.SUB)
    original_sim.seed(seed)
    original_file = work / "original-state.json"
    original_sim.dump_state(original_file)
    final_file = run_dir / rehearsal.FINAL_STATE_FILE
    return CleanRun(
        seed,
        run_dir,
        writes,
        rollback_writes,
        picture(final_file),
        picture(original_file),
        mapped_targets(final_file),
        mapped_targets(original_file),
        topo.migrate_args,
    )


def _writes(requests: list[Any]) -> list[Write]:
    seen: dict[tuple[str, str], int] = {}
    writes: list[Write] = []
    for record in requests:
        if record.write:
            key = (record.method, record.path.lower())
            seen[key] = seen.get(key, 0) + 1
            writes.append(Write(len(writes), record.method, record.path, seen[key]))
    return writes


def _clear_faults(run_dir: Path) -> None:
    state = run_dir / rehearsal.STATE_FILE
    sim = Simulator.load_state(state)
    sim.clear_faults()
    sim.dump_state(state)


def _fault_specs(kind: str, write: Write) -> list[str]:
    base = f"{write.method}:{write.glob}"
    if kind == "500":
        return [f"{base}:{write.occurrence + n}:500" for n in range(PERSISTENT)]
    if kind == "429-storm":
        return [f"{base}:{write.occurrence + n}:429" for n in range(STORM)]
    if kind in ("lro-failed", "409", "drop", "crash"):
        return [f"{base}:{write.occurrence}:{kind}"]
    return []


def _foreign_change(sim: Simulator, resource_id: str) -> None:
    """Another client adds a tag to the resource (with its own read and If-Match)."""
    conn = Connection(
        subscription=sim.subscription_id, endpoint=sim.endpoint, ca_bundle=sim.ca_file,
        polling_interval=0.0, retry_backoff_factor=0.0,
    )  # fmt: skip
    other = SdkGateway(conn, SimulatorCredential())
    kind = resource_id.lower()
    if "/virtualmachinescalesets/" in kind:
        body = other.get_scale_set(resource_id)
        tags = {**(body.get("tags") or {}), FOREIGN_TAG: "yes"}
        other.update_scale_set(resource_id, {"tags": tags}, body.get("etag"))
        return
    get: Callable[[str], Any]
    put: Callable[[str, Any, str | None], Any]
    if "/networkinterfaces/" in kind:
        get, put = other.get_network_interface, other.put_network_interface
    else:
        get, put = other.get_load_balancer, other.put_load_balancer
    body = unchanged(get(resource_id))  # each generated NAT rule once, as az sends it back
    body["tags"] = {**(body.get("tags") or {}), FOREIGN_TAG: "yes"}
    put(resource_id, body, body.get("etag"))


@contextlib.contextmanager
def foreign_change_before(write: Write) -> Iterator[dict[str, Any]]:
    """Just before the simulator handles ``write``, another client changes the same resource."""
    original = Simulator._match_fault
    state: dict[str, Any] = {"seen": 0, "busy": 0, "done": 0, "error": None}

    def hooked(self: Simulator, method: str, path: str) -> Any:
        if not state["busy"] and method.upper() == write.method and path.lower() == write.path.lower():
            state["seen"] += 1
            if state["seen"] == write.occurrence:
                state["busy"] = 1
                try:
                    _foreign_change(self, write.resource)
                    state["done"] = 1
                except Exception as exc:  # reported by the scenario, not lost in a server thread
                    state["error"] = f"{type(exc).__name__}: {exc}"
                finally:
                    state["busy"] = 0
        return original(self, method, path)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Simulator, "_match_fault", hooked)
        yield state


def _migrate(clean: CleanRun, kind: str, write: Write, runs: Path) -> tuple[int, str, Path]:
    args = ["migrate", "--simulate", str(clean.seed), "--yes", "-o", "json", "--state-dir", str(runs)]
    args += clean.migrate_args
    for spec in _fault_specs(kind, write):
        args += ["--simulate-fault", spec]
    if kind == "crash":
        proc = cli_process(*args)
        (run_dir,) = list(runs.iterdir())
        return proc.returncode, proc.stderr, run_dir
    if kind == "412-foreign":
        with foreign_change_before(write) as hook:
            done = cli(*args)
        assert hook["done"], f"the foreign change before {write.short()} failed: {hook['error']}"
    else:
        done = cli(*args)
    return done.exit_code, done.stderr, _run_dir(done.stdout)


def run_scenario(name: str, clean: CleanRun, kind: str, write: Write, work: Path) -> Outcome:
    """One fault at one write; then resume on one copy of the run and rollback on another."""
    runs = work / f"{kind}-{write.index}"
    code, stderr, run_dir = _migrate(clean, kind, write, runs)
    out = Outcome(name, kind, write.short(), code, traceback="Traceback" in stderr)
    if code not in (0, 1, 137):
        out.problems.append(f"migrate exited {code}: {stderr.strip()[-300:]}")
    if kind in _MUST_STOP and code != _MUST_STOP[kind]:
        # The fault did not take effect (or was silently ignored): the scenario would prove nothing.
        out.problems.append(f"migrate exited {code}, expected {_MUST_STOP[kind]} for {kind}")
    foreign = kind == "412-foreign"
    copy = run_dir.with_name(run_dir.name + "-rollback")
    shutil.copytree(run_dir, copy)
    for rd in (run_dir, copy):
        _clear_faults(rd)

    # resume (unless the run recovered on its own)
    if code != 0:
        resumed = cli("resume", str(run_dir), "-o", "json")
        out.traceback |= "Traceback" in resumed.stderr
        if resumed.exit_code != 0:
            out.problems.append(f"resume exited {resumed.exit_code}: {resumed.stderr.strip()[-300:]}")
    final_file = run_dir / rehearsal.FINAL_STATE_FILE
    got, tagged = without_foreign_tag(picture(final_file))
    out.unmapped_after_resume = len(clean.mapped_targets - mapped_targets(final_file))
    out.other_changed = len(other_changes(clean.original, got))
    if foreign and tagged != 1:
        out.problems.append(f"after resume the foreign tag is on {tagged} resources, not 1")
    if got == clean.final and not out.problems:
        out.recovered = True
    elif got != clean.final:
        out.problems.append(f"resume: state differs from a clean run: {diff_summary(clean.final, got)}")

    # rollback
    back = cli("rollback", str(copy), "-o", "json")
    out.traceback |= "Traceback" in back.stderr
    problems_before = len(out.problems)
    if back.exit_code != 0:
        out.problems.append(f"rollback exited {back.exit_code}: {back.stderr.strip()[-300:]}")
    back_file = copy / rehearsal.FINAL_STATE_FILE
    got_back, tagged_back = without_foreign_tag(picture(back_file))
    out.unmapped_after_rollback = len(clean.original_targets - mapped_targets(back_file))
    out.other_changed += len(other_changes(clean.original, got_back))
    if foreign and tagged_back != 1:
        out.problems.append(f"after rollback the foreign tag is on {tagged_back} resources, not 1")
    if got_back != clean.original:
        out.problems.append(
            f"rollback: state differs from the original: {diff_summary(clean.original, got_back)}"
        )
    out.restored = len(out.problems) == problems_before
    return out


def run_rollback_scenario(name: str, clean: CleanRun, kind: str, write: Write, work: Path) -> Outcome:
    """A migrated load balancer; one fault at one write of its rollback; then rollback again."""
    run_dir = work / f"rollback-{kind}-{write.index}" / clean.run_dir.name
    shutil.copytree(clean.run_dir, run_dir)
    add_faults(run_dir, _fault_specs(kind, write))
    args = ["rollback", str(run_dir), "-o", "json"]
    if kind == "crash":
        proc = cli_process(*args)
        code, stderr = proc.returncode, proc.stderr
    elif kind == "412-foreign":
        with foreign_change_before(write) as hook:
            done = cli(*args)
        assert hook["done"], f"the foreign change before {write.short()} failed: {hook['error']}"
        code, stderr = done.exit_code, done.stderr
    else:
        done = cli(*args)
        code, stderr = done.exit_code, done.stderr
    out = Outcome(name, kind, write.short(), code, phase="rollback", traceback="Traceback" in stderr)
    if code not in (0, 1, 137):
        out.problems.append(f"rollback exited {code}: {stderr.strip()[-300:]}")
    if kind in _MUST_STOP and code != _MUST_STOP[kind]:
        out.problems.append(f"rollback exited {code}, expected {_MUST_STOP[kind]} for {kind}")
    _clear_faults(run_dir)
    if code != 0:
        again = cli(*args)
        out.traceback |= "Traceback" in again.stderr
        if again.exit_code != 0:
            out.problems.append(f"second rollback exited {again.exit_code}: {again.stderr.strip()[-300:]}")
    final_file = run_dir / rehearsal.FINAL_STATE_FILE
    got, tagged = without_foreign_tag(picture(final_file))
    out.unmapped_after_rollback = len(clean.original_targets - mapped_targets(final_file))
    out.other_changed = len(other_changes(clean.original, got))
    if kind == "412-foreign" and tagged != 1:
        out.problems.append(f"after rollback the foreign tag is on {tagged} resources, not 1")
    if got != clean.original:
        out.problems.append(f"rollback: state differs from the original: {diff_summary(clean.original, got)}")
    out.restored = not out.problems
    return out


def scenarios(writes: list[Write], kinds: tuple[str, ...], sample: int | None) -> list[tuple[str, Write]]:
    """(kind, write) pairs: all of them, or a deterministic sample of ``sample`` per kind spread
    evenly over the writes (always including the first and the last write)."""
    out: list[tuple[str, Write]] = []
    n = len(writes)
    for kind in kinds:
        if sample is None or sample >= n:
            picked = list(range(n))
        else:
            picked = sorted({round(i * (n - 1) / max(sample - 1, 1)) for i in range(sample)})
        out += [(kind, writes[i]) for i in picked]
    return out
