"""Same end state? Deploy the fixed template into the simulator, migrate the original, compare.

For an ARM template whose values resolve, ``fix`` proves its rewrite against the live migration:

* the original is seeded into one simulator and migrated there exactly as ``migrate --simulate``
  does (read live through the real SDK, plan, execute every step);
* the fixed template is seeded into a fresh simulator, which validates it as Azure would;
* the two are compared: every load balancer's NAT pools, inbound NAT rules (name, frontend,
  protocol, port range, backend port, backend pool, idle timeout, floating IP, TCP reset) and
  backend pools, and every scale-set and NIC ip configuration's backend pool, NAT pool and NAT rule
  references.

A template whose values do not resolve (a parameter without a default) cannot be deployed without
guessing, so it is not compared (:func:`compare` says why).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from natmigrate import ids
from natmigrate.errors import InputError, NatMigrateError
from natmigrate.plan.model import PlanOptions
from natmigrate.simulator import DEFAULT_SUBSCRIPTION, Simulator

EndState = dict[str, Any]
DEFAULTS = PlanOptions()


@dataclass
class Comparison:
    """The outcome: ``equal`` with nothing in ``differences``, or why not; ``skipped`` when not run."""

    equal: bool = False
    differences: list[str] = field(default_factory=list)
    skipped: str | None = None

    def summary(self) -> str:
        """One line for people."""
        if self.skipped is not None:
            return f"simulator: not compared ({self.skipped})"
        if self.equal:
            return "simulator: the fixed template deploys to the end state migrate reaches (same rules, ranges, pools, references)"
        return "simulator: DIFFERENT from what migrate reaches: " + "; ".join(self.differences[:5])


def _key(ref: Any) -> str | None:
    return ids.id_key(ref["id"]) if isinstance(ref, dict) and isinstance(ref.get("id"), str) else None


def _refs(props: dict[str, Any], key: str) -> list[str]:
    return sorted(k for k in (_key(r) for r in props.get(key) or []) if k is not None)


def _rule(rule: dict[str, Any]) -> dict[str, Any]:
    p = rule.get("properties") or {}
    return {
        "frontend": _key(p.get("frontendIPConfiguration")),
        "protocol": str(p.get("protocol", "")).lower(),
        "ports": (p.get("frontendPortRangeStart"), p.get("frontendPortRangeEnd"), p.get("frontendPort")),
        "backendPort": p.get("backendPort"),
        "backendAddressPool": _key(p.get("backendAddressPool")),
        "idleTimeoutInMinutes": p.get("idleTimeoutInMinutes", 4),
        "enableFloatingIP": bool(p.get("enableFloatingIP", False)),
        "enableTcpReset": bool(p.get("enableTcpReset", False)),
    }


def _ip_configurations(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    props = body.get("properties") or {}
    profile = (props.get("virtualMachineProfile") or {}).get("networkProfile") or {}
    for nic in profile.get("networkInterfaceConfigurations") or []:
        for ipc in (nic.get("properties") or {}).get("ipConfigurations") or []:
            yield f"{nic.get('name')}/{ipc.get('name')}", ipc.get("properties") or {}
    for ipc in props.get("ipConfigurations") or []:
        yield str(ipc.get("name")), ipc.get("properties") or {}


def end_state(sim: Simulator) -> EndState:
    """What the comparison looks at, per resource id key."""
    out: EndState = {}
    for key in sorted(sim.state()["world"]["resources"]):
        body = sim.resource(key)
        if body is None:
            continue
        rtype = str(body.get("type", "")).lower()
        props = body.get("properties") or {}
        if rtype == ids.LB_TYPE:
            out[key] = {
                "inboundNatPools": sorted(str(p.get("name")) for p in props.get("inboundNatPools") or []),
                "inboundNatRules": {
                    str(r.get("name")): _rule(r)
                    for r in props.get("inboundNatRules") or []
                    if not (r.get("properties") or {}).get("backendIPConfiguration")
                    or (r.get("properties") or {}).get("frontendPort") is not None
                },
                "backendAddressPools": sorted(
                    str(p.get("name")) for p in props.get("backendAddressPools") or []
                ),
            }
        elif rtype in (ids.VMSS_TYPE, ids.NIC_TYPE):
            out[key] = {
                name: {
                    "backendPools": _refs(p, "loadBalancerBackendAddressPools"),
                    "natPools": _refs(p, "loadBalancerInboundNatPools"),
                    "natRules": _refs(p, "loadBalancerInboundNatRules"),
                }
                for name, p in _ip_configurations(body)
            }
    return out


def differences(migrated: EndState, deployed: EndState, where: str = "") -> list[str]:
    """Where the two end states differ, in words."""
    out: list[str] = []
    if isinstance(migrated, dict) and isinstance(deployed, dict):
        for k in sorted(set(migrated) | set(deployed), key=str):
            if k not in deployed:
                out.append(f"{where}/{k}: only after migrate")
            elif k not in migrated:
                out.append(f"{where}/{k}: only in the fixed template")
            else:
                out.extend(differences(migrated[k], deployed[k], f"{where}/{k}"))
    elif migrated != deployed:
        out.append(f"{where}: migrate {migrated!r}, fixed template {deployed!r}")
    return out


@contextmanager
def _seeded(source: Path, subscription: str) -> Iterator[Simulator]:
    sim = Simulator(subscription_id=subscription)
    sim.seed(source)
    with sim:
        yield sim


def _migrated(source: Path) -> EndState:
    """The end state after ``migrate --simulate source --yes``: the same session, planning and steps."""
    from natmigrate.azure.rehearsal import FINAL_STATE_FILE
    from natmigrate.execute.runinfo import RunSettings
    from natmigrate.execute.session import RunSession
    from natmigrate.execute.targets import LoadBalancerName, SimulatedTarget

    with tempfile.TemporaryDirectory(prefix="natmigrate-fix-") as tmp:
        session = RunSession(confirm=lambda _question: True)
        outcome = session.migrate(
            SimulatedTarget(source), LoadBalancerName(), "refuse", RunSettings(Path(tmp))
        )
        run = outcome.result
        if run is None or run.status != "succeeded" or run.run_dir is None:
            status = run.status if run is not None else "not started"
            raise NatMigrateError(f"the simulated migration of the original ended {status}")
        return end_state(Simulator.load_state(Path(run.run_dir) / FINAL_STATE_FILE))


def _subscription(source: Path) -> str:
    from natmigrate.azure.rehearsal import seed_subscription

    return seed_subscription(str(source)) or DEFAULT_SUBSCRIPTION


def compare(path: str, original: str, fixed: str, options: PlanOptions) -> Comparison:
    """Migrate ``original`` in one simulator as ``migrate --simulate`` does, deploy ``fixed`` into
    another, compare the two."""
    if (options.scope, options.rule_name, options.pool_name) != (
        DEFAULTS.scope,
        DEFAULTS.rule_name,
        DEFAULTS.pool_name,
    ):
        return Comparison(skipped="migrate plans with the default --scope, --rule-name and --pool-name only")
    with tempfile.TemporaryDirectory(prefix="natmigrate-fix-") as tmp:
        name = Path(path).name
        before, after = Path(tmp) / f"original-{name}", Path(tmp) / f"fixed-{name}"
        before.write_text(original, encoding="utf-8")
        after.write_text(fixed, encoding="utf-8")
        try:
            with _seeded(after, _subscription(before)) as sim:
                deployed = end_state(sim)
        except InputError as exc:
            return Comparison(skipped=f"the fixed template does not deploy as it is: {exc.problem}")
        try:
            migrated = _migrated(before)
        except InputError as exc:
            return Comparison(skipped=f"the original does not deploy as it is: {exc.problem}")
        except NatMigrateError as exc:
            return Comparison(skipped=f"migrate --simulate of the original does not run: {exc}")
    found = differences(migrated, deployed)
    return Comparison(equal=not found, differences=found)
