"""``plan -o az-cli``: a reviewable bash script of the equivalent ``az`` commands.

The order is the one Azure accepts (and the plan's steps): the scale sets and NICs drop their NAT
references and roll out *before* the load balancer loses its NAT pools. Microsoft's Learn page
deletes the pool first, which Azure refuses while a scale set still references it. The load
balancer's final change is one ``az rest`` PUT built with ``jq`` from a fresh GET, sent with
``If-Match`` so that a concurrent change makes it fail instead of being overwritten.
"""

from __future__ import annotations

import json
import re
import shlex

from natmigrate import ids
from natmigrate.azure.apiversions import NETWORK as API_VERSION  # what natmigrate itself sends
from natmigrate.plan.model import LoadBalancerPlan, NicChange, Plan, ScaleSetChange
from natmigrate.plan.waves import DEFAULT_WAVE, nic_waves
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


def _lb(lb: LoadBalancerPlan) -> list[str]:
    rg, name = _rg_name(lb.id)
    tag = re.sub(r"\W", "_", name)
    out = [
        f"# ==== load balancer {name} (resource group {rg}) ====",
        f"LB_ID={_q(lb.id)}",
        "",
        "# 1. backup: every resource to be touched",
        f'az rest --method get --url "$ARM$LB_ID?api-version=$API" > "$BACKUP_DIR/{name}.json"',
    ]
    for ss in lb.scale_sets:
        out.append(f'az vmss show --ids {_q(ss.id)} > "$BACKUP_DIR/vmss-{short(ss.id)}.json"')
    for nic in lb.network_interfaces:
        out.append(f'az network nic show --ids {_q(nic.id)} > "$BACKUP_DIR/nic-{short(nic.id)}.json"')
    out.append("")
    step = 2
    created = [p for p in lb.backend_pools if p.action == "create"]
    if created:
        out.append(f"# {step}. add the backend pools the v2 rules target (no traffic change)")
        out += [
            f"az network lb address-pool create -g {_q(rg)} --lb-name {_q(name)} -n {_q(p.name)}"
            for p in created
        ]
        out.append("")
        step += 1
    switch = [s for s in lb.scale_sets if s.switch_to_manual]
    if switch:
        out.append(f"# {step}. switch Rolling scale sets to Manual for the migration")
        out += [f"az vmss update --ids {_q(s.id)} --set upgradePolicy.mode=Manual" for s in switch]
        out.append("")
        step += 1
    if lb.scale_sets:
        out.append(
            f"# {step}. each scale set's model, once: NAT pool references out, backend pool references in"
        )
        for ss in lb.scale_sets:
            out += _vmss_update(ss)
        out.append("")
        step += 1
    waves = nic_waves(lb, DEFAULT_WAVE)
    if len(waves) > 1:
        # Single-VM rules: as natmigrate runs them, each wave's NICs and then that wave's swap.
        for k, wave in enumerate(waves, 1):
            out.append(
                f"# {step}. wave {k} of {len(waves)}: these NICs, once: v1 NAT rule references out, backend pool references in"
            )
            out += _nic_updates(wave.nics, name)
            out.append("")
            out += _swap(wave.plan, f"{step}b", name, f"{tag}_W{k}", wave=k)
            step += 1
        out += _verify(lb, step)
        return out
    if lb.network_interfaces:
        out.append(f"# {step}. each NIC, once: v1 NAT rule references out, backend pool references in")
        out += _nic_updates(lb.network_interfaces, name)
        out.append("")
        step += 1
    if lb.scale_sets:
        out.append(f"# {step}. roll the model out to the instances, once")
        for ss in lb.scale_sets:
            srg, sname = _rg_name(ss.id)
            if ss.upgrade_mode.lower() == "automatic" and not ss.switch_to_manual:
                out.append(f"# {sname}: Automatic upgrades: wait until every instance has the latest model")
                out.append(
                    f'until [ "$(az vmss list-instances -g {_q(srg)} -n {_q(sname)} '
                    "--query 'length([?!latestModelApplied])' -o tsv)\" = 0 ]; do sleep 15; done"
                )
            else:
                out.append(f"az vmss update-instances -g {_q(srg)} -n {_q(sname)} --instance-ids '*'")
        out.append("")
        step += 1
    out += _swap(lb, step, name, tag)
    step += 1
    if switch:
        out.append(f"# {step}. switch the scale sets back to Rolling upgrades")
        out += [f"az vmss update --ids {_q(s.id)} --set upgradePolicy.mode=Rolling" for s in switch]
        out.append("")
        step += 1
    out += _verify(lb, step)
    return out


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
    return [f"az vmss update --ids {_q(ss.id)} --set " + " \\\n    ".join(sets)]


def _swap(lb: LoadBalancerPlan, step: int | str, name: str, tag: str, wave: int | None = None) -> list[str]:
    remove = sorted({short(r).lower() for r in lb.remove_nat_rules})
    add = [r.rest_body() for r in lb.nat_rules]
    suffix = "" if wave is None else f"-w{wave}"
    before = f'"$BACKUP_DIR/{name}.before-swap{suffix}.json"'
    body = f'"$BACKUP_DIR/{name}.swap{suffix}.json"'
    what = (
        "NAT pools and v1 rules out, v2 rules in"
        if wave is None
        else f"wave {wave}'s v1 rules out, their v2 rules in"
    )
    return [
        f"# {step}. one load balancer write: {what}",
        f'az rest --method get --url "$ARM$LB_ID?api-version=$API" > {before}',
        f"REMOVE_{tag}={_q(json.dumps(remove))}",
        f"ADD_{tag}={_q(json.dumps(add, separators=(',', ':')))}",
        f'jq --argjson remove "$REMOVE_{tag}" --argjson add "$ADD_{tag}" \\',
        f"  {_q(SWAP_FILTER)} \\",
        f"  {before} > {body}",
        f'ETAG="$(jq -r .etag {before})"',
        'az rest --method put --url "$ARM$LB_ID?api-version=$API" \\',
        '  --headers "$(jq -cn --arg e "$ETAG" \'{"If-Match": $e}\')" ' + f"--body @{body} > /dev/null",
        "",
    ]


def _verify(lb: LoadBalancerPlan, step: int) -> list[str]:
    out = [f"# {step}. read the new port mapping (compare with the plan's table)"]
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
    out.append("")
    return out
