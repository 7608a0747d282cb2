"""Load-balancer semantics: what a PUT body means, Azure's validation rules, and the read-only view.

The stored form of a load balancer holds only what a client may write (unknown properties
included, so they survive GET -> modify -> PUT). Everything read-only -- generated NAT rules,
``backendIPConfiguration``, ``backendIPConfigurations``, back-references, ``frontendPort: 0`` on v2
rules -- is recomputed by :func:`render` from the stored form plus the targets that reference it.
Each rule cites its source in ``docs/simulator-fidelity.md``; the ``# rule:`` comments name it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from natmigrate.ids import id_key
from natmigrate.lb_layout import COLLECTIONS, READ_ONLY_CHILD_PROPS
from natmigrate.simulator.armerror import ArmError, bad_request
from natmigrate.simulator.targets import Target, props
from natmigrate.simulator.timeline import Mapping as NatMapping

_GENERATED = re.compile(r"^(?P<pool>.+?)\.\d{1,6}(\..+)?$")
PROTOCOLS = ("tcp", "udp", "all")


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _copy_obj(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(value))
    return out


def children(lb: Mapping[str, Any], collection: str) -> list[dict[str, Any]]:
    """One child collection of a stored load balancer (empty when absent)."""
    value = props(lb).get(collection)
    return value if isinstance(value, list) else []


def child_id(lb_id: str, collection: str, name: str) -> str:
    """The id of a child element."""
    return f"{lb_id}/{collection}/{name}"


def generated_rule_pool(rule_name: str, pool_names: Iterable[str]) -> str | None:
    """The pool a rule named ``<pool>.<n>[.<nic>.<ipconfig>]`` was generated from, when that pool exists."""
    m = _GENERATED.match(rule_name)
    if not m:
        return None
    wanted = m.group("pool").lower()
    for name in pool_names:
        if name.lower() == wanted:
            return name
    return None


# ------------------------------------------------------------------------------------ normalise


def writable_copy(body: Any) -> dict[str, Any]:
    """A copy of a PUT body without the envelope's read-only fields (``etag``, ``id``, ``name``,
    ``type``, ``provisioningState``), with a ``properties`` object (400 when the shape is wrong)."""
    if not isinstance(body, Mapping):
        raise bad_request("InvalidRequestFormat", "The request body must be a JSON object.")
    out = _copy_obj(body)
    for key in ("etag", "id", "name", "type"):
        out.pop(key, None)
    p = out.get("properties")
    if p is None:
        p = out["properties"] = {}
    if not isinstance(p, dict):
        raise bad_request("InvalidRequestFormat", "Property 'properties' must be a JSON object.")
    p.pop("provisioningState", None)
    return out


def normalise(body: Any, lb_id: str, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The stored form of a PUT body: read-only fields and pool-generated rules dropped, child ids
    and types filled in. ``previous`` is the stored load balancer before the PUT (or ``None``)."""
    out = writable_copy(body)
    p = out["properties"]
    p.pop("resourceGuid", None)
    old_pool_names = [str(c.get("name")) for c in children(previous, "inboundNatPools")] if previous else []
    for coll in COLLECTIONS:
        items = p.get(coll)
        if items is None:
            continue
        if not isinstance(items, list):
            raise bad_request("InvalidRequestFormat", f"Property '{coll}' must be an array.")
        seen: set[str] = set()
        kept = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise bad_request("InvalidRequestFormat", f"Element {n} of '{coll}' must be a JSON object.")
            name = item.get("name")
            if not isinstance(name, str) or not name:
                name = _name_from_id(item.get("id"))
            if not name:
                raise bad_request("InvalidRequestFormat", f"Element {n} of '{coll}' has no name.")
            if name.lower() in seen:
                # rule: duplicate child names (assumed code)
                raise bad_request(
                    "DuplicateResourceName", f"Load balancer {lb_id} has two {coll} named {name}."
                )
            seen.add(name.lower())
            cp = item.get("properties")
            if cp is None:
                cp = item["properties"] = {}
            if not isinstance(cp, dict):
                raise bad_request(
                    "InvalidRequestFormat", f"'{coll}/{name}/properties' must be a JSON object."
                )
            if coll == "inboundNatRules":
                pools = [str(c.get("name")) for c in p.get("inboundNatPools") or [] if isinstance(c, dict)]
                if generated_rule_pool(name, [*pools, *old_pool_names]) is not None and _was_generated(
                    previous, name
                ):
                    continue  # pool-generated rules are recomputed, never written
            for ro in (*READ_ONLY_CHILD_PROPS[coll], "provisioningState"):
                cp.pop(ro, None)
            item.pop("etag", None)
            item["name"] = name
            item["id"] = child_id(lb_id, coll, name)
            item["type"] = f"Microsoft.Network/loadBalancers/{coll}"
            kept.append(item)
        p[coll] = kept
    return out


def _was_generated(previous: Mapping[str, Any] | None, name: str) -> bool:
    """True unless the previous stored form holds a user rule of this name (user rules are stored;
    generated ones never are)."""
    if previous is None:
        return True
    return not any(
        str(c.get("name", "")).lower() == name.lower() for c in children(previous, "inboundNatRules")
    )


def _name_from_id(value: Any) -> str | None:
    if isinstance(value, str) and "/" in value:
        return value.rstrip("/").rsplit("/", 1)[1] or None
    return None


# ------------------------------------------------------------------------------------ validation


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _port(
    cp: Mapping[str, Any], key: str, lo: int, hi: int, where: str, required: bool = False
) -> int | None:
    value = cp.get(key)
    if value is None:
        if required:
            raise bad_request("InvalidRequestFormat", f"{where}: property '{key}' is required.")
        return None
    n = _int(value)
    if n is None or not lo <= n <= hi:
        # rule: port bounds [spec]
        raise bad_request(
            "InvalidRequestFormat" if n is None else "InvalidPortValue",
            f"{where}: '{key}' is {value!r}; it must be an integer between {lo} and {hi}.",
        )
    return n


def _ref(cp: Mapping[str, Any], key: str) -> str | None:
    value = cp.get(key)
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return id_key(value["id"])
    return None


def _refs(cp: Mapping[str, Any], key: str) -> list[str]:
    value = cp.get(key)
    if not isinstance(value, list):
        return []
    return [id_key(v["id"]) for v in value if isinstance(v, Mapping) and isinstance(v.get("id"), str)]


def _protocol(cp: Mapping[str, Any], where: str, required: bool) -> str | None:
    value = cp.get("protocol")
    if value is None:
        if required:
            raise bad_request("InvalidRequestFormat", f"{where}: property 'protocol' is required.")
        return None
    if not isinstance(value, str) or value.lower() not in PROTOCOLS:
        raise bad_request("InvalidRequestFormat", f"{where}: protocol {value!r} is not one of Tcp, Udp, All.")
    return value.lower()


def _dangling(referrer: str, target: str) -> ArmError:
    # rule: dangling references -> InvalidResourceReference [issue Azure/azure-libraries-for-net#740]
    return bad_request(
        "InvalidResourceReference",
        f"Resource {target} referenced by resource {referrer} was not found. Please make sure that the "
        "referenced resource exists, and that both resources are in the same region.",
    )


@dataclass(frozen=True, slots=True)
class PortClaim:
    """A frontend port range some rule or pool reserves on a frontend."""

    owner: str
    frontend: str
    protocol: str
    start: int
    end: int


def _overlap(a: str, b: str) -> bool:
    return a == b or "all" in (a, b)


def is_v2(cp: Mapping[str, Any]) -> bool:
    """A rule that targets a backend pool (or has a port range): v2."""
    return (
        cp.get("backendAddressPool") is not None
        or cp.get("frontendPortRangeStart") is not None
        or cp.get("frontendPortRangeEnd") is not None
    )


def validate(lb: Mapping[str, Any]) -> None:
    """Azure's rules that depend on the load balancer alone (raises :class:`ArmError`)."""
    known = _Known.of(lb)
    claims = [
        *_check_load_balancing_rules(lb, known),
        *_check_nat_pools(lb, known),
        *_check_nat_rules(lb, known),
    ]
    _check_outbound_rules(lb, known)
    _check_probes(lb)
    _check_no_overlapping_ports(claims)


@dataclass(frozen=True, slots=True)
class _Known:
    """The id keys of a load balancer's own children, which its rules may reference."""

    frontends: frozenset[str]
    pools: frozenset[str]
    probes: frozenset[str]

    @classmethod
    def of(cls, lb: Mapping[str, Any]) -> _Known:
        def keys(coll: str) -> frozenset[str]:
            return frozenset(id_key(str(c["id"])) for c in children(lb, coll))

        return cls(keys("frontendIPConfigurations"), keys("backendAddressPools"), keys("probes"))

    def frontend(self, cp: Mapping[str, Any], where: str) -> str:
        """The frontend a rule must name, as an id key (400 when missing or dangling)."""
        fe = _ref(cp, "frontendIPConfiguration")
        if fe is None:
            raise bad_request("InvalidRequestFormat", f"{where}: 'frontendIPConfiguration' is required.")
        if fe not in self.frontends:
            raise _dangling(where, cp["frontendIPConfiguration"]["id"])
        return fe

    def pool(self, ref: str | None, where: str) -> None:
        """A backend pool reference must name one of the load balancer's pools."""
        if ref is not None and ref not in self.pools:
            raise _dangling(where, ref)


def _check_load_balancing_rules(lb: Mapping[str, Any], known: _Known) -> list[PortClaim]:
    claims = []
    for rule in children(lb, "loadBalancingRules"):
        where, cp = str(rule["id"]), props(rule)
        fe = known.frontend(cp, where)
        proto = _protocol(cp, where, True)
        fport = _port(cp, "frontendPort", 0, 65534, where, required=True)
        _port(cp, "backendPort", 0, 65535, where)
        for ref in [_ref(cp, "backendAddressPool"), *_refs(cp, "backendAddressPools")]:
            known.pool(ref, where)
        probe = _ref(cp, "probe")
        if probe is not None and probe not in known.probes:
            raise _dangling(where, probe)
        if proto and fport:  # port 0 (HA ports) is checked by Azure differently; not modelled
            claims.append(PortClaim(where, fe, proto, fport, fport))
    return claims


def _check_outbound_rules(lb: Mapping[str, Any], known: _Known) -> None:
    for rule in children(lb, "outboundRules"):
        where, cp = str(rule["id"]), props(rule)
        for fe in _refs(cp, "frontendIPConfigurations"):
            if fe not in known.frontends:
                raise _dangling(where, fe)
        known.pool(_ref(cp, "backendAddressPool"), where)


def _check_probes(lb: Mapping[str, Any]) -> None:
    for probe in children(lb, "probes"):
        _port(props(probe), "port", 1, 65535, str(probe["id"]))


def _check_range(start: int, end: int, where: str) -> None:
    if start > end:
        raise bad_request(
            "InvalidFrontendPortRange",
            f"{where}: frontendPortRangeStart {start} is above frontendPortRangeEnd {end}.",
        )


def _check_nat_pools(lb: Mapping[str, Any], known: _Known) -> list[PortClaim]:
    claims = []
    for pool in children(lb, "inboundNatPools"):
        where, cp = str(pool["id"]), props(pool)
        fe = known.frontend(cp, where)
        proto = _protocol(cp, where, True)
        start = _port(cp, "frontendPortRangeStart", 1, 65534, where, required=True)
        end = _port(cp, "frontendPortRangeEnd", 1, 65535, where, required=True)
        _port(cp, "backendPort", 1, 65535, where, required=True)
        assert start is not None and end is not None and proto is not None
        _check_range(start, end, where)
        claims.append(PortClaim(where, fe, proto, start, end))
    return claims


def _check_nat_rules(lb: Mapping[str, Any], known: _Known) -> list[PortClaim]:
    nat_pools, user_rules = children(lb, "inboundNatPools"), children(lb, "inboundNatRules")
    if nat_pools and user_rules:
        # rule: NAT pools and user NAT rules are mutually exclusive [spec; ms-script README]
        raise bad_request(
            "InboundNatPoolsAndInboundNatRulesCannotCoexist",
            f"Load balancer {lb['id']} cannot have both inbound NAT pools and inbound NAT rules "
            f"(defining inbound NAT rules is mutually exclusive with defining an inbound NAT pool). "
            f"Pools: {', '.join(str(p['name']) for p in nat_pools)}; rules: "
            f"{', '.join(str(r['name']) for r in user_rules)}.",
        )
    return [_check_nat_rule(rule, known) for rule in user_rules]


def _check_nat_rule(rule: Mapping[str, Any], known: _Known) -> PortClaim:
    """One user NAT rule: a v1 rule (one frontend port) or a v2 rule (a range over a backend pool)."""
    where, cp = str(rule["id"]), props(rule)
    fe = known.frontend(cp, where)
    proto = _protocol(cp, where, False) or "tcp"
    _port(cp, "backendPort", 1, 65535, where, required=True)
    fport = _port(cp, "frontendPort", 0, 65534, where)
    start = _port(cp, "frontendPortRangeStart", 1, 65534, where)
    end = _port(cp, "frontendPortRangeEnd", 1, 65534, where)
    target_pool = _ref(cp, "backendAddressPool")
    has_range = start is not None or end is not None
    if fport and has_range:
        # rule: frontendPort and a range are exclusive [issue Azure/azure-cli#21583]
        raise bad_request(
            "UnsupportedSetOfInboundNatRulePropertiesWhenFrontendPortIsSpecified",
            f"If FrontendPort {fport} is set, properties FrontendPortRangeStart, FrontendPortRangeEnd "
            f"should be null. Rule: {where}.",
        )
    if (target_pool is not None or has_range) and (start is None or end is None):
        # rule: a v2 rule needs both range ends [issue Azure/azure-cli#21583]
        raise bad_request(
            "MissedInboundNatRuleV2Properties",
            "For inbound Nat rule V2 properties FrontendPortRangeStart, FrontendPortRangeEnd should not "
            f"be null. Rule: {where}.",
        )
    if target_pool is not None and target_pool not in known.pools:
        raise _dangling(where, cp["backendAddressPool"]["id"])
    if start is not None and end is not None:
        _check_range(start, end, where)
        return PortClaim(where, fe, proto, start, end)
    if not fport:
        # rule: a v1 rule needs a frontend port (assumed)
        raise bad_request(
            "InvalidRequestFormat", f"{where}: a NAT rule needs 'frontendPort' or a frontend port range."
        )
    return PortClaim(where, fe, proto, fport, fport)


def _check_no_overlapping_ports(claims: list[PortClaim]) -> None:
    """rule: no overlapping frontend ports/ranges on one frontend [spec; doc nat-pool-migration;
    doc update-load-balancer-with-vm-scale-set]"""
    claims = sorted(claims, key=lambda c: (c.frontend, c.start))
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if b.frontend != a.frontend:
                break
            if b.start > a.end:
                continue
            if _overlap(a.protocol, b.protocol):
                raise bad_request(
                    "FrontendPortRangeOverlap"
                    if a.start != a.end or b.start != b.end
                    else "DuplicateFrontendPort",
                    f"{b.owner} uses frontend ports {b.start}-{b.end}, which overlap ports "
                    f"{a.start}-{a.end} of "
                    f"{a.owner} on frontend IP configuration {a.frontend}.",
                )


# ------------------------------------------------------------------------------------ ports


@dataclass(frozen=True, slots=True)
class BackendUse:
    """A (protocol, backend port) some rule delivers to a target."""

    rule: str
    protocol: str
    port: int
    floating: bool


def _use(element: Mapping[str, Any], cp: Mapping[str, Any], port: int) -> BackendUse:
    return BackendUse(
        str(element["name"]), str(cp.get("protocol", "tcp")).lower(), port, bool(cp.get("enableFloatingIP"))
    )


@dataclass(slots=True)
class BackendIndex:
    """The rules of one load balancer that deliver to backends, indexed by what they target.

    Built once per refresh: checking every ip configuration against every rule on every write made
    a migration of N single-VM rules cost N² per write.
    """

    lb_rules: list[tuple[BackendUse, frozenset[str]]]  # in order, with the pools each rule targets
    nat_rules_by_pool: dict[str, list[tuple[int, BackendUse]]]  # pool key -> (position, use)
    nat_rules_by_id: dict[str, tuple[int, BackendUse]]  # rule id key -> (position, use)
    nat_pools_by_id: dict[str, tuple[int, BackendUse]]  # pool id key -> (position, use)


def backend_index(lb: Mapping[str, Any]) -> BackendIndex:
    """Index ``lb``'s load-balancing rules, NAT rules and NAT pools for :func:`backend_uses`."""
    index = BackendIndex([], {}, {}, {})
    for rule in children(lb, "loadBalancingRules"):
        cp = props(rule)
        port = _int(cp.get("backendPort"))
        rpools = frozenset(
            p for p in [_ref(cp, "backendAddressPool"), *_refs(cp, "backendAddressPools")] if p
        )
        if port:
            index.lb_rules.append((_use(rule, cp, port), rpools))
    for position, rule in enumerate(children(lb, "inboundNatRules")):
        cp = props(rule)
        port = _int(cp.get("backendPort"))
        if not port:
            continue
        use = (position, _use(rule, cp, port))
        pool = _ref(cp, "backendAddressPool")
        if pool is not None:
            index.nat_rules_by_pool.setdefault(pool, []).append(use)
        index.nat_rules_by_id[id_key(str(rule["id"]))] = use
    for position, nat_pool in enumerate(children(lb, "inboundNatPools")):
        cp = props(nat_pool)
        port = _int(cp.get("backendPort"))
        if port:
            index.nat_pools_by_id[id_key(str(nat_pool["id"]))] = (position, _use(nat_pool, cp, port))
    return index


def backend_uses(
    lb: Mapping[str, Any], target: Target, index: BackendIndex | None = None
) -> list[BackendUse]:
    """Every rule of ``lb`` that delivers traffic to ``target``, with its protocol and backend port
    (load-balancing rules, then NAT rules, then NAT pools, each in the load balancer's order)."""
    index = index if index is not None else backend_index(lb)
    tpools = set(target.backend_pools)
    uses = [use for use, rpools in index.lb_rules if rpools & tpools]
    nat: dict[int, BackendUse] = {}
    for pool in tpools:
        for position, use in index.nat_rules_by_pool.get(pool, ()):
            nat[position] = use
    for rule_key in target.nat_rules:
        found = index.nat_rules_by_id.get(rule_key)
        if found is not None:
            nat[found[0]] = found[1]
    uses.extend(nat[p] for p in sorted(nat))
    pools = [index.nat_pools_by_id[k] for k in set(target.nat_pools) if k in index.nat_pools_by_id]
    uses.extend(use for _, use in sorted(pools, key=lambda pu: pu[0]))
    return uses


def check_backend_ports(lb: Mapping[str, Any], target: Target, index: BackendIndex | None = None) -> None:
    """rule: one load balancer may not send the same protocol and backend port to one ip
    configuration twice [doc: load-balancer-common-deployment-errors; doc: nat-pool-migration]."""
    uses = backend_uses(lb, target, index)
    for i, a in enumerate(uses):
        for b in uses[i + 1 :]:
            if a.port == b.port and _overlap(a.protocol, b.protocol) and not (a.floating and b.floating):
                suffix = "VmssIPConfig" if target.kind in ("instance", "model") else "IPConfig"
                raise bad_request(
                    f"RulesOfSameLoadBalancerTypeUseSameBackendPortProtocolAnd{suffix}",
                    f"Rules {a.rule} and {b.rule} of load balancer {lb['id']} use the same protocol "
                    f"{a.protocol} and backend port {a.port} and are referenced by the same ip "
                    f"configuration {target.id}.",
                )


@dataclass(slots=True)
class LbMappings:
    """Result of :func:`mappings`: the NAT mappings and the port allocations they use."""

    mappings: list[NatMapping]
    allocations: dict[str, dict[str, int]]


def mappings(
    lb: Mapping[str, Any], targets: list[Target], allocations: Mapping[str, Mapping[str, int]]
) -> LbMappings:
    """Every working NAT mapping of ``lb`` (raises 400 when a port range is too small).

    Ports already handed out stay (rule: v2 mappings are stable when members leave [doc:
    inbound-nat-rules]). New members get ports in ``Target.order`` (scale set after scale set,
    instance id ascending [ms-script README]): for NAT pools ``start + instanceId`` when free, else
    the lowest free port (assumed); for v2 rules the lowest free port (assumed).
    """
    lb_id = str(lb["id"])
    out: list[NatMapping] = []
    new_alloc: dict[str, dict[str, int]] = {}
    by_pool: dict[str, list[Target]] = {}
    by_natpool: dict[str, list[Target]] = {}
    by_rule: dict[str, list[Target]] = {}
    for t in targets:
        for k in t.backend_pools:
            by_pool.setdefault(k, []).append(t)
        for k in t.nat_pools:
            by_natpool.setdefault(k, []).append(t)
        for k in t.nat_rules:
            by_rule.setdefault(k, []).append(t)

    for pool in children(lb, "inboundNatPools"):
        cp = props(pool)
        name = str(pool["name"])
        members = sorted(by_natpool.get(id_key(str(pool["id"])), []), key=lambda t: t.order)
        start, end = int(cp["frontendPortRangeStart"]), int(cp["frontendPortRangeEnd"])
        alloc = _allocate(
            f"pool:{name.lower()}",
            members,
            allocations,
            start,
            end,
            prefer_instance_id=True,
            owner=pool["id"],
            code="InboundNatPoolFrontendPortRangeSmallerThanRequestedPorts",
        )
        new_alloc[f"pool:{name.lower()}"] = alloc
        numbers = _rule_numbers(members, allocations.get(rule_numbers_key(name), {}))
        new_alloc[rule_numbers_key(name)] = numbers
        rule_names = generated_rule_names(name, members, numbers)
        for t in members:
            out.append(
                NatMapping(
                    target=t.id,
                    load_balancer=lb_id,
                    rule=rule_names[t.key],
                    kind="nat-pool",
                    frontend_ip=str(cp["frontendIPConfiguration"]["id"]),
                    frontend_port=alloc[t.key],
                    protocol=str(cp.get("protocol", "Tcp")),
                    backend_port=int(cp["backendPort"]),
                )
            )
    for rule in children(lb, "inboundNatRules"):
        cp = props(rule)
        name = str(rule["name"])
        fe = cp.get("frontendIPConfiguration")
        fe_id = str(fe["id"]) if isinstance(fe, Mapping) else ""
        proto = str(cp.get("protocol", "Tcp"))
        bport = _int(cp.get("backendPort")) or 0
        pool_ref = _ref(cp, "backendAddressPool")
        if pool_ref is not None:
            members = sorted(by_pool.get(pool_ref, []), key=lambda t: t.order)
            start, end = int(cp["frontendPortRangeStart"]), int(cp["frontendPortRangeEnd"])
            alloc = _allocate(
                f"rule:{name.lower()}",
                members,
                allocations,
                start,
                end,
                prefer_instance_id=False,
                owner=rule["id"],
                code="InboundNatRuleFrontendPortRangeSmallerThanRequestedPorts",
            )
            new_alloc[f"rule:{name.lower()}"] = alloc
            for t in members:
                out.append(NatMapping(t.id, lb_id, name, "v2-rule", fe_id, alloc[t.key], proto, bport))
        else:
            fport = _int(cp.get("frontendPort"))
            for t in by_rule.get(id_key(str(rule["id"])), []):
                if fport:
                    out.append(NatMapping(t.id, lb_id, name, "v1-rule", fe_id, fport, proto, bport))
    return LbMappings(out, new_alloc)


def rule_numbers_key(pool: str) -> str:
    """Where a load balancer's allocations keep the ``n`` of each generated rule of ``pool``."""
    return f"pool-rules:{pool.lower()}"


def _rule_numbers(members: list[Target], kept: Mapping[str, int]) -> dict[str, int]:
    """The ``n`` of each member's generated rule (by ``Target.key``).

    Unique per pool across every scale set using it, so two scale sets sharing a pool (each with an
    instance 0) never give two rules one name; kept while the member stays (as its port is, so a
    rule is never renamed under a working mapping). A new member's is its instance id when no other
    instance holds that number, else the lowest free one (assumed); the ip configurations of one
    instance share their instance's number (their names differ by NIC and ip configuration)."""
    instance_of = {t.key: (id_key(t.owner), t.instance_id) for t in members}
    by_instance: dict[tuple[str, int | None], int] = {}
    out: dict[str, int] = {}
    for t in members:
        n = kept.get(t.key)
        if n is not None and by_instance.setdefault(instance_of[t.key], n) == n:
            out[t.key] = n
    held = set(by_instance.values())
    for t in members:
        if t.key in out:
            continue
        instance = instance_of[t.key]
        n = by_instance.get(instance)
        if n is None:
            n = t.instance_id if t.instance_id is not None and t.instance_id not in held else 0
            while n in held:
                n += 1
            by_instance[instance] = n
            held.add(n)
        out[t.key] = n
    return out


def generated_rule_names(pool: str, members: list[Target], numbers: Mapping[str, int]) -> dict[str, str]:
    """The name of each member's generated rule (by ``Target.key``): ``<pool>.<n>``, or
    ``<pool>.<n>.<nic>.<ipconfig>`` when one instance has several ip configurations in the pool
    [ms-script NatRulesMigration.psm1 comment]; ``n`` from :func:`_rule_numbers`. Whether Azure's
    ``n`` is the instance id is not documented [azure-facts 1.2]; see docs/simulator-fidelity.md."""
    per_instance: dict[tuple[str, int | None], int] = {}
    for t in members:
        instance = (id_key(t.owner), t.instance_id)
        per_instance[instance] = per_instance.get(instance, 0) + 1
    out: dict[str, str] = {}
    for t in members:
        name = f"{pool}.{numbers[t.key]}"
        if per_instance[(id_key(t.owner), t.instance_id)] > 1:
            parts = t.id.split("/")
            name += f".{parts[-3]}.{parts[-1]}"
        out[t.key] = name
    return out


def _allocate(
    key: str,
    members: list[Target],
    allocations: Mapping[str, Mapping[str, int]],
    start: int,
    end: int,
    *,
    prefer_instance_id: bool,
    owner: Any,
    code: str,
) -> dict[str, int]:
    old = allocations.get(key, {})
    member_keys = {t.key for t in members}
    alloc = {k: p for k, p in old.items() if k in member_keys and start <= p <= end}
    used = set(alloc.values())
    nxt = start
    for t in members:
        if t.key in alloc:
            continue
        port: int | None = None
        if prefer_instance_id and t.instance_id is not None:
            want = start + t.instance_id
            if want <= end and want not in used:
                port = want
        if port is None:
            while nxt <= end and nxt in used:
                nxt += 1
            if nxt > end:
                raise bad_request(
                    code,
                    f"The frontend port range {start}-{end} of {owner} is smaller than the number of "
                    f"requested ports ({len(members)} backend ip configurations).",
                )
            port = nxt
        alloc[t.key] = port
        used.add(port)
    return alloc


# ------------------------------------------------------------------------------------ render


def render(
    lb: Mapping[str, Any],
    targets: list[Target],
    allocations: Mapping[str, Mapping[str, int]],
    state: str,
    etag: str,
) -> dict[str, Any]:
    """The GET body: the stored form plus every read-only field, computed from ``targets`` (the
    applied models of instances and the NICs)."""
    view = _copy_obj(lb)
    p = view["properties"]
    p["provisioningState"] = state
    lb_id = str(view["id"])
    by_pool: dict[str, list[Target]] = {}
    by_natpool: dict[str, list[Target]] = {}
    by_rule: dict[str, list[Target]] = {}
    for t in targets:
        for k in t.backend_pools:
            by_pool.setdefault(k, []).append(t)
        for k in t.nat_pools:
            by_natpool.setdefault(k, []).append(t)
        for k in t.nat_rules:
            by_rule.setdefault(k, []).append(t)

    fe_back: dict[str, dict[str, list[dict[str, str]]]] = {}

    def back(fe_ref: Any, coll: str, rid: str) -> None:
        if isinstance(fe_ref, Mapping) and isinstance(fe_ref.get("id"), str):
            fe_back.setdefault(id_key(fe_ref["id"]), {}).setdefault(coll, []).append({"id": rid})

    pool_back: dict[str, dict[str, list[dict[str, str]]]] = {}

    def pback(pool_id: str | None, coll: str, rid: str) -> None:
        if pool_id:
            pool_back.setdefault(pool_id, {}).setdefault(coll, []).append({"id": rid})

    probe_back: dict[str, list[dict[str, str]]] = {}
    for rule in p.get("loadBalancingRules") or []:
        cp = rule["properties"]
        back(cp.get("frontendIPConfiguration"), "loadBalancingRules", rule["id"])
        for ref in {r for r in [_ref(cp, "backendAddressPool"), *_refs(cp, "backendAddressPools")] if r}:
            pback(ref, "loadBalancingRules", rule["id"])
        probe = _ref(cp, "probe")
        if probe:
            probe_back.setdefault(probe, []).append({"id": rule["id"]})
    for rule in p.get("outboundRules") or []:
        cp = rule["properties"]
        for fe in cp.get("frontendIPConfigurations") or []:
            back(fe, "outboundRules", rule["id"])
        pback(_ref(cp, "backendAddressPool"), "outboundRules", rule["id"])

    rules_out = []
    for rule in p.get("inboundNatRules") or []:
        cp = rule["properties"]
        back(cp.get("frontendIPConfiguration"), "inboundNatRules", rule["id"])
        pool_ref = _ref(cp, "backendAddressPool")
        if pool_ref is not None:
            pback(pool_ref, "inboundNatRules", rule["id"])
            cp.setdefault("frontendPort", 0)  # how Azure echoes a v2 rule [spec example]
        else:
            users = by_rule.get(id_key(str(rule["id"])), [])
            if users:
                cp["backendIPConfiguration"] = {"id": users[0].id}
        rules_out.append(rule)
    for pool in p.get("inboundNatPools") or []:
        cp = pool["properties"]
        back(cp.get("frontendIPConfiguration"), "inboundNatPools", pool["id"])
        name = str(pool["name"])
        members = sorted(by_natpool.get(id_key(str(pool["id"])), []), key=lambda t: t.order)
        alloc = allocations.get(f"pool:{name.lower()}", {})
        start = int(cp["frontendPortRangeStart"])
        numbers = _rule_numbers(members, allocations.get(rule_numbers_key(name), {}))
        rule_names = generated_rule_names(name, members, numbers)
        for t in members:
            rname = rule_names[t.key]
            rid = child_id(lb_id, "inboundNatRules", rname)
            port = alloc.get(t.key, start + (t.instance_id or 0))
            gcp: dict[str, Any] = {
                "frontendIPConfiguration": cp["frontendIPConfiguration"],
                "frontendPort": port,
                "backendPort": cp["backendPort"],
                "protocol": cp.get("protocol", "Tcp"),
                "idleTimeoutInMinutes": cp.get("idleTimeoutInMinutes", 4),
                "enableFloatingIP": cp.get("enableFloatingIP", False),
                "enableTcpReset": cp.get("enableTcpReset", False),
                "backendIPConfiguration": {"id": t.id},
            }
            rules_out.append(
                {
                    "name": rname,
                    "id": rid,
                    "type": "Microsoft.Network/loadBalancers/inboundNatRules",
                    "properties": gcp,
                }
            )
            back(cp.get("frontendIPConfiguration"), "inboundNatRules", rid)
    p["inboundNatRules"] = rules_out
    for coll in COLLECTIONS:
        p.setdefault(coll, [])  # Azure answers empty collections as []

    for fe in p.get("frontendIPConfigurations") or []:
        refs = fe_back.get(id_key(str(fe["id"])), {})
        for coll in READ_ONLY_CHILD_PROPS["frontendIPConfigurations"]:
            if coll in refs:
                fe["properties"][coll] = refs[coll]
    for pool in p.get("backendAddressPools") or []:
        pk = id_key(str(pool["id"]))
        members = by_pool.get(pk, [])
        if members:
            pool["properties"]["backendIPConfigurations"] = [
                {"id": t.id} for t in sorted(members, key=lambda t: t.order)
            ]
        for coll, pool_refs in pool_back.get(pk, {}).items():
            pool["properties"][coll] = pool_refs
    for probe in p.get("probes") or []:
        rule_refs = probe_back.get(id_key(str(probe["id"])))
        if rule_refs:
            probe["properties"]["loadBalancingRules"] = rule_refs
    for coll in COLLECTIONS:
        for child in p.get(coll) or []:
            child["etag"] = etag
            child["properties"]["provisioningState"] = state
    view["etag"] = etag
    return view
