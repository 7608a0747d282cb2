"""ARM templates and ``az group export`` output.

The template is expanded the way Azure Resource Manager would deploy it, as far as that can be
known without deploying: parameters take their supplied or default values, variables and
expressions are evaluated (:mod:`natmigrate.sources.arm_expressions`), ``copy`` loops on resources,
properties and variables are unrolled, resources whose ``condition`` is false are skipped, child
resources written inside a parent's ``resources`` array get their full type and name, and nested
deployments (``Microsoft.Resources/deployments`` with an inline ``template``) are read
recursively with inner or outer expression scope. Both ``resources`` forms are accepted: an array,
or a ``languageVersion: "2.0"`` object keyed by symbolic names (``existing`` resources are
references, not deployments, and are skipped).

Whatever cannot be known becomes :class:`~natmigrate.model.Unresolved` carrying the expression as
written and its location; it is never guessed. Decisions that hide whole resources (an unresolved
``condition`` or copy ``count``) are reported in :attr:`Snapshot.unresolved` when the resource
they guard holds inbound NAT, so the verdict can never be a silent pass.

Every evaluated object is a :class:`~natmigrate.sources.resources.Located` dict carrying the
origin of the template text it came from (for copy-expanded items: the loop's ``input``), so
findings point at the right line. Only resource types natmigrate models are evaluated in full;
the others are read for type and name only, which keeps large exports cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import msgspec

from natmigrate import ids
from natmigrate.errors import InputError
from natmigrate.model import NO_ORIGIN, Origin, Snapshot, Unresolved, UnresolvedField
from natmigrate.sources.arm_expressions import (
    MAX_COPY_COUNT,
    Call,
    Evaluator,
    ExpressionSyntaxError,
    Literal,
    UnknownValueError,
    canonical_text,
    is_expression,
    literal_text,
    parse,
)
from natmigrate.sources.assemble import NAT_RULE_CHILD_TYPE, VMSS_VM_TYPE, assemble
from natmigrate.sources.azure_json import ARM_TEMPLATE, is_parameters_file
from natmigrate.sources.jsondoc import JsonDocument
from natmigrate.sources.parameters import NO_PARAMETERS, TemplateParameters
from natmigrate.sources.resources import Located, lookup

ARM_PARAMETERS = "arm-parameters"
DEPLOYMENT_TYPE = "microsoft.resources/deployments"

# Types evaluated in full; everything else is kept as an UnknownResource with its type and id.
MODELLED_TYPES = frozenset(
    {
        ids.LB_TYPE,
        ids.NIC_TYPE,
        ids.VMSS_TYPE,
        ids.VM_TYPE,
        ids.AUTOSCALE_TYPE,
        NAT_RULE_CHILD_TYPE,
        VMSS_VM_TYPE,
    }
)
# Keys of a resource that say how to deploy it rather than what it is.
_DEPLOY_KEYS = frozenset({"copy", "condition", "dependson", "resources", "comments", "existing"})
# Resource keys detection never reads: a template read for detection only (``nat_only``) leaves
# them unevaluated (``location`` is an expression in most templates).
_NOT_DETECTED_KEYS = _DEPLOY_KEYS | frozenset({"location", "tags", "zones", "identity", "extendedlocation"})
# Properties whose presence means the resource uses (or may use) inbound NAT.
_NAT_KEYS = frozenset(
    {"inboundnatpools", "inboundnatrules", "loadbalancerinboundnatpools", "loadbalancerinboundnatrules"}
)

_SCALARS = (int, float, bool, type(None))
MAX_DEPLOYMENT_DEPTH = 16
# All copy loops of one file together; past this the template is not expanded further.
MAX_EXPANDED_COPIES = 20_000


def _escape(token: str) -> str:
    if "/" not in token and "~" not in token:
        return token
    return token.replace("~", "~0").replace("/", "~1")


def read_template(
    doc: JsonDocument,
    parameters: TemplateParameters = NO_PARAMETERS,
    assumed_parameters: Mapping[str, Any] | None = None,
    nat_only: bool = False,
) -> Snapshot:
    """Read an ARM template (or ``az group export`` output) into a snapshot.

    ``parameters`` (``--parameters``) supply the top-level template's parameters, as a deployment
    would. ``assumed_parameters``: values for top-level parameters that have no default (by lower-case
    name). ``natmigrate fix`` passes stand-ins so the planner can name things; what it writes back
    is the template's own expressions, never these values. ``nat_only`` (detection): see
    :func:`natmigrate.sources.resources.build_load_balancer`.
    """
    data = doc.data
    if not isinstance(data, Mapping):
        raise InputError(doc.path, "an ARM template must be a JSON object")
    if is_parameters_file(data):
        # Parameter values without resources: nothing is deployed from this file itself.
        return Snapshot(source=doc.path, format=ARM_PARAMETERS)
    reader = _Reader(
        doc, assumed={k.lower(): v for k, v in (assumed_parameters or {}).items()}, nat_only=nat_only
    )
    sub, rg = ids.SUBSCRIPTION_PLACEHOLDER, ids.RESOURCE_GROUP_PLACEHOLDER
    state = _TemplateState(reader, data, "", None, sub, rg, given=parameters)
    reader.template(data, "", TemplateScope(state), 0, (), _Target(sub, rg))
    return assemble(reader.finish(), doc.path, ARM_TEMPLATE, reader.unresolved, nat_only=nat_only)


class _Target(msgspec.Struct, frozen=True):
    """The subscription and resource group resources are deployed to (for their ids)."""

    subscription: str
    resource_group: str


class _Loop(msgspec.Struct, frozen=True):
    name: str
    index: Any  # int, or Unresolved when the count is unknown
    resource: bool


class _TemplateState:
    """One template's parameters, variables and functions, evaluated lazily and once."""

    def __init__(
        self,
        reader: _Reader,
        template: Mapping[str, Any],
        pointer: str,
        supplied: Mapping[str, tuple[Any, str, TemplateScope]] | None,
        subscription: str,
        resource_group: str,
        deployment_name: Any = None,
        given: TemplateParameters = NO_PARAMETERS,
    ):
        self.reader = reader
        self.given = given  # --parameters (the top-level template only)
        self.pointer = pointer
        self.supplied = supplied
        self.subscription = subscription
        self.resource_group = resource_group
        self.deployment_name = (
            deployment_name
            if deployment_name is not None
            else Unresolved("deployment().name", NO_ORIGIN, "the deployment name is chosen at deployment")
        )
        self.params = _index(template.get("parameters"), f"{pointer}/parameters")
        self.variables = _index(template.get("variables"), f"{pointer}/variables")
        self.variable_copies: dict[str, tuple[Mapping[str, Any], str]] = {}
        raw_vars = template.get("variables")
        if isinstance(raw_vars, Mapping) and isinstance(raw_vars.get("copy"), list):
            self.variables.pop("copy", None)
            for i, spec in enumerate(raw_vars["copy"]):
                if isinstance(spec, Mapping) and isinstance(spec.get("name"), str):
                    self.variable_copies[spec["name"].lower()] = (spec, f"{pointer}/variables/copy/{i}")
        self.functions = _functions(template.get("functions"), f"{pointer}/functions")
        self.memo: dict[tuple[str, str], Any] = {}
        self.cache: dict[str, Any] = {}
        self.busy: set[tuple[str, str]] = set()

    def origin(self, pointer: str) -> Origin:
        return self.reader.origin(pointer)


def _index(section: Any, pointer: str) -> dict[str, tuple[Any, str]]:
    if not isinstance(section, Mapping):
        return {}
    return {str(k).lower(): (v, f"{pointer}/{_escape(str(k))}") for k, v in section.items()}


def _functions(section: Any, pointer: str) -> dict[str, tuple[Sequence[str], Any, str]]:
    out: dict[str, tuple[Sequence[str], Any, str]] = {}
    if not isinstance(section, list):
        return out
    for i, ns in enumerate(section):
        if not isinstance(ns, Mapping) or not isinstance(ns.get("members"), Mapping):
            continue
        for name, member in ns["members"].items():
            if not isinstance(member, Mapping) or not isinstance(member.get("output"), Mapping):
                continue
            params = [p.get("name", "") for p in member.get("parameters") or [] if isinstance(p, Mapping)]
            ptr = f"{pointer}/{i}/members/{_escape(name)}/output/value"
            out[f"{ns.get('namespace', '')}.{name}".lower()] = (params, member["output"].get("value"), ptr)
    return out


class TemplateScope:
    """What expressions at one place in a template see (a :class:`~arm_expressions.Scope`)."""

    def __init__(self, state: _TemplateState, loops: tuple[_Loop, ...] = ()):
        self.state = state
        self.loops = loops

    def evaluator(self) -> Evaluator:
        """An evaluator for this scope, sharing the template's result cache.

        A new one each time (it holds nothing else): a scope that kept its evaluator would be a
        reference cycle holding the whole reading of the template, which only the cyclic garbage
        collector could free -- on a repository of templates, most of ``check``'s collector time.
        """
        return Evaluator(self, self.state.cache)

    def with_loop(self, name: str, index: Any, resource: bool) -> TemplateScope:
        """This scope inside one iteration of a copy loop."""
        return TemplateScope(self.state, (*self.loops, _Loop(name, index, resource)))

    # -- Scope protocol ---------------------------------------------------------------------

    def parameter(self, name: str) -> Any:
        st = self.state
        key = ("p", name.lower())
        if key in st.memo:
            return st.memo[key]
        found = st.params.get(name.lower())
        if found is None:
            raise UnknownValueError(f"parameter {name!r} is not declared")
        if key in st.busy:
            raise UnknownValueError(f"parameter {name!r} refers to itself")
        decl, ptr = found
        st.busy.add(key)
        try:
            value = self._parameter_value(name, decl, ptr)
        finally:
            st.busy.discard(key)
        st.memo[key] = value
        return value

    def _parameter_value(self, name: str, decl: Any, ptr: str) -> Any:
        st = self.state
        reader = st.reader
        ptype = str(decl.get("type", "")).lower() if isinstance(decl, Mapping) else ""
        if ptype in ("securestring", "secureobject"):
            # Secrets never enter the model, and never decide inbound NAT.
            return Unresolved(f"parameters('{name}')", st.origin(ptr), f"parameter {name!r} is secure")
        given = st.given.get(name)
        if given is not None:
            return _literal(given.resolved(), given.origin)
        if st.supplied is not None and name.lower() in st.supplied:
            raw, sptr, outer = st.supplied[name.lower()]
            if isinstance(raw, Mapping) and "value" in raw:
                return reader.value(raw["value"], f"{sptr}/value", outer)
            why = (
                "comes from a Key Vault reference"
                if isinstance(raw, Mapping) and "reference" in raw
                else "has no value"
            )
            return Unresolved(f"parameters('{name}')", st.origin(sptr), f"parameter {name!r} {why}")
        if isinstance(decl, Mapping) and "defaultValue" in decl:
            return reader.value(decl["defaultValue"], f"{ptr}/defaultValue", TemplateScope(st))
        if st.supplied is None and not st.pointer and name.lower() in reader.assumed:
            return reader.assumed[name.lower()]
        return Unresolved(f"parameters('{name}')", st.origin(ptr), f"parameter {name!r} has no default value")

    def variable(self, name: str) -> Any:
        st = self.state
        key = ("v", name.lower())
        if key in st.memo:
            return st.memo[key]
        if key in st.busy:
            raise UnknownValueError(f"variable {name!r} refers to itself")
        st.busy.add(key)
        try:
            if name.lower() in st.variable_copies:
                spec, ptr = st.variable_copies[name.lower()]
                value = st.reader.copy_array(spec, ptr, TemplateScope(st))
            elif name.lower() in st.variables:
                raw, ptr = st.variables[name.lower()]
                value = st.reader.value(raw, ptr, TemplateScope(st))
            else:
                raise UnknownValueError(f"variable {name!r} is not defined")
        finally:
            st.busy.discard(key)
        st.memo[key] = value
        return value

    def copy_index(self, loop: str | None) -> Any:
        for lp in reversed(self.loops):
            if (loop is None and lp.resource) or (loop is not None and lp.name.lower() == loop.lower()):
                return lp.index
        if loop is None and self.loops:
            return self.loops[-1].index
        raise UnknownValueError(f"copyIndex({repr(loop) if loop else ''}) is used outside its copy loop")

    def builtin_object(self, name: str) -> Any:
        st = self.state
        if name == "resourceGroup":
            return {
                "id": f"/subscriptions/{st.subscription}/resourceGroups/{st.resource_group}",
                "name": st.resource_group,
                "type": "Microsoft.Resources/resourceGroups",
                "location": Unresolved(
                    "resourceGroup().location", NO_ORIGIN, "the location is known at deployment"
                ),
                "properties": {"provisioningState": "Succeeded"},
            }
        if name == "subscription":
            unknown = "known at deployment"
            return {
                "id": f"/subscriptions/{st.subscription}",
                "subscriptionId": st.subscription,
                "tenantId": Unresolved("subscription().tenantId", NO_ORIGIN, unknown),
                "displayName": Unresolved("subscription().displayName", NO_ORIGIN, unknown),
            }
        return {
            "name": st.deployment_name,
            "properties": Unresolved("deployment().properties", NO_ORIGIN, "known at deployment"),
        }

    def user_function(self, name: str) -> tuple[Sequence[str], Any, Origin] | None:
        found = self.state.functions.get(name.lower())
        if found is None:
            return None
        params, output, ptr = found
        return params, output, self.state.origin(ptr)


class _Reader(msgspec.Struct):
    doc: JsonDocument
    assumed: Mapping[str, Any] = msgspec.field(default_factory=dict)
    items: list[tuple[Mapping[str, Any], Origin]] = msgspec.field(default_factory=list)
    unresolved: list[UnresolvedField] = msgspec.field(default_factory=list)
    copies: int = 0
    nat_only: bool = False  # (detection: see read_template)
    _seen_unresolved: set[tuple[str, str]] = msgspec.field(default_factory=set)
    # Load balancers whose name is unresolved, by (template, name expression): an export without
    # parameter defaults still writes each NAT rule twice, inline and as a child resource.
    _lbs_by_name: dict[tuple[int, str], Located] = msgspec.field(default_factory=dict)
    _orphan_rules: list[tuple[int, Unresolved, Located, Origin]] = msgspec.field(default_factory=list)

    def origin(self, pointer: str) -> Origin:
        return Origin(self.doc.path, pointer, self.doc)

    def fail(self, pointer: str, problem: str) -> InputError:
        pos = self.doc.position(pointer)
        return InputError(self.doc.path, problem, pos[0] if pos else None, pos[1] if pos else None)

    # -- values -----------------------------------------------------------------------------

    def value(self, node: Any, pointer: str, scope: TemplateScope) -> Any:
        """Evaluate a template JSON value; objects become :class:`Located` at their own pointer."""
        # Exact type checks first: this walk visits every value of every modelled resource.
        if type(node) is str:
            if node[:1] == "[":
                return scope.evaluator().evaluate(node, self.origin(pointer))
            return node
        if isinstance(node, (dict, list)) and _literal_tree(node):
            return node
        if isinstance(node, dict):
            out = Located({}, Origin(self.doc.path, pointer, self.doc))  # (self.origin, inlined)
            copies = node.get("copy") if "copy" in node else None
            property_copy = isinstance(copies, list) and all(
                isinstance(c, dict) and "input" in c for c in copies
            )
            value = self.value
            for k, v in node.items():
                if property_copy and k == "copy":
                    continue
                key = k
                if k[:1] == "[":
                    ek = scope.evaluator().evaluate(k, self.origin(pointer))
                    key = ek if isinstance(ek, str) else k
                vt = type(v)
                if (vt is str and v[:1] != "[") or vt in _SCALARS:
                    out[key] = v  # a literal: nothing to evaluate
                else:
                    out[key] = value(v, f"{pointer}/{_escape(k)}", scope)
            if property_copy and isinstance(copies, list):
                for i, spec in enumerate(copies):
                    name = value(spec.get("name"), f"{pointer}/copy/{i}/name", scope)
                    if isinstance(name, str):
                        out[name] = self.copy_array(spec, f"{pointer}/copy/{i}", scope)
            return out
        if isinstance(node, list):
            return [self.value(v, f"{pointer}/{i}", scope) for i, v in enumerate(node)]
        return node

    def copy_count(self, spec: Mapping[str, Any], pointer: str, scope: TemplateScope) -> int | Unresolved:
        """A copy loop's count: an int in 0..800, or Unresolved with the reason."""
        raw = spec.get("count")
        count = self.value(raw, f"{pointer}/count", scope)
        text = raw if isinstance(raw, str) else str(raw)
        where = self.origin(f"{pointer}/count" if "count" in spec else pointer)
        if isinstance(count, Unresolved):
            return Unresolved(text, where, count.reason)
        if isinstance(count, str) and count.strip().lstrip("-").isdigit():
            count = int(count)
        if isinstance(count, bool) or not isinstance(count, int):
            return Unresolved(text, where, "the copy count is not a number")
        if count < 0 or count > MAX_COPY_COUNT:
            return Unresolved(text, where, f"copy count {count} is outside Azure's 0..{MAX_COPY_COUNT}")
        if self.copies + count > MAX_EXPANDED_COPIES:
            return Unresolved(text, where, f"the template expands to more than {MAX_EXPANDED_COPIES} copies")
        self.copies += count
        return count

    def copy_array(self, spec: Mapping[str, Any], pointer: str, scope: TemplateScope) -> Any:
        """A property or variable copy loop: the list of evaluated ``input`` values."""
        name = self.value(spec.get("name"), f"{pointer}/name", scope)
        count = self.copy_count(spec, pointer, scope)
        if isinstance(count, Unresolved):
            return count
        loop = str(name)
        return [
            self.value(spec.get("input"), f"{pointer}/input", scope.with_loop(loop, i, False))
            for i in range(count)
        ]

    # -- resources --------------------------------------------------------------------------

    def template(
        self,
        template: Mapping[str, Any],
        pointer: str,
        scope: TemplateScope,
        depth: int,
        gates: tuple[UnresolvedField, ...],
        target: _Target,
    ) -> None:
        """Expand every resource of one template (the file's, or a nested deployment's)."""
        resources = template.get("resources")
        entries: Iterator[tuple[str, Any]]
        if isinstance(resources, list):
            entries = ((str(i), r) for i, r in enumerate(resources))
        elif isinstance(resources, Mapping):  # languageVersion 2.0: keyed by symbolic name
            entries = ((_escape(str(k)), r) for k, r in resources.items())
        elif resources is None:
            raise self.fail(pointer, "the template has no resources section")
        else:
            raise self.fail(f"{pointer}/resources", "resources must be an array or an object")
        for key, res in entries:
            self.resource(res, f"{pointer}/resources/{key}", scope, None, depth, gates, target)

    def resource(
        self,
        node: Any,
        pointer: str,
        scope: TemplateScope,
        parent: tuple[Any, Any, Any] | None,
        depth: int,
        gates: tuple[UnresolvedField, ...],
        target: _Target,
    ) -> None:
        if not isinstance(node, Mapping):
            raise self.fail(pointer, f"the resource at {pointer or '/'} is not an object")
        if node.get("existing") is True:
            return  # a reference to a resource deployed elsewhere
        copy = node.get("copy")
        iterations: list[tuple[TemplateScope, tuple[UnresolvedField, ...]]]
        if copy is None:
            iterations = [(scope, gates)]
        elif not isinstance(copy, Mapping):
            raise self.fail(f"{pointer}/copy", "a resource's copy must be an object with name and count")
        else:
            loop = str(self.value(copy.get("name"), f"{pointer}/copy/name", scope))
            count = self.copy_count(copy, f"{pointer}/copy", scope)
            if isinstance(count, Unresolved):
                # Read one representative copy, whose copyIndex() is unknown, and say so.
                gate = UnresolvedField(f"{_label(None, None, node)}.copy.count", count)
                iterations = [(scope.with_loop(loop, count, True), (*gates, gate))]
            else:
                iterations = [(scope.with_loop(loop, i, True), gates) for i in range(count)]
        for it_scope, it_gates in iterations:
            self.instance(node, pointer, it_scope, parent, depth, it_gates, target)

    def instance(
        self,
        node: Mapping[str, Any],
        pointer: str,
        scope: TemplateScope,
        parent: tuple[Any, Any, Any] | None,
        depth: int,
        gates: tuple[UnresolvedField, ...],
        target: _Target,
    ) -> None:
        """One deployed copy of a resource (and its nested child resources)."""
        if not isinstance(node.get("type"), str):
            raise self.fail(pointer, f"the resource at {pointer} has no type")
        rtype = self.value(node["type"], f"{pointer}/type", scope)
        own_name = self.value(node.get("name"), f"{pointer}/name", scope)
        rtype, name = _full_type_and_name(rtype, own_name, parent)
        label = _label(rtype, name, node)
        if "condition" in node:
            cond = self.value(node["condition"], f"{pointer}/condition", scope)
            if isinstance(cond, str) and cond.strip().lower() in ("true", "false"):
                cond = cond.strip().lower() == "true"
            if cond is False:
                return
            if cond is not True:
                if not isinstance(cond, Unresolved):
                    where = self.origin(f"{pointer}/condition")
                    cond = Unresolved(str(node["condition"]), where, "the condition is not a bool")
                gates = (*gates, UnresolvedField(f"{label}.condition", cond))
        if isinstance(rtype, Unresolved) and _mentions_nat(node):
            # Cannot tell what this is, but it is written with inbound NAT properties.
            self.report((UnresolvedField(f"{label}.type", rtype),))
        origin = self.origin(pointer)
        low = rtype.lower() if isinstance(rtype, str) else None
        if low == DEPLOYMENT_TYPE:
            self.deployment(node, pointer, scope, name, depth, gates, target)
            body: Mapping[str, Any] = _envelope(rtype, name, origin, target)
        elif low in MODELLED_TYPES:
            body = self.body(node, pointer, scope, rtype, name, target)
            if gates and _uses_nat(body, low):
                self.report(gates)
            if isinstance(name, Unresolved) and self.fold_unnamed(body, low, own_name, name, parent, scope):
                return
        else:
            body = _envelope(rtype, name, origin, target)
            if low is None and gates and _mentions_nat(node):
                self.report(gates)
            elif low is not None:
                self.unmodelled_nat(node, pointer, scope, label, rtype)
        self.items.append((body, origin))
        children = node.get("resources")
        if isinstance(children, list):
            for i, child in enumerate(children):
                self.resource(
                    child, f"{pointer}/resources/{i}", scope, (rtype, name, body), depth, gates, target
                )

    def fold_unnamed(
        self,
        body: Located,
        rtype: str,
        own_name: Any,
        name: Unresolved,
        parent: tuple[Any, Any, Any] | None,
        scope: TemplateScope,
    ) -> bool:
        """Tie NAT rule child resources to a load balancer whose name is unresolved.

        Their ids cannot be built, so the usual fold by id cannot see that the child
        ``[concat(parameters('lb'), '/ssh')]`` belongs to the load balancer
        ``[parameters('lb')]``. The same expression in the same template has the same value,
        whatever it is, so the two are matched by expression. Returns True when ``body`` was
        folded into its load balancer (and must not be emitted on its own).
        """
        key_text = canonical_text(name.expression[1:-1]) if is_expression(name.expression) else None
        if rtype == ids.LB_TYPE:
            if key_text is not None and "copyindex" not in key_text:
                self._lbs_by_name[(id(scope.state), key_text)] = body
            return False
        if rtype != NAT_RULE_CHILD_TYPE:
            return False
        if parent is not None:
            parent_body = parent[2]
            return (
                isinstance(own_name, str)
                and isinstance(parent_body, Located)
                and _merge_rule(parent_body, body, own_name)
            )
        self._orphan_rules.append((id(scope.state), name, body, body.origin))
        return True

    def finish(self) -> list[tuple[Mapping[str, Any], Origin]]:
        """The resources, with NAT rule children of unresolved-name load balancers folded in."""
        for state_id, name, body, origin in self._orphan_rules:
            split = split_child_name(name.expression)
            lb = self._lbs_by_name.get((state_id, split[0])) if split else None
            if lb is None or split is None or not _merge_rule(lb, body, split[1]):
                self.items.append((body, origin))
        return self.items

    def unmodelled_nat(
        self, node: Mapping[str, Any], pointer: str, scope: TemplateScope, label: str, rtype: str
    ) -> None:
        """A resource type natmigrate does not model that binds to inbound NAT (a Service Fabric
        managed cluster node type's ``loadBalancerInboundNatPoolId``, a NIC ip configuration written
        as a child resource): reported as indeterminate rather than passed over."""
        found = _find_nat_reference(node.get("properties"), f"{pointer}/properties")
        if found is None:
            return
        ptr, key, raw = found
        value = self.value(raw, ptr, scope)
        if value in (None, "", [], {}):
            return
        text = raw if isinstance(raw, str) else json.dumps(raw, separators=(",", ":"))[:200]
        why = f"{rtype} binds to inbound NAT through {key}; natmigrate does not model this type"
        self.report((UnresolvedField(f"{label}.{key}", Unresolved(text, self.origin(ptr), why)),))

    def body(
        self,
        node: Mapping[str, Any],
        pointer: str,
        scope: TemplateScope,
        rtype: str,
        name: Any,
        target: _Target,
    ) -> Located:
        """A modelled resource, evaluated in full."""
        out = Located({}, self.origin(pointer))
        skipped = _NOT_DETECTED_KEYS if self.nat_only else _DEPLOY_KEYS
        for k, v in node.items():
            if k.lower() in skipped:
                continue
            vt = type(v)
            if (vt is str and v[:1] != "[") or vt in _SCALARS:
                out[k] = v  # a literal (as in value(): no pointer made for it)
            else:
                out[k] = self.value(v, f"{pointer}/{_escape(k)}", scope)
        out.update(_identity(rtype, name, target))
        return out

    def deployment(
        self,
        node: Mapping[str, Any],
        pointer: str,
        scope: TemplateScope,
        name: Any,
        depth: int,
        gates: tuple[UnresolvedField, ...],
        target: _Target,
    ) -> None:
        """A nested deployment: read its inline template (a linked template is not available)."""
        props = node.get("properties")
        if not isinstance(props, Mapping) or not isinstance(props.get("template"), Mapping):
            return
        tptr = f"{pointer}/properties/template"
        if depth + 1 > MAX_DEPLOYMENT_DEPTH:
            self.report(
                (
                    UnresolvedField(
                        f"{_label(None, name, node)}.template",
                        Unresolved(
                            "<nested deployment>",
                            self.origin(tptr),
                            f"deployments are nested more than {MAX_DEPLOYMENT_DEPTH} deep",
                        ),
                    ),
                )
            )
            return
        sub = self.value(props.get("subscriptionId"), f"{pointer}/properties/subscriptionId", scope)
        rg = self.value(props.get("resourceGroup"), f"{pointer}/properties/resourceGroup", scope)
        inner_target = _Target(
            sub if isinstance(sub, str) and sub else target.subscription,
            rg if isinstance(rg, str) and rg else target.resource_group,
        )
        options = props.get("expressionEvaluationOptions")
        scope_kind = options.get("scope") if isinstance(options, Mapping) else None
        template = props["template"]
        if isinstance(scope_kind, str) and scope_kind.lower() == "inner":
            supplied: dict[str, tuple[Any, str, TemplateScope]] = {}
            params = props.get("parameters")
            if isinstance(params, Mapping):
                for k, v in params.items():
                    supplied[str(k).lower()] = (
                        v,
                        f"{pointer}/properties/parameters/{_escape(str(k))}",
                        scope,
                    )
            state = _TemplateState(
                self, template, tptr, supplied, inner_target.subscription, inner_target.resource_group, name
            )
            inner_scope = TemplateScope(state)
        else:
            # Outer scope: the nested template sees the parent's parameters and variables.
            inner_scope = scope
        self.template(template, tptr, inner_scope, depth + 1, gates, inner_target)

    def report(self, gates: tuple[UnresolvedField, ...]) -> None:
        for g in gates:
            key = (g.property, g.value.origin.pointer)
            if key not in self._seen_unresolved:
                self._seen_unresolved.add(key)
                self.unresolved.append(g)


def _literal_tree(node: dict[str, Any] | list[Any]) -> bool:
    """True when ``node`` holds no expression (no key or string starting with ``[``) and no
    ``copy``: its evaluated value is itself. Told from its ``repr`` (one C pass, far cheaper than
    visiting each value in Python), where every such string starts with a quote and ``[``; a
    string with ``'[`` or ``"[`` inside only sends the node down the slow path."""
    text = repr(node)
    return "'[" not in text and '"[' not in text and "'copy'" not in text


def _literal(value: Any, origin: Origin) -> Any:
    """A supplied parameter value as the reader's values look (objects located where it was given).
    Parameter values are data: a string starting with ``[`` is not an expression."""
    if isinstance(value, Mapping) and not isinstance(value, Located):
        return Located({k: _literal(v, origin) for k, v in value.items()}, origin)
    if isinstance(value, list):
        return [_literal(v, origin) for v in value]
    return value


def _label(rtype: Any, name: Any, node: Mapping[str, Any]) -> str:
    """A short, readable name for a resource in messages: ``loadBalancers/lb-1``."""
    if not isinstance(rtype, str):
        rtype = node.get("type")
    short = rtype.rsplit("/", 1)[-1] if isinstance(rtype, str) else "resource"
    if not isinstance(name, str):
        raw = node.get("name")
        name = literal_text(raw) if isinstance(raw, str) and not is_expression(raw) else str(raw or name)
    return f"{short}/{name}"


def _full_type_and_name(rtype: Any, name: Any, parent: tuple[Any, Any, Any] | None) -> tuple[Any, Any]:
    """Child resources nested in a parent's ``resources`` may use short type and name."""
    if parent is None:
        return rtype, name
    ptype, pname, _ = parent
    if isinstance(rtype, str) and "/" not in rtype.strip("/"):
        rtype = f"{ptype}/{rtype}" if isinstance(ptype, str) else ptype
    if isinstance(name, str) and isinstance(rtype, str) and name.count("/") < rtype.count("/") - 1:
        if isinstance(pname, Unresolved):
            return rtype, Unresolved(f"{pname.expression}/{name}", pname.origin, pname.reason)
        name = f"{pname}/{name}"
    return rtype, name


def split_child_name(expression: str) -> tuple[str, str] | None:
    """``[concat(P, '/rule')]``, ``[concat(P, '/', 'rule')]`` or ``[format('{0}/{1}', P, 'rule')]``:
    the canonical text of P and the rule name."""
    if not is_expression(expression):
        return None
    body = expression[1:-1]
    try:
        node = parse(body)
    except ExpressionSyntaxError:
        return None
    if not isinstance(node, Call) or len(node.args) < 2:
        return None
    first, rest = node.args[0], node.args[1:]
    if node.name == "concat" and all(isinstance(a, Literal) and isinstance(a.value, str) for a in rest):
        parent, tail = first, "".join(a.value for a in rest if isinstance(a, Literal))
    elif node.name == "format" and isinstance(first, Literal) and isinstance(first.value, str):
        if len(rest) == 1 and first.value.startswith("{0}/"):
            parent, tail = rest[0], first.value[3:]
        elif (
            len(rest) == 2
            and first.value == "{0}/{1}"
            and isinstance(rest[1], Literal)
            and isinstance(rest[1].value, str)
        ):
            parent, tail = rest[0], "/" + rest[1].value
        else:
            return None
    else:
        return None
    if not tail.startswith("/") or "/" in tail[1:] or len(tail) < 2:
        return None
    return canonical_text(body[parent.span[0] : parent.span[1]]), tail[1:]


def _merge_rule(lb: Located, rule: Located, rule_name: str) -> bool:
    """Add a child-resource NAT rule to its load balancer's inline rules, unless one of that
    name is already there (an export writes each rule in both places). False when the load
    balancer's rules cannot be extended (unresolved)."""
    key, props = lookup(lb, "properties")
    if props is None:
        props, key = Located({}, lb.origin.child("properties")), "properties"
    if not isinstance(props, Mapping):
        return False
    rules_key, rules = lookup(props, "inboundNatRules")
    if rules is None:
        rules, rules_key = [], "inboundNatRules"
    if not isinstance(rules, list):
        return False
    if any(isinstance(r, Mapping) and lookup(r, "name")[1] == rule_name for r in rules):
        return True
    element = Located({k: v for k, v in rule.items() if k not in ("id", "type")}, rule.origin)
    element["name"] = rule_name
    # Copies: the properties may be a value shared with a variable.
    new_props = Located(dict(props), props.origin if isinstance(props, Located) else lb.origin)
    new_props[rules_key or "inboundNatRules"] = [*rules, element]
    lb[key or "properties"] = new_props
    return True


def _identity(rtype: Any, name: Any, target: _Target) -> dict[str, Any]:
    """``type``, ``name`` (last segment) and ``id`` of a template resource."""
    out: dict[str, Any] = {"type": rtype, "name": name}
    if isinstance(name, Unresolved):
        out["id"] = name
    elif isinstance(rtype, str) and isinstance(name, str):
        names = name.split("/")
        try:
            out["id"] = ids.build_id(target.subscription, target.resource_group, rtype, *names)
            out["name"] = names[-1]
        except ValueError:
            out["id"] = Unresolved(name, NO_ORIGIN, f"the name {name!r} does not fit the type {rtype}")
    return out


def _envelope(rtype: Any, name: Any, origin: Origin, target: _Target) -> Located:
    return Located(_identity(rtype, name, target), origin)


def _uses_nat(body: Mapping[str, Any], rtype: str) -> bool:
    """Whether an evaluated resource holds (or may hold) inbound NAT v1.

    Load balancers list their rules on each frontend too, so only their own NAT pools and
    rules count; a rule with a frontend port range is v2.
    """
    props = body.get("properties")
    if isinstance(props, Unresolved):
        return True
    if rtype == NAT_RULE_CHILD_TYPE:
        return not _has_port_range(body)
    if rtype == ids.LB_TYPE:
        if not isinstance(props, Mapping):
            return False
        pools, rules = _get(props, "inboundNatPools"), _get(props, "inboundNatRules")
        if isinstance(pools, Unresolved) or pools or isinstance(rules, Unresolved):
            return True
        return isinstance(rules, list) and any(
            not (isinstance(r, Mapping) and _has_port_range(r)) for r in rules
        )
    return _has_nat_value(body, _REFERENCE_KEYS)


def _get(obj: Mapping[str, Any], key: str) -> Any:
    return lookup(obj, key)[1]


def _has_port_range(rule: Mapping[str, Any]) -> bool:
    props = _get(rule, "properties")
    bag = props if isinstance(props, Mapping) else rule
    return _get(bag, "frontendPortRangeStart") is not None


_REFERENCE_KEYS = frozenset({"loadbalancerinboundnatpools", "loadbalancerinboundnatrules"})


def _has_nat_value(value: Any, keys: frozenset[str] = _NAT_KEYS) -> bool:
    if isinstance(value, Mapping):
        for k, v in value.items():
            if isinstance(k, str) and k.lower() in keys and (isinstance(v, Unresolved) or v):
                return True
            if _has_nat_value(v, keys):
                return True
    elif isinstance(value, list):
        return any(_has_nat_value(v, keys) for v in value)
    return False


def _find_nat_reference(value: Any, pointer: str) -> tuple[str, str, Any] | None:
    """The first inbound NAT reference key (and its pointer and raw value) inside ``value``."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            ptr = f"{pointer}/{_escape(str(k))}"
            if isinstance(k, str) and k.lower() in _UNMODELLED_REFERENCE_KEYS and v:
                return ptr, k, v
            found = _find_nat_reference(v, ptr)
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _find_nat_reference(v, f"{pointer}/{i}")
            if found is not None:
                return found
    return None


_UNMODELLED_REFERENCE_KEYS = _REFERENCE_KEYS | {"loadbalancerinboundnatpoolid"}


def _mentions_nat(node: Any) -> bool:
    """The raw template text of a resource names inbound NAT (used when its type is unknown)."""
    return _has_nat_value(node)
