"""The simulator's fleet endpoints through the real SDK: Resource Graph refuses what Azure refuses,
subscriptions are listed and kept apart."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError
from azure.mgmt.network import NetworkManagementClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions
from helpers.azure_sdk import StaticCredential, sdk_kwargs

from natmigrate.model import Origin
from natmigrate.simulator import SimClock, Simulator
from natmigrate.simulator.fleet_seed import fleet, subscription_id
from natmigrate.sources.assemble import assemble

LB_QUERY = "Resources | where type =~ 'microsoft.network/loadbalancers' | project id, name | order by id asc"


@pytest.fixture
def small_fleet() -> Simulator:
    bodies, _ = fleet(3, 6)
    sim = Simulator(clock=SimClock(frozen=True)).start()
    sim.seed(assemble([(b, Origin("f", f"/{i}")) for i, b in enumerate(bodies)], "f", "rest"))
    return sim


def _graph(sim: Simulator, **kw: object) -> ResourceGraphClient:
    return ResourceGraphClient(StaticCredential(), **sdk_kwargs(sim, retry_total=0, **kw))  # type: ignore[arg-type]


def test_queries_outside_the_supported_subset_are_invalid(small_fleet: Simulator) -> None:
    with small_fleet as sim:
        client = _graph(sim)
        for query in ("Resources | summarize count() by type", "ResourceContainers", "Resources | where"):
            with pytest.raises(HttpResponseError) as err:
                client.resources(QueryRequest(query=query, subscriptions=[subscription_id(0)]))
            assert err.value.status_code == 400
            assert err.value.error is not None and err.value.error.code == "BadRequest"
            assert "InvalidQuery" in str(err.value.response.json())


def test_unpublished_api_version_and_foreign_skip_token_are_refused(small_fleet: Simulator) -> None:
    with small_fleet as sim:
        with pytest.raises(HttpResponseError, match="InvalidApiVersionParameter"):
            _graph(sim, api_version="2030-01-01").resources(QueryRequest(query=LB_QUERY))
        client = _graph(sim)
        first = client.resources(QueryRequest(query=LB_QUERY, options=QueryRequestOptions(top=5)))
        assert first.count == 5 and first.total_records == 18 and first.skip_token
        other = LB_QUERY.replace("order by id asc", "order by name asc")
        with pytest.raises(HttpResponseError, match="skipToken"):
            client.resources(
                QueryRequest(query=other, options=QueryRequestOptions(top=5, skip_token=first.skip_token))
            )
        rest = client.resources(
            QueryRequest(query=LB_QUERY, options=QueryRequestOptions(skip_token=first.skip_token))
        )
        names = [r["id"] for r in first.data + rest.data]
        assert names == sorted(names) and len(set(names)) == 18 and not rest.skip_token


def test_lists_stay_within_their_subscription(small_fleet: Simulator) -> None:
    with small_fleet as sim:
        for index in range(3):
            net = NetworkManagementClient(StaticCredential(), subscription_id(index), **sdk_kwargs(sim))  # type: ignore[arg-type]
            lbs = list(net.load_balancers.list_all())
            assert len(lbs) == 6 and all(subscription_id(index) in str(lb.id) for lb in lbs)
            assert len(list(net.load_balancers.list("rg-0"))) == 2
        stranger = NetworkManagementClient(
            StaticCredential(), "0000dead-0000-4000-8000-000000000000", **sdk_kwargs(sim, retry_total=0)
        )  # type: ignore[arg-type]
        with pytest.raises(HttpResponseError, match="SubscriptionNotFound"):
            list(stranger.load_balancers.list_all())
