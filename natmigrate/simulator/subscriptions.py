"""The subscriptions one simulated Azure serves: their names and management groups, the
``GET /subscriptions`` listing, and ARM lists scoped to one subscription.

A simulator starts with one (home) subscription; seeding resources from other subscriptions (their
ids say which) or :meth:`Simulator.add_subscription` adds more, so a fleet of many subscriptions
and resource groups can be served by one simulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from natmigrate import ids
from natmigrate.model import Snapshot
from natmigrate.simulator.armerror import ArmError

SIMULATED_TENANT = "00000000-0000-4000-8000-7e4a47000000"
# Published api-versions of Microsoft.Resources' subscription list [spec: azure-rest-api-specs
# resources/resource-manager/Microsoft.Resources/stable/*/subscriptions.json].
SUBSCRIPTIONS_API_VERSIONS = (
    "2016-06-01",
    "2019-06-01",
    "2019-11-01",
    "2020-01-01",
    "2021-01-01",
    "2022-12-01",
)


@dataclass(frozen=True, slots=True)
class SimulatedSubscription:
    """One subscription: id, display name and the management groups it sits under (innermost first)."""

    id: str
    display_name: str
    management_groups: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        """Its entry in ``GET /subscriptions`` [spec: Subscription definition]."""
        return {
            "id": f"/subscriptions/{self.id}",
            "authorizationSource": "RoleBased",
            "subscriptionId": self.id,
            "tenantId": SIMULATED_TENANT,
            "displayName": self.display_name,
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": "PayAsYouGo_2014-09-01",
                "spendingLimit": "Off",
            },
        }


def default_name(subscription_id: str) -> str:
    """The display name a subscription gets when nobody names it."""
    return f"sub-{subscription_id[:8]}"


class SubscriptionDirectory:
    """The subscriptions served, by lower-case id, in the order they were added."""

    def __init__(self, home: str) -> None:
        self._subs: dict[str, SimulatedSubscription] = {}
        self._keys: dict[str, list[str]] = {}  # subscription -> resource keys (a cache)
        self._keys_of: tuple[int, int, str | None] | None = None
        self.add(home)

    def add(
        self, subscription_id: str, display_name: str | None = None, management_groups: Iterable[str] = ()
    ) -> SimulatedSubscription:
        """Serve ``subscription_id`` (again: a given name or management group replaces the old one)."""
        old = self._subs.get(subscription_id.lower())
        groups = tuple(management_groups) or (old.management_groups if old else ())
        name = display_name or (old.display_name if old else default_name(subscription_id))
        sub = SimulatedSubscription(old.id if old else subscription_id, name, groups)
        self._subs[subscription_id.lower()] = sub
        return sub

    def rehome(self, old: str, new: str) -> None:
        """The home subscription changes before anything was seeded (the simulator adopts a
        snapshot's subscription)."""
        self._subs.pop(old.lower(), None)
        self.add(new)

    def serves(self, subscription_id: str) -> bool:
        """Whether requests to this subscription are answered."""
        return subscription_id.lower() in self._subs

    def check(self, subscription_id: str) -> None:
        """404 ``SubscriptionNotFound`` for a subscription not served."""
        if not self.serves(subscription_id):
            raise ArmError(
                404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found."
            )

    def all(self) -> list[SimulatedSubscription]:
        """Every subscription served."""
        return list(self._subs.values())

    def get(self, subscription_id: str) -> SimulatedSubscription | None:
        """One subscription, or ``None``."""
        return self._subs.get(subscription_id.lower())

    def under_management_group(self, group: str) -> list[SimulatedSubscription]:
        """Subscriptions anywhere below ``group``. The root group (the tenant id) holds them all."""
        if group.lower() == SIMULATED_TENANT:
            return self.all()
        return [s for s in self._subs.values() if group.lower() in (g.lower() for g in s.management_groups)]

    def keys_in(self, resources: dict[str, Any], subscription_id: str) -> list[str]:
        """Keys of ``resources`` in one subscription. Grouped once and kept while the set of
        resources keeps its size and its newest key (a dict appends new keys at its end), so that
        listing one subscription of a thousand does not walk them all."""
        stamp = (id(resources), len(resources), next(reversed(resources), None))
        if stamp != self._keys_of:
            groups: dict[str, list[str]] = {}
            for key in resources:
                groups.setdefault(key.split("/", 3)[2], []).append(key)
            self._keys, self._keys_of = groups, stamp
        return self._keys.get(subscription_id.lower(), [])

    def to_json(self) -> list[dict[str, Any]]:
        """JSON-able form (simulator state files)."""
        return [
            {"id": s.id, "displayName": s.display_name, "managementGroups": list(s.management_groups)}
            for s in self._subs.values()
        ]

    @classmethod
    def from_json(cls, home: str, data: list[dict[str, Any]] | None) -> SubscriptionDirectory:
        """Inverse of :meth:`to_json`; older state files (no list) serve only ``home``."""
        directory = cls(home)
        for item in data or []:
            directory.add(
                str(item["id"]), str(item["displayName"]), [str(g) for g in item["managementGroups"]]
            )
        return directory


def snapshot_subscriptions(snapshot: Snapshot) -> list[str]:
    """The concrete subscriptions of a snapshot's resources, in order of first appearance."""
    subs: dict[str, str] = {}
    for res in (
        *snapshot.load_balancers,
        *snapshot.network_interfaces,
        *snapshot.scale_sets,
        *snapshot.virtual_machines,
    ):
        parsed = ids.parse_id(res.id) if isinstance(res.id, str) else None
        if parsed is not None and parsed.subscription != ids.SUBSCRIPTION_PLACEHOLDER:
            subs.setdefault(parsed.subscription.lower(), parsed.subscription)
    return list(subs.values())


def in_subscription(key: str, subscription_id: str) -> bool:
    """Whether a lower-case id key lies in ``subscription_id``."""
    return key.startswith(f"/subscriptions/{subscription_id.lower()}/")
