"""What a run talks to (real Azure, or the built-in simulator for ``--simulate``), which load
balancer, and how to connect to it.

The Azure and simulator edges are imported when first needed, so that a command which never talks
to Azure does not load the SDKs.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from natmigrate import ids
from natmigrate.errors import InputError, NatMigrateError, UsageError
from natmigrate.execute.gateway import Gateway
from natmigrate.execute.ports import CurrentPorts, current_ports
from natmigrate.execute.rundir import RunDir
from natmigrate.plan.fingerprint import Fingerprinted
from natmigrate.plan.model import Plan
from natmigrate.sources.inputs import InputFiles

if TYPE_CHECKING:
    from natmigrate.azure.gateway import SdkGateway
    from natmigrate.azure.rehearsal import Rehearsal


@dataclass(frozen=True)
class AzureTarget:
    """Real Azure: the subscription (``None``: the environment's or the az CLI's default) and cloud."""

    subscription: str | None = None
    cloud: str = "AzureCloud"


@dataclass(frozen=True)
class SimulatedTarget:
    """A rehearsal: the built-in simulator seeded from the ``seed`` files, with ``--simulate-fault``
    specs."""

    seed: InputFiles
    faults: tuple[str, ...] = ()


Target = AzureTarget | SimulatedTarget


@dataclass(frozen=True)
class LoadBalancerName:
    """``-g``/``-n``: which load balancer (either may be missing when rehearsing from a seed file)."""

    resource_group: str | None = None
    name: str | None = None

    def require_id(self, subscription: str, hint: str = "") -> str:
        """The full id in ``subscription``; both parts must be given."""
        if not self.resource_group or not self.name:
            raise UsageError(f"name the load balancer with -g RESOURCE_GROUP -n NAME{hint}")
        return ids.build_id(subscription, self.resource_group, "Microsoft.Network/loadBalancers", self.name)

    def matches(self, lb_id: str) -> bool:
        """Whether ``lb_id`` has this name and resource group (a missing part matches anything)."""
        parsed = ids.parse_id(lb_id)
        if self.name and lb_id.rstrip("/").rsplit("/", 1)[-1].lower() != self.name.lower():
            return False
        return not self.resource_group or (
            parsed is not None and parsed.resource_group.lower() == self.resource_group.lower()
        )


@dataclass
class Connected:
    """A gateway, and the rehearsal behind it when the run is simulated."""

    gateway: Gateway
    rehearsal: Rehearsal | None = None


def connect_azure(target: AzureTarget, endpoint: str | None = None) -> SdkGateway:
    """A gateway to real Azure (``endpoint``: a run's recorded Resource Manager endpoint)."""
    from natmigrate.azure.session import connect

    return connect(target.subscription, target.cloud, endpoint=endpoint)


@contextlib.contextmanager
def open_rehearsal(rd: RunDir, seed: InputFiles | None, faults: Sequence[str]) -> Iterator[Connected]:
    """The simulator of a simulated run, kept in its run directory (seeded when new). A new run
    whose simulator cannot be seeded never started: its run directory is removed."""
    from natmigrate.azure.rehearsal import Rehearsal

    with contextlib.ExitStack() as stack:
        try:
            rehearsal = stack.enter_context(Rehearsal(rd, seed, list(faults)))
        except NatMigrateError:
            if seed is not None:
                rd.discard()
            raise
        yield Connected(rehearsal.gateway(), rehearsal)


def seeded_load_balancers(target: SimulatedTarget, which: LoadBalancerName) -> list[str]:
    """The load balancers of the seed files that ``-g``/``-n`` pick (all of them when neither is given)."""
    from natmigrate.azure.rehearsal import seed_load_balancers

    seeded = seed_load_balancers(target.seed)
    if not seeded:
        raise InputError(target.seed.label, "no load balancer to rehearse with")
    lbs = [x for x in seeded if which.matches(x)]
    if not lbs:
        raise UsageError(f"{target.seed.label}: no matching load balancer")
    return lbs


def rehearsed_plan(target: SimulatedTarget, plan: Plan) -> tuple[Plan, dict[str, Fingerprinted]]:
    """A plan as its rehearsal runs it and, for a plan made from a template, the seed's resources.

    A template names its resources with ``{subscriptionId}``/``{resourceGroup}`` placeholders (and
    often its references with concrete ids), which the rehearsal deploys somewhere concrete: the plan
    gets the ids the rehearsal gives them. Its fingerprints, taken over the template's spelling, are
    then compared with the seed's own resources (by their rehearsed id, lower-cased): the rehearsal
    is seeded from exactly those."""
    from natmigrate.azure.rehearsal import template_scope

    data = plan.to_dict()
    if ids.SUBSCRIPTION_PLACEHOLDER not in json.dumps(data):
        return plan, {}
    snapshot = target.seed.read()
    scope = template_scope(snapshot)
    seeded: list[Fingerprinted] = [*snapshot.load_balancers, *snapshot.scale_sets, *snapshot.network_interfaces]
    as_seeded = {ids.id_key(scope.place(r.id)): r for r in seeded if isinstance(r.id, str)}
    return Plan.from_dict(scope.place(data)), as_seeded


@contextlib.contextmanager
def _read_only_gateway(target: Target) -> Iterator[SdkGateway]:
    """Real Azure, or a simulator made from a seed file, a saved simulator state or a simulated
    run's directory (nothing is saved back)."""
    if isinstance(target, SimulatedTarget):
        from natmigrate.azure.rehearsal import simulated_gateway

        with simulated_gateway(target.seed) as gateway:
            yield gateway
        return
    yield connect_azure(target)


def read_ports(target: Target, which: LoadBalancerName) -> CurrentPorts:
    """Every target's current frontend port on the named load balancer (``natmigrate ports``)."""
    if isinstance(target, AzureTarget) and not (which.resource_group and which.name):
        raise UsageError("name the load balancer with -g RESOURCE_GROUP -n NAME")
    with _read_only_gateway(target) as gateway:
        rows = current_ports(gateway, which.require_id(gateway.connection.subscription))
    return CurrentPorts(str(which.name), rows)
