"""What a run prints, read as an operator reads it: piped into a file, on a 60- and a 100-column
terminal, with NO_COLOR. Each test runs natmigrate in a child process (a real pipe) and parses what
it printed."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from natmigrate.cli.app import app

from . import topologies as t
from .helpers import FIXTURES, ROOT

SEED = FIXTURES / "scale-set-nat-pools.json"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
COMMANDS = sorted(c.name or "" for c in app.registered_commands)


def _run(*args: str, columns: int | None = None, terminal: bool = False) -> subprocess.CompletedProcess[str]:
    """natmigrate with stdout and stderr piped; ``terminal``: rich treats them as a terminal of
    ``columns`` columns (TTY_COMPATIBLE), as a person's shell would be."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "TTY_COMPATIBLE", "FORCE_COLOR")}
    env.update(NO_COLOR="1", NATMIGRATE_SIMULATE_LATENCY="realistic", NATMIGRATE_SIMULATE_SPEEDUP="10000")
    if columns is not None:
        env["COLUMNS"] = str(columns)
    if terminal:
        env["TTY_COMPATIBLE"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "natmigrate", *args], capture_output=True, text=True, env=env, timeout=180
    )
    return subprocess.CompletedProcess(done.args, done.returncode, ANSI.sub("", done.stdout), done.stderr)


def _words(text: str) -> list[str]:
    return ANSI.sub("", text).split()


@pytest.mark.parametrize("columns", [None, 60])
def test_piped_dry_run_gives_az_commands_that_run_when_pasted(columns: int | None, tmp_path: Path) -> None:
    done = _run(
        "migrate", "--simulate", str(SEED), "--dry-run", "--state-dir", str(tmp_path), columns=columns
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    az = [line.strip().removeprefix("$ ") for line in lines if line.strip().startswith("$ az ")]
    # two backend pools created (the scale set's pool also serves a load-balancing rule, so it is
    # not reused: REUSED_POOL_LIMITS_GROWTH), the model update, the roll-out, two pools out, two rules in
    assert len(az) == 8
    for command in az:
        argv = shlex.split(command)  # one line each: quotes balanced, nothing cut mid-GUID
        assert argv[0] == "az"
    update = next(shlex.split(c) for c in az if c.startswith("az vmss update "))
    pools = next(a for a in update if "loadBalancerBackendAddressPools" in a)
    assert pools.endswith(
        '"/subscriptions/6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b/resourceGroups/'
        "rg-natmigrate-demo/providers/Microsoft.Network/loadBalancers/lb-web/"
        'backendAddressPools/natpool-app-v2-pool"}]'
    )
    # "1. [step] METHOD /subscriptions/...": each write on one line, its resource id whole.
    writes = [
        m.groups() for line in lines if (m := re.match(r"^\d+\. \[(\S+)\] (PUT|PATCH|POST) (\S+)$", line))
    ]
    # add the backend pools, update the model, roll out, swap the NAT
    assert [w[1] for w in writes] == ["PUT", "PATCH", "POST", "PUT"]
    assert all(w[2].startswith("/subscriptions/6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b/") for w in writes)


def test_at_60_columns_each_port_row_names_its_instance_and_rule(tmp_path: Path) -> None:
    done = _run(
        "migrate", "--simulate", str(SEED), "--yes", "--state-dir", str(tmp_path), columns=60, terminal=True
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert all(len(line) <= 60 for line in out)
    assert "…" not in done.stdout
    blocks = {
        tuple(line.split()): out[i + 1]
        for i, line in enumerate(out)
        if re.fullmatch(r"vmss-web/\d+\s+natpool-(ssh|app)-v2", line)
    }
    expected = {(f"vmss-web/{i}", f"natpool-{r}-v2") for i in range(4) for r in ("ssh", "app")}
    assert set(blocks) == expected
    assert all("protocol: Tcp" in details for details in blocks.values())
    downtime = re.findall(r"simulated NAT down \(s\): (\S+)", done.stdout)
    assert len(downtime) == 8 and all(re.fullmatch(r"\d+\.\d", d) for d in downtime)


def test_at_100_columns_the_port_table_is_one_row_per_mapping(tmp_path: Path) -> None:
    done = _run(
        "migrate", "--simulate", str(SEED), "--yes", "--state-dir", str(tmp_path), columns=100, terminal=True
    )
    assert done.returncode == 0, done.stderr
    rows = [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in done.stdout.splitlines()
        if line.startswith("│")
    ]
    assert len(rows) == 8
    assert {(r[0], r[1]) for r in rows} == {
        (f"vmss-web/{i}", f"natpool-{p}-v2") for i in range(4) for p in ("ssh", "app")
    }
    assert all(re.fullmatch(r"\d+\.\d", r[-1]) for r in rows)  # one precision
    header = " ".join(line for line in done.stdout.splitlines() if line.startswith("┃"))
    assert "simulated" in header and "NAT down (s)" in header
    assert "(4 instances, 8 mappings)" in done.stderr


def test_downtime_warning_wraps_at_word_boundaries(tmp_path: Path) -> None:
    done = _run(
        "migrate",
        "--simulate",
        str(SEED),
        "--dry-run",
        "--state-dir",
        str(tmp_path),
        columns=60,
        terminal=True,
    )
    assert done.returncode == 0, done.stderr
    err = ANSI.sub("", done.stderr).splitlines()
    assert all(len(line) <= 60 for line in err)
    start = next(i for i, line in enumerate(err) if line.startswith("Inbound NAT"))
    end = next(i for i in range(start, len(err)) if err[i].rstrip().endswith("are not affected."))
    warning = " ".join(line.strip() for line in err[start : end + 1])
    # Every wrapped line ended between two words: joining them gives the sentence back.
    assert "from the instance roll-out until the load balancer's NAT rules are swapped" in warning
    assert "one roll-out plus one load-balancer update." in warning
    assert re.search(r"Estimated NAT downtime: about \d+ (min|s) per target", warning)


def test_the_confirmation_says_what_changes_where(tmp_path: Path) -> None:
    done = _run("migrate", "--simulate", str(SEED), "--dry-run", "--state-dir", str(tmp_path), columns=200)
    assert done.returncode == 0, done.stderr
    summary = done.stderr
    assert "subscription:             6f1e2d3c-4b5a-4978-8a1b-2c3d4e5f6a7b" in summary
    assert "resource group:           rg-natmigrate-demo" in summary
    assert "Migration of load balancer lb-web" in summary
    assert "natpool-ssh-v2: Tcp, frontend fe-public ports 50000-50099 -> backend port 22" in summary
    assert "natpool-app-v2: Tcp, frontend fe-public ports 51000-51099 -> backend port 8080" in summary
    assert "scale set vmss-web: Manual, 4 instance(s)" in summary
    assert "Estimated NAT downtime: about 2 min per target" in summary


def test_scope_pools_leaves_single_vm_rules_and_says_they_are_not_retired(tmp_path: Path) -> None:
    seed = t.TOPOLOGIES["vms-v1-rules"].write(tmp_path / "seed.json")
    both = _run(
        "migrate", "--simulate", str(seed), "--dry-run", "--state-dir", str(tmp_path / "a"), columns=200
    )
    assert both.returncode == 0, both.stderr
    assert "v1 NAT rules to remove:   ssh-vm1, ssh-vm2" in both.stderr
    assert "single-VM v1 NAT rules are not retired by Azure" in both.stderr
    pools = _run(
        "migrate",
        "--simulate",
        str(seed),
        "--yes",
        "--scope",
        "pools",
        "--state-dir",
        str(tmp_path / "b"),
        columns=200,
    )
    assert pools.returncode == 0, pools.stderr
    assert "nothing to migrate with --scope pools; 2 single-VM v1 NAT rule(s) stay" in pools.stderr
    assert "Azure does not retire single-VM rules" in pools.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_help_at_100_columns_is_not_cut_and_flags_show_no_metavar(command: str) -> None:
    done = _run(command, "--help", columns=100)
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout, done.stdout
    assert "<bool>" not in done.stdout
    assert all(len(line) <= 100 for line in done.stdout.splitlines())


def test_migrate_help_readme_and_docs_agree_on_the_downtime_window() -> None:
    window = "one instance roll-out plus one load-balancer write"
    help_text = " ".join(_run("migrate", "--help", columns=200).stdout.split())
    assert window in help_text
    assert "two load-balancer writes" not in help_text
    for doc in (ROOT / "README.md", ROOT / "docs" / "migrate.md"):
        assert window in " ".join(doc.read_text(encoding="utf-8").split()), doc


def test_a_run_answers_query_and_tsv_like_az(tmp_path: Path) -> None:
    from .helpers import cli

    ran = cli("migrate", "--simulate", str(SEED), "--yes", "-o", "json", "--query", "[status, run_dir]",
              "--state-dir", str(tmp_path))  # fmt: skip
    assert ran.exit_code == 0, ran.stderr
    status, run_dir = json.loads(ran.stdout)
    assert status == "succeeded"
    back = cli("rollback", run_dir, "-o", "tsv")
    assert back.exit_code == 0, back.stderr
    assert back.stdout == ""  # a rollback reports no port rows: no lines at all
    again = cli("migrate", "--simulate", str(SEED), "--yes", "-o", "tsv", "--state-dir", str(tmp_path / "b"))
    assert again.exit_code == 0, again.stderr
    rows = [line.split("\t") for line in again.stdout.splitlines()]
    assert len(rows) == 8 and all(len(r) == len(rows[0]) for r in rows)  # one line per port mapping
    assert {r[-2] for r in rows} == {f"vmss-web/{i}" for i in range(4)}  # sorted keys: ..., target, target_id
