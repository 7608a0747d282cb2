"""``python -m benchmarks [--quick]``: every benchmark of issue 7, one table, two result files.

1. migration downtime and duration (``benchmarks.migration``): natmigrate vs a re-enactment of
   Microsoft's sequence vs the floor, on the issue's four topologies (``migration``), plus the
   variant where the module can reuse a backend pool (``migration_variants``, reported, with the
   downtime-vs-baseline target not applying: see ``benchmarks/topologies.py``);
2. detection (``benchmarks.detect_speed``): ``detect`` vs ``json.load`` vs ``jq``;
3. planning scale (``benchmarks.plan_scale``): reading + planning time, wall and CPU, for 1,000 to
   100,000 scale-set instances and 100 to 10,000 VMs, with the growth per tenfold size (target <= 12);
4. ``check`` as a user runs it (``benchmarks.check_cli``): the CLI over 5,000 and 50,000 small
   templates against ``json.load`` of the same files, default output and with ``--sarif-file``;
5. detection at scale (``benchmarks.detect_scale``): a 1 GiB export, indented and minified, peak
   memory and wall and CPU time against ``json.load`` (with and without the garbage collector).
6. rehearsal scale (``benchmarks.rehearsal_scale``): rehearsals of 1 scale set x 500 and x 5,000
   instances and of 1,000 VMs, the simulator's own time per request, and whether simulated downtime
   moves with machine load (issue 16.1 and 16.6).

Writes ``benchmarks/results.json`` (machine-readable) and ``benchmarks/RESULTS.md``, prints the
table, and exits 1 when a target is missed. ``--quick`` (CI) repeats each timing once instead of
three times (``check_cli`` keeps its five interleaved rounds: its ratio of two short processes
swings too much on one run each); sizes stay as the issue defines them (the detection target is
defined for 100 MB).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import (
    check_cli,
    detect_scale,
    detect_speed,
    fleet_scan,
    migration,
    plan_scale,
    rehearsal_scale,
)

HERE = Path(__file__).resolve().parent
# The sections of results.json, in the order they run.
SECTIONS = (
    "migration",
    "detection",
    "planning",
    "fleet",
    "check_cli",
    "detection_scale",
    "rehearsal_scale",
)
DETECT_TARGET_VS_JSON = 1.5


def machine() -> dict[str, Any]:
    """Where the numbers came from."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
                break
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    return info


def run_planning(kind: str, sizes: Sequence[int], repeat: int) -> list[dict[str, Any]]:
    """Read + plan time per size (``benchmarks.plan_scale``), wall and CPU, with the growth per tenfold size."""
    with tempfile.TemporaryDirectory(prefix="natmigrate-bench-") as tmp:
        rows = [plan_scale.measure(n, repeat, Path(tmp), kind) for n in sizes]
    out = []
    for r, growth in zip(rows, plan_scale.growth_per_10x(rows), strict=True):
        row: dict[str, Any] = {
            "kind": kind,
            "size": int(r["size"]),
            "read_plan_s": round(r["total"], 4),
            "read_plan_cpu_s": round(r["total_cpu"], 4),
            "read_s": round(r["read"], 4),
            "json_load_s": round(r["json"], 4),
            "json_load_cpu_s": round(r["json_cpu"], 4),
        }
        if growth is not None:
            row["growth_per_10x_cpu"] = round(growth, 2)
        out.append(row)
    return out


def evaluate(results: dict[str, Any]) -> list[str]:
    """Every missed target, as a sentence."""
    missed = []
    for row in results["migration"] + results["migration_variants"]:
        for name, ok in row["targets_met"].items():
            if not ok:
                why = next((n for n in row.get("notes", []) if n.startswith(name)), "")
                missed.append(
                    f"migration, {row['topology']}: {name} = {row['ratios'][name]}"
                    + (f" ({why})" if why else "")
                )
    for p in results["planning"]:
        if p.get("growth_per_10x_cpu", 0) > plan_scale.GROWTH_TARGET:
            missed.append(
                f"planning, {p['kind']} {p['size']}: growth per 10x = {p['growth_per_10x_cpu']} "
                f"(target <= {plan_scale.GROWTH_TARGET:g})"
            )
    det = results["detection"]
    if det["detect_over_json_load"] > DETECT_TARGET_VS_JSON:
        missed.append(f"detection: detect / json.load = {det['detect_over_json_load']} (target <= 1.5)")
    if "detect_cli_over_jq" in det and det["detect_cli_over_jq"] >= 1.0:
        missed.append(f"detection: detect (CLI) / jq = {det['detect_cli_over_jq']} (target < 1)")
    if results.get("fleet") and not results["fleet"]["identical"]:
        missed.append("fleet scan: Resource Graph and ARM listing gave different inventories")
    missed += check_cli.missed(results["check_cli"])
    missed += detect_scale.missed(results["detection_scale"])
    if "rehearsal_scale" in results:
        missed.extend(rehearsal_scale.missed(results["rehearsal_scale"]))
    return missed


def table(results: dict[str, Any]) -> str:
    """The printed table (also the body of RESULTS.md)."""
    lines = ["## Migration (simulated seconds, realistic latency profile)", ""]
    lines.append(
        "| topology | who | max NAT down (s) | mean NAT down (s) | NAT back at (s) | duration (s) | writes |"
    )
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    rows = results["migration"] + results["migration_variants"]
    for r in rows:
        for who in ("natmigrate", "baseline", "baseline_batched"):
            if who not in r:
                continue
            s = r[who]
            label = "natmigrate" if who == "natmigrate" else r[f"{who}_name"]
            lines.append(
                f"| {r['topology']} | {label} | {s['max_downtime_s']:.1f} | {s['mean_downtime_s']:.1f} "
                f"| {s['nat_restored_s']:.1f} | {s['duration_s']:.1f} | {s['writes']} |"
            )
        lines.append(f"| {r['topology']} | floor | {r['floor_downtime_s']:.1f} | | | | |")
    lines += [
        "",
        "| topology | downtime ours/baseline (<= 0.5) | ours/floor (<= 1.1) | floor/baseline | writes ours/baseline (<= 1) |",
    ]
    lines.append("|---|---:|---:|---:|---:|")
    for r in rows:
        q = r["ratios"]
        fb = r["floor_downtime_s"] / r["baseline"]["max_downtime_s"] if r["baseline"]["max_downtime_s"] else 0
        vs_base = (
            q["downtime_vs_baseline"]
            if "downtime_vs_baseline" in r["targets_met"]
            else (f"{q['downtime_vs_baseline']} (not a target: floor/baseline > 0.5)")
        )
        lines.append(
            f"| {r['topology']} | {vs_base} | {q['downtime_vs_floor']} | {fb:.3f} | {q['writes_vs_baseline']} |"
        )
    det = results["detection"]
    lines += ["", "## Detection", ""]
    lines.append(
        "| file (MiB) | resources | json.load (s) | detect (s) | detect CLI (s) | jq (s) "
        "| detect/json.load (<= 1.5) | detect CLI/jq (< 1) |"
    )
    lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    lines.append(
        f"| {det['file_mb']} | {det['resources']} | {det['json_load_s']} | {det['detect_s']} | "
        f"{det['detect_cli_s']} | {det.get('jq_s', 'not installed')} | {det['detect_over_json_load']} "
        f"| {det.get('detect_cli_over_jq', '-')} |"
    )
    lines += ["", "## Detection at scale (child processes; CPU = user + system)", ""]
    lines.append(
        "| layout | file (MiB) | findings | json.load wall / CPU (s) | json.load, GC paused, wall / CPU (s) "
        "| detect wall / CPU (s) | detect peak RSS (MiB) | RSS / file (<= 2) | json.load RSS / file "
        "| detect / json.load wall, CPU | detect / json.load (GC paused) wall, CPU |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for d in results["detection_scale"]:
        jl, jn, dt = d["json_load"], d["json_load_gc_paused"], d["detect"]
        lines.append(
            f"| {d['layout']} | {d['file_mib']} | {d['findings']} | {jl['wall_s']} / {jl['cpu_s']} "
            f"| {jn['wall_s']} / {jn['cpu_s']} | {dt['wall_s']} / {dt['cpu_s']} | {dt['peak_rss_mib']} "
            f"| {d['detect_rss_over_file']} | {d['json_load_rss_over_file']} "
            f"| {d['detect_wall_over_json_load']}, {d['detect_cpu_over_json_load']} "
            f"| {d['detect_wall_over_json_load_gc_paused']}, {d['detect_cpu_over_json_load_gc_paused']} |"
        )
    lines += ["", "## check as a user runs it (whole processes; CPU = user + system)", ""]
    lines.append(
        "| files | json.load wall / CPU (s) | check wall / CPU (s) | check --sarif-file wall / CPU (s) "
        "| check / json.load wall (<= 3), CPU | with SARIF wall (<= 3), CPU |"
    )
    lines.append("|---:|---:|---:|---:|---:|---:|")
    for c in results["check_cli"]:
        lines.append(
            f"| {c['files']} | {c['json_load_s']} / {c['json_load_cpu_s']} | {c['check_s']} / {c['check_cpu_s']} "
            f"| {c['check_sarif_s']} / {c['check_sarif_cpu_s']} "
            f"| {c['check_over_json_load']}, {c['check_cpu_over_json_load_cpu']} "
            f"| {c['check_sarif_over_json_load']}, {c['check_sarif_cpu_over_json_load_cpu']} |"
        )
    fleet = results.get("fleet")
    if fleet:
        lines += ["", "## Fleet scan (Resource Graph vs per-subscription ARM listing)", ""]
        lines.append(
            "| subscriptions | load balancers | v1 found | graph queries | graph requests | graph (s) "
            "| of which quota waits (s) | ARM requests | ARM (s) | ARM/graph time | identical |"
        )
        lines.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        lines.append(
            f"| {fleet['subscriptions']} | {fleet['load_balancers']} | {fleet['v1_found']} | {fleet['graph_queries']} "
            f"| {fleet['graph_requests']} | {fleet['graph_s']} | {fleet['graph_throttle_wait_s']} "
            f"| {fleet['arm_requests']} | {fleet['arm_s']} | {fleet['arm_over_graph_time']} | {fleet['identical']} |"
        )
    lines += ["", "## Planning scale (reading included)", ""]
    lines.append(
        "| input | size | read+plan (s) | read+plan CPU (s) | read (s) | json.load (s) "
        "| CPU growth per 10x (<= 12; 10 = linear) |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|")
    for p in results["planning"]:
        lines.append(
            f"| {p['kind']} | {p['size']} | {p['read_plan_s']} | {p['read_plan_cpu_s']} | {p['read_s']} "
            f"| {p['json_load_s']} | {p.get('growth_per_10x_cpu', '')} |"
        )
    if "rehearsal_scale" in results:
        lines += ["", "## Rehearsal scale", "", *rehearsal_scale.table(results["rehearsal_scale"])]
    return "\n".join(lines)


def _when_measured(measured_at: dict[str, str | None]) -> str:
    """A line naming the sections an earlier run measured (empty when one run measured them all)."""
    if len(set(measured_at.values())) <= 1:
        return ""
    newest = max(v for v in measured_at.values() if v)
    older = [f"{name} ({at})" for name, at in measured_at.items() if at != newest]
    return f"Kept from earlier runs (`--only` re-measured the rest): {', '.join(older)}.\n\n"


def main(argv: list[str] | None = None) -> int:
    """Run everything, write the result files, print the table; 1 when a target is missed."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="CI-sized run: one repeat per timing")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for results.json and RESULTS.md")
    parser.add_argument(
        "--speedup",
        type=float,
        default=migration.SPEEDUP,
        help="migration on a wall clock at this speed-up instead of the modelled clock",
    )
    parser.add_argument("--detect-mb", type=int, default=100, help="size of the synthetic export (MiB)")
    parser.add_argument(
        "--scale-mb", type=int, default=None, help="size of the exports of row 5 (MiB; 1024, --quick 256)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=SECTIONS,
        metavar="SECTION",
        help=f"run only this section (repeatable: {', '.join(SECTIONS)}); the others are kept from the "
        "results.json in --out, and the result files say which section was measured when",
    )
    args = parser.parse_args(argv)
    repeat = 1 if args.quick else 3
    started = time.perf_counter()
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    previous: dict[str, Any] = {}
    if args.only:
        try:
            previous = json.loads((args.out / "results.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            parser.error(f"--only keeps the other sections of {args.out / 'results.json'}, which cannot be read: {exc}")
    runs: dict[str, Callable[[], Any]] = {
        "migration": lambda: migration.run(quick=args.quick, speedup=args.speedup, with_variants=True),
        "detection": lambda: detect_speed.measure(args.detect_mb, repeat=max(repeat, 2)),
        "planning": lambda: run_planning("instances", plan_scale.INSTANCE_SIZES, repeat)
        + run_planning("vms", plan_scale.VM_SIZES, repeat),
        "fleet": lambda: fleet_scan.measure(100 if args.quick else 1000, 20),
        "check_cli": lambda: [check_cli.measure(n, repeat) for n in (5000, 50000)],
        "detection_scale": lambda: detect_scale.measure(args.scale_mb or (256 if args.quick else 1024)),
        "rehearsal_scale": lambda: rehearsal_scale.run(quick=args.quick),
    }
    measured_at = dict(previous.get("measured_at") or dict.fromkeys(SECTIONS, previous.get("generated")))
    sections: dict[str, Any] = {}
    for name in SECTIONS:
        if args.only and name not in args.only:
            sections[name] = previous.get(name)
            continue
        print(f"{name} ...", file=sys.stderr, flush=True)
        sections[name] = runs[name]()
        measured_at[name] = now
    mig = sections.pop("migration")
    if args.only and "migration" not in args.only:
        mig = [*(mig or []), *(previous.get("migration_variants") or [])]
    results: dict[str, Any] = {
        "generated": now,
        "command": "python -m benchmarks"
        + (" --quick" if args.quick else "")
        + "".join(f" --only {n}" for n in args.only or ()),
        "machine": machine(),
        "measured_at": measured_at,
        "migration": [r for r in mig if not r["variant"]],
        "migration_variants": [r for r in mig if r["variant"]],
        **sections,
    }
    results["missed_targets"] = evaluate(results)
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    body = table(results)
    m = results["machine"]
    header = (
        "# Benchmark results\n\n"
        f"`{results['command']}` on {results['generated']}: {m.get('cpu', '?')}, {m['cpus']} CPUs, "
        f"{m.get('memory_gib', '?')} GiB, Python {m['python']}, {m['platform']} "
        f"(load average at the end: {m.get('load_average', '?')}); {results['wall_seconds']} s in all.\n\n"
        + _when_measured(results["measured_at"])
        + "Migration numbers are simulated seconds on the simulator's `realistic` profile; the baselines are "
        "re-enactments (see `benchmarks/baselines/`), not Microsoft's code.\n\n"
    )
    missed = results["missed_targets"]
    footer = "\n\n## Targets\n\n" + (
        "\n".join(f"- MISSED: {x}" for x in missed) if missed else "All targets met."
    )
    (args.out / "RESULTS.md").write_text(header + body + footer + "\n", encoding="utf-8")
    print(body + footer)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
