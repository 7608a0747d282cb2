"""``natmigrate plan`` as a user runs it: outputs, the plan file, exit codes."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from plan_scenarios import FIXTURES, scale_set_pools, vmss
from typer.testing import CliRunner

from natmigrate.cli.app import app
from natmigrate.plan.model import Plan, PlanFormatError

runner = CliRunner()
SCALE_SET = str(FIXTURES / "scale-set-nat-pools.json")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["plan", *args])
    return result.exit_code, result.stdout, result.stderr


def test_acceptance_fixture_gives_a_feasible_plan_with_two_v2_rules() -> None:
    code, out, _ = run(SCALE_SET, "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["feasible"] is True and data["format_version"].startswith("2.")
    assert data["problems"] == []
    (lb,) = data["load_balancers"]
    assert len(lb["nat_rules"]) == 2 and lb["etag"].startswith('W/"')
    assert data["input"]["sha256"] and data["input"]["path"] == SCALE_SET
    # bepool-web also carries the http and outbound rules: a v2 range of 100 ports would cap it at
    # 100 members (REUSED_POOL_LIMITS_GROWTH), so the v2 rules get pools of their own.
    assert [p["action"] for p in lb["backend_pools"]] == ["create", "create"]
    assert [s["kind"] for s in lb["steps"]] == [
        "backup",
        "lb-add-backend-pools",
        "vmss-update-model",
        "vmss-rollout",
        "lb-swap-nat",
        "verify-ports",
    ]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [("scale-set-nat-pools.json", 3), ("already-v2.json", 0), ("vm-nat-rules.json", 3)],
)
def test_detailed_exitcode(fixture: str, expected: int) -> None:
    code, _, _ = run(str(FIXTURES / fixture), "--detailed-exitcode", "-o", "json")
    assert code == expected
    assert run(str(FIXTURES / fixture), "-o", "json")[0] == 0


def test_detailed_exitcode_blocked(tmp_path: Path) -> None:
    doc = scale_set_pools()
    vmss(doc)["properties"]["upgradePolicy"] = {"mode": "Rolling"}
    path = tmp_path / "rolling.json"
    path.write_text(json.dumps(doc))
    code, out, _ = run(str(path), "-o", "json", "--detailed-exitcode")
    assert code == 4
    assert [p["code"] for p in json.loads(out)["problems"]] == ["ROLLING_UPGRADE_POLICY"]
    code, out, _ = run(str(path), "-o", "json", "--detailed-exitcode", "--rolling", "switch-to-manual")
    assert code == 3
    assert [p["severity"] for p in json.loads(out)["problems"]] == ["info"]


def test_out_writes_a_private_plan_file_that_reads_back(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"
    code, out, _ = run(SCALE_SET, "--out", str(target))
    assert code == 0 and "natpool-ssh-v2" in out  # the table still goes to stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    plan = Plan.from_json(target.read_text())
    assert plan.to_json() == target.read_text()
    assert Plan.from_dict(json.loads(plan.to_json())) == plan
    assert plan.load_balancers[0].nat_rules[0].rest_body()["properties"]["backendPort"] == 22


def test_plan_file_with_another_major_version_is_refused(tmp_path: Path) -> None:
    text = run(SCALE_SET, "-o", "json")[1]
    data = json.loads(text)
    data["format_version"] = "3.0"
    with pytest.raises(PlanFormatError, match="unsupported plan format"):
        Plan.from_dict(data)
    data["format_version"] = "1.0"  # before steps had ids: re-plan
    with pytest.raises(PlanFormatError, match=r"older natmigrate.*make a new plan"):
        Plan.from_dict(data)
    data["format_version"] = "2.7"  # a newer minor version only adds fields
    data["load_balancers"][0]["something_new"] = {"x": 1}
    assert Plan.from_dict(data).load_balancers[0].name == "lb-web"
    data["load_balancers"][0]["nat_rules"][0]["backend_port"] = "22"
    with pytest.raises(PlanFormatError, match="backend_port"):
        Plan.from_dict(data)


def test_table_output_shows_changes_problems_and_ports() -> None:
    code, out, _ = run(SCALE_SET)
    assert code == 0
    assert "feasible" in out and "natpool-ssh-v2-pool" in out
    assert "vmss-web/3" in out and "50003" in out
    assert "[backup]" in out  # step kinds are printed literally, not eaten as markup


def test_markdown_output() -> None:
    code, out, _ = run(SCALE_SET, "-o", "markdown")
    assert code == 0
    assert out.startswith("# natmigrate plan")
    assert "| `natpool-ssh-v2` | fe-public | Tcp | 50000-50099 | 22 | `natpool-ssh-v2-pool` |" in out


def test_az_cli_script_detaches_scale_sets_before_the_load_balancer_write() -> None:
    code, out, _ = run(SCALE_SET, "-o", "az-cli")
    assert code == 0
    lines = out.splitlines()
    first = {
        key: next(i for i, line in enumerate(lines) if line.startswith(key))
        for key in ("az vmss update ", "az vmss update-instances", "az rest --method put")
    }
    assert first["az vmss update "] < first["az vmss update-instances"] < first["az rest --method put"]
    assert "inbound-nat-pool delete" not in out
    if shutil.which("bash"):
        assert subprocess.run(["bash", "-n"], input=out, text=True, check=False).returncode == 0


def test_az_cli_script_of_a_blocked_plan_refuses_to_run(tmp_path: Path) -> None:
    doc = scale_set_pools()
    doc["value"][0]["sku"] = {"name": "Basic"}
    path = tmp_path / "basic.json"
    path.write_text(json.dumps(doc))
    out = run(str(path), "-o", "az-cli")[1]
    assert "SKU_NOT_STANDARD" in out and "\nexit 1\n" in out


def test_bad_input_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"hello": 1}))  # JSON, but not an Azure resource
    code, _, err = run(str(bad))
    assert code == 1 and err.count("\n") == 1 and "bad.json" in err
    code, _, err = run(str(tmp_path / "missing.json"))
    assert code == 1 and "missing.json" in err


def test_no_load_balancer_in_the_input(tmp_path: Path) -> None:
    doc = scale_set_pools()
    doc["value"] = doc["value"][1:]
    path = tmp_path / "no-lb.json"
    path.write_text(json.dumps(doc))
    code, _, err = run(str(path))
    assert code == 1 and "no load balancer" in err


@pytest.mark.parametrize(
    "args",
    [
        ["-g", "rg"],
        [SCALE_SET, "-g", "rg", "-n", "lb"],
        [],
        [SCALE_SET, "--rule-name", "fixed"],
        [SCALE_SET, "--pool-name", "{source}-{other}"],
    ],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    assert run(*args)[0] == 2


def test_python_m_natmigrate_plan_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "natmigrate", "plan", SCALE_SET, "-o", "json", "--detailed-exitcode"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 3, proc.stderr
    assert json.loads(proc.stdout)["summary"]["v2_rules"] == 2


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_az_cli_swap_filter_turns_the_load_balancer_into_its_v2_form() -> None:
    from natmigrate.report.plan_azcli import SWAP_FILTER

    plan = Plan.from_json(run(SCALE_SET, "-o", "json")[1])
    lbp = plan.load_balancers[0]
    body = next(r for r in json.loads(Path(SCALE_SET).read_text())["value"] if r["name"] == "lb-web")
    remove = json.dumps(sorted({r.rsplit("/", 1)[-1].lower() for r in lbp.remove_nat_rules}))
    add = json.dumps([r.rest_body() for r in lbp.nat_rules])
    proc = subprocess.run(
        ["jq", "--argjson", "remove", remove, "--argjson", "add", add, SWAP_FILTER],
        input=json.dumps(body),
        capture_output=True,
        text=True,
        check=True,
    )
    after = json.loads(proc.stdout)["properties"]
    assert after["inboundNatPools"] == []
    assert [r["name"] for r in after["inboundNatRules"]] == ["natpool-ssh-v2", "natpool-app-v2"]
    assert after["loadBalancingRules"] == body["properties"]["loadBalancingRules"]
    again = subprocess.run(
        ["jq", "--argjson", "remove", remove, "--argjson", "add", add, SWAP_FILTER],
        input=proc.stdout,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(again.stdout) == json.loads(proc.stdout)  # a second run adds nothing twice


def test_az_cli_script_for_many_single_vm_rules_swaps_after_each_wave(tmp_path: Path) -> None:
    from execute import topologies as t

    seed = t.single_vms(10, "rdp", 51000, 3389).write(tmp_path / "vms.json")
    code, script, _ = run(str(seed), "-o", "az-cli")
    assert code == 0, script
    # One block per plan step, headed by the step's id, in the plan's order.
    plan = Plan.from_json(run(str(seed), "-o", "json")[1])
    ids = [s.id for s in plan.load_balancers[0].steps]
    headers = [line.split(": ", 1)[0] for line in script.splitlines() if re.match(r"# \d+\. ", line)]
    assert headers == [f"# {n}. {step_id}" for n, step_id in enumerate(ids, 1)]
    assert [i for i in ids if i.startswith("lb-swap-nat")] == [
        "lb-swap-nat:wave-1-of-2",
        "lb-swap-nat:wave-2-of-2",
    ]
    # The first wave's write moves the first 8 rules only; the last one moves whatever is left.
    first = script.split(": wave 1 of 2: one write")[1].split("# ")[0]
    assert "rdp-vm7" in first and "rdp-vm8" not in first
