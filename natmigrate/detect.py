"""The detector: a pure function from a snapshot to findings of inbound NAT v1 use.

No I/O, no printing. Rule ids are stable and part of every output format's contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import msgspec

from natmigrate import ids
from natmigrate.model import (
    InboundNatRule,
    LoadBalancer,
    NetworkInterface,
    Origin,
    Ref,
    Resource,
    ScaleSet,
    Snapshot,
    Unresolved,
    UnresolvedField,
)

Severity = Literal["error", "warning"]
Verdict = Literal["pass", "warn", "fail", "error"]


class Rule(msgspec.Struct, frozen=True):
    """A detection rule's fixed description (used by SARIF, docs and help)."""

    id: str
    name: str
    severity: Severity
    summary: str
    help: str


RULES: dict[str, Rule] = {
    r.id: r
    for r in (
        Rule(
            "NATM001",
            "InboundNatPool",
            "error",
            "Inbound NAT pool defined on a load balancer",
            "Inbound NAT pools retire on 30 September 2027. Replace each pool with an inbound NAT rule v2 "
            "(a frontend port range targeting a backend pool); `natmigrate plan` shows how.",
        ),
        Rule(
            "NATM002",
            "ScaleSetNatPoolReference",
            "error",
            "Scale-set ip configuration references an inbound NAT pool",
            "Remove loadBalancerInboundNatPools from the scale set's ip configuration and add the backend "
            "pool that the replacing NAT rule v2 targets to loadBalancerBackendAddressPools.",
        ),
        Rule(
            "NATM003",
            "InboundNatRuleV1",
            "error",
            "Inbound NAT rule v1 (single frontend port bound to one ip configuration)",
            "Single-VM NAT rules v1 keep working (Azure does not retire them), but they cannot coexist with "
            "v2 rules on one load balancer's migration path; consider a v2 rule on a backend pool.",
        ),
        Rule(
            "NATM004",
            "NicNatRuleReference",
            "error",
            "NIC ip configuration references an inbound NAT rule (v1 association)",
            "A NIC ip configuration bound to a NAT rule through loadBalancerInboundNatRules is a v1 "
            "single-VM rule. To move to v2, reference a backend pool instead.",
        ),
        Rule(
            "NATM005",
            "IndeterminateInboundNat",
            "warning",
            "Whether inbound NAT v1 is present depends on values natmigrate cannot resolve",
            "Supply the parameter values (or a parameters file) or check the deployed resources with "
            "`natmigrate detect` on `az` output; natmigrate never treats an unknown as clean.",
        ),
    )
}

HELP_URI = "https://github.com/natmigrate/natmigrate/blob/main/docs/rules.md#"


def help_uri(rule_id: str) -> str:
    """Where a rule is explained: its section of ``docs/rules.md`` in the repository."""
    return f"{HELP_URI}{rule_id.lower()}"


# Unresolved properties that cannot hide inbound NAT v1; everything else unresolved on a load
# balancer, NIC or scale set makes the verdict indeterminate (never silently clean).
_IRRELEVANT = frozenset(
    p.lower()
    for p in (
        "loadBalancingRules",
        "probes",
        "backendAddressPools",
        "frontendIPConfigurations",
        "outboundRules",
        "loadBalancerBackendAddressPools",
        "backendIPConfigurations",
        "applicationGatewayBackendAddressPools",
        "applicationSecurityGroups",
        "networkInterfaces",
    )
)


class Finding(msgspec.Struct, frozen=True):
    """One detected use of inbound NAT v1 (or an indeterminate one)."""

    rule: str
    resource: str  # stable address: type path and names, no subscription or resource group
    message: str
    origin: Origin

    @property
    def severity(self) -> Severity:
        """From the rule."""
        return RULES[self.rule].severity

    @property
    def file(self) -> str:
        """The input file."""
        return self.origin.file

    @property
    def pointer(self) -> str:
        """JSON pointer (or a construct path for Bicep/Terraform)."""
        return self.origin.pointer

    @property
    def line(self) -> int | None:
        """1-based line."""
        return self.origin.line

    @property
    def column(self) -> int | None:
        """1-based column."""
        return self.origin.column

    def as_dict(self) -> dict[str, object]:
        """The JSON contract of a finding."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "resource": self.resource,
            "message": self.message,
            "pointer": self.pointer,
            "line": self.line,
            "column": self.column,
        }


def verdict(findings: list[Finding]) -> Verdict:
    """``fail`` when any v1 is found, ``warn`` when only indeterminate findings, else ``pass``."""
    if any(f.severity == "error" for f in findings):
        return "fail"
    if findings:
        return "warn"
    return "pass"


def address(resource_id: object, fallback: str) -> str:
    """A stable, readable resource address: ``Microsoft.Network/loadBalancers/lb/inboundNatPools/p``."""
    if isinstance(resource_id, str):
        parsed = ids.parse_id(resource_id)
        if parsed is not None:
            return "/".join(
                [parsed.namespace] + [f"{t}/{n}" for t, n in zip(parsed.types, parsed.names, strict=True)]
            )
        return resource_id
    return fallback


def _res_address(res: Resource, rtype: str) -> str:
    return address(res.id, f"{rtype}/{res.name}")


def _value(what: str, value: object) -> str:
    """``backend port 22``, ``backend port not set``, ``backend port `var.x` (unresolved)``: never
    ``None``, never an expression spliced into a number."""
    if value is None:
        return f"{what} not set"
    if isinstance(value, Unresolved):
        return f"{what} `{value.expression}` (unresolved)"
    return f"{what} {value}"


def _mapping(protocol: object, frontend: tuple[object, ...], backend: object) -> str:
    """``(Tcp 50000-50099 -> 22)`` when every part is known; otherwise each part named:
    ``(protocol not set, frontend ports 50000 to `var.start + 99` (unresolved), backend port 3389)``."""
    if all(isinstance(p, int) for p in (*frontend, backend)) and isinstance(protocol, str):
        return f"({protocol} {'-'.join(str(p) for p in frontend)} -> {backend})"
    proto = protocol if isinstance(protocol, str) else _value("protocol", protocol)
    if len(frontend) == 1:
        where = _value("frontend port", frontend[0])
    else:
        where = f"{_value('frontend ports', frontend[0])} to {_value('', frontend[1]).strip()}"
    return f"({proto}, {where}, {_value('backend port', backend)})"


def _refers(kind: str, ref: Ref) -> str:
    """``inbound NAT pool p on lb``, or, when the id is an expression natmigrate cannot evaluate,
    ``an inbound NAT pool given by the unresolved expression '...'``."""
    if isinstance(ref.id, Unresolved):
        return f"an {kind} given by the unresolved expression {ref.id.expression!r}"
    return f"{kind} {_ref_text(ref)}"


def _ref_text(ref: Ref) -> str:
    if isinstance(ref.id, Unresolved):
        return f"a target given by the unresolved expression {ref.id.expression!r}"
    parsed = ids.parse_id(ref.id)
    if parsed is None:
        return ref.id
    if len(parsed.names) >= 2:
        return f"{parsed.names[-1]} on {parsed.names[-2]}"
    return parsed.name


def detect(snapshot: Snapshot) -> list[Finding]:
    """All findings for one snapshot, in input order."""
    findings: list[Finding] = []
    for lb in snapshot.load_balancers:
        findings.extend(_load_balancer(lb))
    for ss in snapshot.scale_sets:
        findings.extend(_scale_set(ss))
    for nic in snapshot.network_interfaces:
        findings.extend(_nic(nic))
    for uf in snapshot.unresolved:
        findings.append(_indeterminate(f"input/{uf.property}", uf, "the template"))
    return findings


def _indeterminate(resource: str, uf: UnresolvedField, what: str) -> Finding:
    reason = f" ({uf.value.reason})" if uf.value.reason else ""
    return Finding(
        "NATM005",
        resource,
        f"{what}: {uf.property} is {uf.value.expression!r}{reason}; inbound NAT v1 may be present",
        uf.value.origin,
    )


def _relevant(fields: tuple[UnresolvedField, ...]) -> Iterator[UnresolvedField]:
    for uf in fields:
        prop = uf.property.split("[", 1)[0].lower()
        if prop not in _IRRELEVANT:
            yield uf


def _load_balancer(lb: LoadBalancer) -> Iterator[Finding]:
    lb_addr = _res_address(lb, "Microsoft.Network/loadBalancers")
    pool_names = {p.name.lower() for p in lb.inbound_nat_pools if isinstance(p.name, str)}
    for pool in lb.inbound_nat_pools:
        yield Finding(
            "NATM001",
            address(pool.id, f"{lb_addr}/inboundNatPools/{pool.name}"),
            f"load balancer {lb.name} defines inbound NAT pool {pool.name} "
            f"{_mapping(pool.protocol, (pool.frontend_port_range_start, pool.frontend_port_range_end), pool.backend_port)}",
            pool.origin,
        )
        for uf in _relevant(pool.unresolved):
            yield _indeterminate(address(pool.id, lb_addr), uf, f"NAT pool {pool.name}")
    inferred_pools: set[str] = set()
    for rule in lb.inbound_nat_rules:
        version = rule.version
        generated = rule.generated_from_pool
        if version == "v1" and generated is not None:
            if generated.lower() in pool_names or generated.lower() in inferred_pools:
                continue  # attributed to its pool
            inferred_pools.add(generated.lower())
            yield Finding(
                "NATM001",
                f"{lb_addr}/inboundNatPools/{generated}",
                f"load balancer {lb.name} has rule {rule.name}, which Azure generated from inbound NAT pool "
                f"{generated} for scale-set instance {_ref_text(rule.backend_ip_configuration)}"
                if rule.backend_ip_configuration
                else f"rule {rule.name} was generated from inbound NAT pool {generated}",
                rule.origin,
            )
        elif version == "v1":
            yield Finding(
                "NATM003",
                address(rule.id, f"{lb_addr}/inboundNatRules/{rule.name}"),
                _v1_rule_message(lb, rule),
                rule.origin,
            )
        elif version == "indeterminate":
            detail = next(
                (
                    f"{name} is {v.expression!r}"
                    for name, v in (
                        ("frontendPort", rule.frontend_port),
                        ("frontendPortRangeStart", rule.frontend_port_range_start),
                        ("frontendPortRangeEnd", rule.frontend_port_range_end),
                    )
                    if isinstance(v, Unresolved)
                ),
                "its properties are unresolved",
            )
            yield Finding(
                "NATM005",
                address(rule.id, f"{lb_addr}/inboundNatRules/{rule.name}"),
                f"inbound NAT rule {rule.name} on {lb.name} may be v1 or v2: {detail}",
                rule.origin,
            )
    for uf in _relevant(lb.unresolved):
        yield _indeterminate(lb_addr, uf, f"load balancer {lb.name}")


def _v1_rule_message(lb: LoadBalancer, rule: InboundNatRule) -> str:
    target = ""
    if rule.backend_ip_configuration is not None:
        target = f", bound to {_ref_text(rule.backend_ip_configuration)}"
    return (
        f"load balancer {lb.name} has v1 inbound NAT rule {rule.name} "
        f"{_mapping(rule.protocol, (rule.frontend_port,), rule.backend_port)}{target}"
    )


def _scale_set(ss: ScaleSet) -> Iterator[Finding]:
    ss_addr = _res_address(ss, "Microsoft.Compute/virtualMachineScaleSets")
    for ipc in ss.ip_configurations:
        where = (
            f"{ss_addr}/networkInterfaceConfigurations/{ipc.nic_configuration}/ipConfigurations/{ipc.name}"
        )
        for ref in ipc.nat_pools:
            yield Finding(
                "NATM002",
                where,
                f"scale set {ss.name} ip configuration {ipc.name} references "
                f"{_refers('inbound NAT pool', ref)}",
                ref.origin,
            )
        for uf in _relevant(ipc.unresolved):
            yield _indeterminate(where, uf, f"scale set {ss.name} ip configuration {ipc.name}")
    for uf in _relevant(ss.unresolved):
        yield _indeterminate(ss_addr, uf, f"scale set {ss.name}")


def _nic(nic: NetworkInterface) -> Iterator[Finding]:
    nic_addr = _res_address(nic, "Microsoft.Network/networkInterfaces")
    # A Uniform scale-set instance's NIC lists the rules Azure generated from the scale set's NAT
    # pools; those are reported once, on the pool and the scale-set model (NATM001/NATM002).
    virtual = isinstance(nic.id, str) and "/virtualmachinescalesets/" in nic.id.lower()
    for ipc in nic.ip_configurations:
        where = f"{nic_addr}/ipConfigurations/{ipc.name}"
        if not virtual:
            for ref in ipc.nat_rules:
                yield Finding(
                    "NATM004",
                    where,
                    f"NIC {nic.name} ip configuration {ipc.name} references "
                    f"{_refers('inbound NAT rule', ref)}",
                    ref.origin,
                )
        for uf in _relevant(ipc.unresolved):
            yield _indeterminate(where, uf, f"NIC {nic.name} ip configuration {ipc.name}")
    for uf in _relevant(nic.unresolved):
        yield _indeterminate(nic_addr, uf, f"NIC {nic.name}")
