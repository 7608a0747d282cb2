"""az conventions against the simulator through the real SDK: ``--subscription NAME``, ``--query``,
``-o tsv``, ``--only-show-errors``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner, Result

from natmigrate.cli.app import app
from natmigrate.simulator import Simulator

from .test_live import RG, SUB, azure_env, sim  # noqa: F401 (fixtures)

OTHER = "99999999-2222-4333-8444-555555555555"


def _cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_subscription_by_name_is_resolved_through_the_subscriptions_list(
    azure_env: dict[str, str],  # noqa: F811
    sim: Simulator,  # noqa: F811
) -> None:
    sim.add_subscription(OTHER, "Contoso Prod")
    sim.add_subscription(SUB, "Contoso Dev")
    by_name = _cli("ports", "-g", RG, "-n", "lb-web", "--subscription", "contoso dev", "-o", "json")
    assert by_name.exit_code == 0, by_name.stderr
    by_id = _cli("ports", "-g", RG, "-n", "lb-web", "--subscription", SUB, "-o", "json")
    assert json.loads(by_name.stdout) == json.loads(by_id.stdout)


def test_an_unknown_or_ambiguous_subscription_name_is_one_clear_line(
    azure_env: dict[str, str],  # noqa: F811
    sim: Simulator,  # noqa: F811
) -> None:
    sim.add_subscription(OTHER, "Contoso")
    sim.add_subscription(SUB, "Contoso")
    unknown = _cli("ports", "-g", RG, "-n", "lb-web", "--subscription", "Fabrikam")
    assert unknown.exit_code == 1
    assert unknown.stderr.splitlines() == [
        "natmigrate: error: --subscription 'Fabrikam': no subscription of that name is visible to you "
        "(`az account list -o table` shows the names and ids)"
    ]
    ambiguous = _cli("ports", "-g", RG, "-n", "lb-web", "--subscription", "Contoso")
    assert ambiguous.exit_code == 1
    (line,) = ambiguous.stderr.splitlines()
    assert (
        "2 subscriptions have that name" in line and OTHER in line and SUB in line and "give the id" in line
    )


def test_query_and_tsv_on_the_port_table(azure_env: dict[str, str]) -> None:  # noqa: F811
    rows = json.loads(_cli("ports", "-g", RG, "-n", "lb-web", "-o", "json").stdout)
    queried = _cli(
        "ports", "-g", RG, "-n", "lb-web", "-o", "json", "--query", "[?rule=='natpool-ssh.0'].frontend_port"
    )
    assert queried.exit_code == 0, queried.stderr
    assert json.loads(queried.stdout) == [r["frontend_port"] for r in rows if r["rule"] == "natpool-ssh.0"]

    tsv = _cli("ports", "-g", RG, "-n", "lb-web", "-o", "tsv")
    lines = tsv.stdout.splitlines()
    assert len(lines) == len(rows)  # no header
    for line, row in zip(lines, rows, strict=True):  # az: the values in sorted key order
        assert line.split("\t") == ["" if row[k] is None else str(row[k]) for k in sorted(row)]

    picked = _cli("ports", "-g", RG, "-n", "lb-web", "-o", "tsv", "--query", "[].[target, frontend_port]")
    assert [line.split("\t") for line in picked.stdout.splitlines()] == [
        [r["target"], str(r["frontend_port"])] for r in rows
    ]


def test_a_bad_query_or_a_query_on_a_table_is_a_usage_error(azure_env: dict[str, str]) -> None:  # noqa: F811
    bad = _cli("ports", "-g", RG, "-n", "lb-web", "-o", "json", "--query", "[?")
    assert bad.exit_code == 2
    assert bad.stderr.startswith("natmigrate: error: --query '[?': not a valid JMESPath query")
    table = _cli("ports", "-g", RG, "-n", "lb-web", "--query", "[]")
    assert table.exit_code == 2 and "--query needs -o json or -o tsv" in table.stderr


def test_only_show_errors_hides_warnings_and_keeps_errors() -> None:
    import dataclasses
    import io

    from rich.console import Console

    from natmigrate.execute import events as ev
    from natmigrate.plan.build import plan_snapshot
    from natmigrate.plan.model import Problem
    from natmigrate.report.run_report import ConsoleObserver
    from natmigrate.sources import read_any

    seed = Path(__file__).resolve().parents[2] / "fixtures" / "scale-set-nat-pools.json"
    (lb,) = plan_snapshot(read_any(str(seed))).load_balancers
    lb = dataclasses.replace(
        lb,
        problems=(
            Problem("PORT_MAPPING_CHANGES", "warning", "2 client-visible frontend ports would change"),
            Problem("SKU_NOT_STANDARD", "error", "load balancer lb-web is Basic"),
        ),
    )

    def shown(show_warnings: bool) -> str:
        out = io.StringIO()
        observer = ConsoleObserver(Console(file=out, width=200), show_warnings=show_warnings)
        observer(ev.Event(ev.PLANNED, lb.name, data={"plan": lb, "downtime_estimate": 110.0}))
        observer(ev.Event(ev.NOTE, "lb-swap-nat", "Azure refused the combined write; two writes"))
        return out.getvalue()

    noisy, quiet = shown(True), shown(False)
    assert "warning: PORT_MAPPING_CHANGES" in noisy and "note: Azure refused" in noisy
    assert "warning:" not in quiet and "note:" not in quiet
    assert "error: SKU_NOT_STANDARD" in quiet and "Migration of load balancer lb-web" in quiet


def test_only_show_errors_is_offered_where_warnings_can_appear() -> None:
    for command in ("check", "plan", "migrate", "apply", "resume", "rollback", "ports", "scan"):
        assert "--only-show-errors" in _cli(command, "--help").stdout, command


def test_the_simulated_subscriptions_list_is_as_strict_as_azure(sim: Simulator) -> None:  # noqa: F811
    import requests

    base = f"{sim.endpoint}/subscriptions"
    auth = {"Authorization": "Bearer x"}
    listed = requests.get(f"{base}?api-version=2022-12-01", headers=auth, verify=sim.ca_file, timeout=10)
    assert listed.status_code == 200
    assert [s["subscriptionId"] for s in listed.json()["value"]] == [SUB]
    missing = requests.get(base, headers=auth, verify=sim.ca_file, timeout=10)
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "MissingApiVersionParameter"
    unknown = requests.get(f"{base}?api-version=2099-01-01", headers=auth, verify=sim.ca_file, timeout=10)
    assert unknown.status_code == 400 and unknown.json()["error"]["code"] == "NoRegisteredProviderFound"


def test_query_and_tsv_on_scan_and_query_on_fix(tmp_path: Path) -> None:
    """``scan`` (through the real SDK against the simulator) and ``fix`` take ``--query`` on their
    JSON too; ``scan -o tsv`` prints one row per load balancer; a ``fix --query`` without ``-o json``
    is refused before any file is touched."""
    fixture = str(Path(__file__).resolve().parents[2] / "fixtures" / "scale-set-nat-pools.json")
    names = _cli("scan", "--simulate", fixture, "-o", "json", "--query", "load_balancers[].name")
    assert names.exit_code == 3, names.stderr
    assert json.loads(names.stdout) == ["lb-web"]
    rows = [r.split("\t") for r in _cli("scan", "--simulate", fixture, "-o", "tsv").stdout.splitlines()]
    assert [r[1:] for r in rows] == [["rg-natmigrate-demo", "lb-web", "Standard", "feasible"]]
    summary = _cli("fix", fixture, "-o", "json", "--query", "summary.files")
    assert summary.exit_code == 0, summary.stderr
    assert json.loads(summary.stdout) == 1
    template = tmp_path / "t.json"
    template.write_text(Path(fixture).read_text())
    refused = _cli("fix", str(template), "--write", "--query", "summary")
    assert refused.exit_code == 2
    assert "--query needs -o json" in refused.stderr
    assert template.read_text() == Path(fixture).read_text()
