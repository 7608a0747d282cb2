"""``plan -o az-cli``: a reviewable bash script of the equivalent ``az`` commands.

One block per step of the plan, in the plan's order and headed by the step's id (the name a
natmigrate run journals), so the script and ``apply`` do the same thing. The order is the one Azure
accepts: the scale sets and NICs drop their NAT
references and roll out *before* the load balancer loses its NAT pools. Microsoft's Learn page
deletes the pool first, which Azure refuses while a scale set still references it. The load
balancer's final change is one ``az rest`` PUT built with ``jq`` from a fresh GET, sent with
``If-Match`` so that a concurrent change makes it fail instead of being overwritten.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass

from natmigrate import ids
from natmigrate.azure.apiversions import NETWORK as API_VERSION  # what natmigrate itself sends
from natmigrate.plan.model import LoadBalancerPlan, NicChange, Plan, ScaleSetChange, Step
from natmigrate.plan.steps import swap_plans
from natmigrate.report.plan_text import short

# The load balancer's last write, as a jq program over its REST GET body: no NAT pools, the v1
# rules named in $remove (lower case) gone, the v2 rules in $add appended; everything else kept.
# The removed rules out, every rule of $add in unless a rule of that name is already there (an earlier
# wave's, or a re-run of this script), so the filter can be applied again without harm.
SWAP_FILTER = (
    ".properties.inboundNatPools = [] | .properties.inboundNatRules = "
    "([.properties.inboundNatRules[]? | select((.name | ascii_downcase) as $n | ($remove | index($n)) | not)]"
    " | . + [$add[] as $a | select([.[].name | ascii_downcase] | index($a.name | ascii_downcase) | not) | $a])"
)


def _q(value: str) -> str:
    return shlex.quote(value)


def _rg_name(resource_id: str) -> tuple[str, str]:
    parsed = ids.parse_id(resource_id)
    if parsed is None:
        return "<resource-group>", short(resource_id)
    return parsed.resource_group, parsed.name


def render_az_cli(plan: Plan) -> str:
    """The script for every load balancer in the plan."""
    src = plan.input.path or "live Azure"
    out = [
        "#!/usr/bin/env bash",
        f"# natmigrate {plan.natmigrate_version}: inbound NAT v1 -> v2, the equivalent az commands.",
        f"# Planned {plan.created_at} from {src}. REVIEW BEFORE RUNNING: this changes Azure resources,",
        "# and the migrated NAT ports are unreachable from the roll-out until the last load balancer update.",
        "# Needs: az (logged in, right subscription), jq.",
        "set -euo pipefail",
        f"API={API_VERSION}",
        'ARM="$(az cloud show --query endpoints.resourceManager -o tsv)"; ARM="${ARM%/}"',
        'BACKUP_DIR="${BACKUP_DIR:-natmigrate-backup-$(date -u +%Y%m%dT%H%M%SZ)}"',
        'mkdir -p "$BACKUP_DIR" && chmod 700 "$BACKUP_DIR"',
        "",
    ]
    if not plan.feasible:
        out += [
            "# The plan is BLOCKED by error-severity problems; fix them and re-plan first:",
            *[f"#   {p.code}: {p.message}" for _, p in plan.all_problems() if p.severity == "error"],
            'echo "natmigrate: this plan is blocked; see the problems at the top of the script" >&2',
            "exit 1",
            "",
        ]
    if not plan.has_changes:
        out.append("# Nothing to migrate.")
    for lb in plan.load_balancers:
        if lb.has_changes:
            out += _lb(lb)
    return "\n".join(out).rstrip() + "\n"


@dataclass(frozen=True)
class _Script:
    """What every step's block needs: the load balancer and the part of the plan each swap moves."""

    lb: LoadBalancerPlan
    name: str
    tag: str  # shell-safe load balancer name, for variable names
    swaps: dict[str, LoadBalancerPlan]

    def scale_set(self, step: Step) -> ScaleSetChange:
        return next(ss for ss in self.lb.scale_sets if ss.id == step.resources[0])

    def nic(self, step: Step) -> NicChange:
        return next(n for n in self.lb.network_interfaces if n.id == step.resources[0])


def _lb(lb: LoadBalancerPlan) -> list[str]:
    """One block per plan step, in the plan's order, each headed by the step's id."""
    rg, name = _rg_name(lb.id)
    script = _Script(lb, name, re.sub(r"\W", "_", name), swap_plans(lb))
    out = [f"# ==== load balancer {name} (resource group {rg}) ====", f"LB_ID={_q(lb.id)}", ""]
    for n, step in enumerate(lb.steps, 1):
        out.append(f"# {n}. {step.id}: {step.description}")
        out += _BLOCKS[step.kind](script, step)
        out.append("")
    return out


def _backup(script: _Script, step: Step) -> list[str]:
    lb = script.lb
    out = [f'az rest --method get --url "$ARM$LB_ID?api-version=$API" > "$BACKUP_DIR/{script.name}.json"']
    out += [
        f'az vmss show --ids {_q(ss.id)} > "$BACKUP_DIR/vmss-{short(ss.id)}.json"' for ss in lb.scale_sets
    ]
    out += [
        f'az network nic show --ids {_q(nic.id)} > "$BACKUP_DIR/nic-{short(nic.id)}.json"'
        for nic in lb.network_interfaces
    ]
    return out


def _add_pools(script: _Script, step: Step) -> list[str]:
    rg, name = _rg_name(script.lb.id)
    return [
        f"az network lb address-pool create -g {_q(rg)} --lb-name {_q(name)} -n {_q(p.name)}"
        for p in script.lb.backend_pools
        if p.action == "create"
    ]


def _rollout(script: _Script, step: Step) -> list[str]:
    ss = script.scale_set(step)
    srg, sname = _rg_name(ss.id)
    if ss.orchestration_mode.lower() == "flexible":
        return []
    if ss.upgrade_mode.lower() == "automatic" and not ss.switch_to_manual:
        return [
            f'until [ "$(az vmss list-instances -g {_q(srg)} -n {_q(sname)} '
            "--query 'length([?!latestModelApplied])' -o tsv)\" = 0 ]; do sleep 15; done"
        ]
    return [f"az vmss update-instances -g {_q(srg)} -n {_q(sname)} --instance-ids '*'"]


def _swap_step(script: _Script, step: Step) -> list[str]:
    order = list(script.swaps)
    wave = order.index(step.id) + 1 if len(order) > 1 else None
    tag = script.tag if wave is None else f"{script.tag}_W{wave}"
    return _swap(script.swaps[step.id], script.name, tag, wave)


_BLOCKS: dict[str, Callable[[_Script, Step], list[str]]] = {
    "backup": _backup,
    "lb-add-backend-pools": _add_pools,
    "vmss-update-model": lambda script, step: _vmss_update(script.scale_set(step)),
    "nic-update": lambda script, step: _nic_updates((script.nic(step),), script.name),
    "vmss-rollout": _rollout,
    "lb-swap-nat": _swap_step,
    "vmss-restore-upgrade-mode": lambda script, step: [
        f"az vmss update --ids {_q(script.scale_set(step).id)} --set upgradePolicy.mode=Rolling"
    ],
    "verify-ports": lambda script, step: _verify(script.lb),
}


def _nic_updates(nics: tuple[NicChange, ...], lb_name: str) -> list[str]:
    out: list[str] = []
    for nic in nics:
        nrg, nname = _rg_name(nic.id)
        for e in nic.edits:
            for rule in e.remove:
                out.append(
                    f"az network nic ip-config inbound-nat-rule remove -g {_q(nrg)} "
                    f"--nic-name {_q(nname)} -n {_q(e.ip_configuration)} --lb-name {_q(lb_name)} "
                    f"--inbound-nat-rule {_q(short(rule))}"
                )
            for pool in e.add_backend_pools:
                out.append(
                    f"az network nic ip-config address-pool add -g {_q(nrg)} --nic-name {_q(nname)} "
                    f"-n {_q(e.ip_configuration)} --lb-name {_q(lb_name)} --address-pool {_q(short(pool))}"
                )
    return out


def _vmss_update(ss: ScaleSetChange) -> list[str]:
    sets: list[str] = []
    for e in ss.edits:
        if e.nic_configuration_index is None or e.ip_configuration_index is None or e.nat_after is None:
            return [
                f"# {ss.name}: not in the input; edit {e.nic_configuration}/{e.ip_configuration} by hand: "
                f"remove {', '.join(short(r) for r in e.remove)}; "
                f"add {', '.join(short(p) for p in e.add_backend_pools)}"
            ]
        path = (
            f"virtualMachineProfile.networkProfile.networkInterfaceConfigurations[{e.nic_configuration_index}]"
            f".ipConfigurations[{e.ip_configuration_index}]"
        )
        nat = json.dumps([{"id": i} for i in e.nat_after], separators=(",", ":"))
        sets.append(_q(f"{path}.loadBalancerInboundNatPools={nat}"))
        if e.add_backend_pools and e.backend_pools_after is not None:
            pools = json.dumps([{"id": i} for i in e.backend_pools_after], separators=(",", ":"))
            sets.append(_q(f"{path}.loadBalancerBackendAddressPools={pools}"))
    if ss.switch_to_manual:
        sets.append("upgradePolicy.mode=Manual")  # for the run, in the same write
    return [f"az vmss update --ids {_q(ss.id)} --set " + " \\\n    ".join(sets)]


def _swap(lb: LoadBalancerPlan, name: str, tag: str, wave: int | None) -> list[str]:
    remove = sorted({short(r).lower() for r in lb.remove_nat_rules})
    add = [r.rest_body() for r in lb.nat_rules]
    suffix = "" if wave is None else f"-w{wave}"
    before = f'"$BACKUP_DIR/{name}.before-swap{suffix}.json"'
    body = f'"$BACKUP_DIR/{name}.swap{suffix}.json"'
    return [
        f'az rest --method get --url "$ARM$LB_ID?api-version=$API" > {before}',
        f"REMOVE_{tag}={_q(json.dumps(remove))}",
        f"ADD_{tag}={_q(json.dumps(add, separators=(',', ':')))}",
        f'jq --argjson remove "$REMOVE_{tag}" --argjson add "$ADD_{tag}" \\',
        f"  {_q(SWAP_FILTER)} \\",
        f"  {before} > {body}",
        f'ETAG="$(jq -r .etag {before})"',
        'az rest --method put --url "$ARM$LB_ID?api-version=$API" \\',
        '  --headers "$(jq -cn --arg e "$ETAG" \'{"If-Match": $e}\')" ' + f"--body @{body} > /dev/null",
    ]


def _verify(lb: LoadBalancerPlan) -> list[str]:
    out: list[str] = []
    pool_of_rule = {r.name: r.backend_address_pool for r in lb.nat_rules}
    seen: set[tuple[str, str]] = set()
    for m in lb.port_mappings:
        pool = pool_of_rule.get(m.new_rule)
        if pool is None or not m.target_id.startswith("/") or (pool, m.target_id) in seen:
            continue
        seen.add((pool, m.target_id))
        body = json.dumps({"ipConfiguration": {"id": m.target_id}}, separators=(",", ":"))
        expected = "?" if m.new_port is None else str(m.new_port)
        out.append(f"# {m.target}: expected {m.new_rule} -> {expected}")
        out.append(
            f'az rest --method post --url "$ARM$LB_ID/backendAddressPools/{short(pool)}'
            f'/queryInboundNatRulePortMapping?api-version=$API" --body {_q(body)}'
        )
    return out
