"""Long-running operations in both ARM styles, If-Match, and every scripted fault."""

from __future__ import annotations

import time

import pytest
from azure.core.exceptions import (
    HttpResponseError,
    ResourceExistsError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.compute import models as cm
from azure.mgmt.network import models as nm
from helpers.azure_sdk import Clients, clients
from paths import FIXTURE_RG as RG

from natmigrate.simulator import RequestRecord, SimClock, Simulator, parse_fault

LB = "lb-web"
LB_PATH = "*/providers/microsoft.network/loadbalancers/lb-web"


def lro_requests(sim: Simulator) -> list[tuple[str, int, str]]:
    return [(r.method, r.status, r.path.rsplit("/", 2)[-2]) for r in sim.requests]


@pytest.mark.parametrize("style", ["async", "location"])
def test_put_is_updating_then_succeeded_in_both_styles(style: str) -> None:
    with Simulator(clock=SimClock(frozen=True), lro_style=style) as sim:
        sim.seed_topology(scale_sets=1, instances=2, nat_pools=1)
        az = clients(sim)
        lb = az.net.load_balancers.get("rg-sim", "lb-sim")
        poller = az.net.load_balancers.begin_create_or_update("rg-sim", "lb-sim", lb)
        initial = poller.polling_method()._initial_response.http_response  # type: ignore[attr-defined]
        assert initial.json()["properties"]["provisioningState"] == "Updating"
        assert initial.headers["Retry-After"] == "0"
        header = "Azure-AsyncOperation" if style == "async" else "Location"
        assert initial.headers[header].startswith(sim.endpoint)
        assert poller.result().provisioning_state == "Succeeded"
        polls = [r for r in sim.requests if "/locations/" in r.path]
        assert polls and all(("/operations/" in r.path) == (style == "async") for r in polls)
        # Deletes and POST actions answer 202 and are polled the same way.
        az.cmp.virtual_machine_scale_sets.begin_update_instances(
            "rg-sim", "vmss-0", cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["0"])
        ).result()
        assert [r.status for r in sim.requests if r.path.endswith("/manualupgrade")] == [202]
        body = nm.LoadBalancer(location="westeurope", sku=nm.LoadBalancerSku(name="Standard"))
        az.net.load_balancers.begin_create_or_update("rg-sim", "lb-extra", body).result()
        az.net.load_balancers.begin_delete("rg-sim", "lb-extra").result()
        assert [lb.name for lb in az.net.load_balancers.list("rg-sim")] == ["lb-sim"]
        assert [r.status for r in sim.requests if r.method == "DELETE"] == [202]


def test_realistic_latency_polls_until_the_operation_completes() -> None:
    with Simulator(latency="realistic", speedup=200) as sim:
        sim.seed_topology(scale_sets=1, instances=1, nat_pools=1)
        az = clients(sim)
        lb = az.net.load_balancers.get("rg-sim", "lb-sim")
        start = sim.clock.now()
        az.net.load_balancers.begin_create_or_update("rg-sim", "lb-sim", lb).result()
        assert sim.clock.now() - start >= 20  # the realistic LB PUT takes 20 simulated seconds
        statuses = [r for r in sim.requests if "/operations/" in r.path]
        assert len(statuses) >= 2  # at least one InProgress answer before Succeeded


def test_if_match(az: Clients, sim: Simulator) -> None:
    lb = az.net.load_balancers.get(RG, LB)
    stale = lb.etag
    done = az.net.load_balancers.begin_create_or_update(RG, LB, lb, headers={"If-Match": stale}).result()
    assert done.etag != stale
    with pytest.raises(HttpResponseError) as err:
        az.net.load_balancers.begin_create_or_update(RG, LB, lb, headers={"If-Match": stale})
    assert err.value.status_code == 412 and err.value.error.code == "PreconditionFailed"
    az.net.load_balancers.begin_create_or_update(RG, LB, lb, headers={"If-Match": "*"}).result()
    with pytest.raises(HttpResponseError) as err:
        az.net.load_balancers.begin_create_or_update(RG, "lb-other", lb, headers={"If-Match": "*"})
    assert err.value.status_code == 412
    with pytest.raises(HttpResponseError) as err:
        az.net.load_balancers.begin_create_or_update(RG, LB, lb, headers={"If-None-Match": "*"})
    assert err.value.status_code == 412
    ss = az.cmp.virtual_machine_scale_sets.get(RG, "vmss-web")
    from azure.core import MatchConditions

    with pytest.raises(HttpResponseError) as err:
        az.cmp.virtual_machine_scale_sets.begin_update(
            RG,
            "vmss-web",
            cm.VirtualMachineScaleSetUpdate(sku=cm.Sku(capacity=4)),
            etag='"999"',
            match_condition=MatchConditions.IfNotModified,
        )
    assert err.value.status_code == 412
    az.cmp.virtual_machine_scale_sets.begin_update(
        RG,
        "vmss-web",
        cm.VirtualMachineScaleSetUpdate(sku=cm.Sku(capacity=4)),
        etag=ss.etag,
        match_condition=MatchConditions.IfNotModified,
    ).result()


def test_another_operation_in_progress_is_409() -> None:
    clock = SimClock(frozen=True)
    with Simulator(clock=clock, latency="realistic") as sim:
        sim.seed_topology(scale_sets=1, instances=1, nat_pools=1)
        az = clients(sim, retry_total=0)
        lb = az.net.load_balancers.get("rg-sim", "lb-sim")
        poller = az.net.load_balancers.begin_create_or_update("rg-sim", "lb-sim", lb, polling=False)
        with pytest.raises(ResourceExistsError) as err:
            az.net.load_balancers.begin_create_or_update("rg-sim", "lb-sim", lb, polling=False)
        assert err.value.error.code == "AnotherOperationInProgress"
        clock.advance(20)
        assert poller.result() is not None
        az.net.load_balancers.begin_create_or_update("rg-sim", "lb-sim", lb, polling=False)


@pytest.mark.parametrize(
    ("outcome", "code"),
    [
        ("500", "InternalServerError"),
        ("503", "ServiceUnavailable"),
        ("409", "AnotherOperationInProgress"),
        ("412", "PreconditionFailed"),
        ("429", "TooManyRequests"),
    ],
)
def test_error_faults_change_nothing_and_are_retried_or_raised(
    sim: Simulator, outcome: str, code: str
) -> None:
    before = sim.resource(_lb_id(sim))
    sim.add_fault("PUT", LB_PATH, 1, outcome)
    az = clients(sim, retry_total=0)
    lb = az.net.load_balancers.get(RG, LB)
    with pytest.raises(HttpResponseError) as err:
        az.net.load_balancers.begin_create_or_update(RG, LB, lb).result()
    assert err.value.error.code == code and err.value.status_code == int(outcome)
    assert sim.resource(_lb_id(sim))["etag"] == before["etag"]  # type: ignore[index]
    if outcome in ("500", "503", "429"):
        # The SDK's own retry policy gets past a one-off fault of a retryable kind.
        sim.add_fault("PUT", LB_PATH, 1, outcome)
        retrying = clients(sim, retry_total=2)
        assert (
            retrying.net.load_balancers.begin_create_or_update(RG, LB, lb).result().provisioning_state
            == "Succeeded"
        )
        assert [r.fault for r in sim.requests if r.method == "PUT"] == [outcome, outcome, None]


def _lb_id(sim: Simulator) -> str:
    group = f"/subscriptions/{sim.subscription_id}/resourceGroups/{RG}"
    return f"{group}/providers/Microsoft.Network/loadBalancers/{LB}"


def test_429_carries_retry_after(sim: Simulator) -> None:
    sim.add_fault("GET", LB_PATH, 1, "429", retry_after=0)
    az = clients(sim, retry_total=1)
    assert az.net.load_balancers.get(RG, LB).name == LB
    assert [r.status for r in sim.requests] == [429, 200]


def test_lro_failed_leaves_the_resource_unchanged_and_failed(sim: Simulator, az: Clients) -> None:
    sim.add_fault("PUT", LB_PATH, 1, "lro-failed")
    lb = az.net.load_balancers.get(RG, LB)
    lb.tags = {"changed": "yes"}
    with pytest.raises(HttpResponseError) as err:
        az.net.load_balancers.begin_create_or_update(RG, LB, lb).result()
    assert err.value.error.code == "InternalServerError"
    after = az.net.load_balancers.get(RG, LB)
    assert after.provisioning_state == "Failed" and not after.tags
    assert az.net.load_balancers.begin_create_or_update(RG, LB, lb).result().tags == {"changed": "yes"}


def test_lro_failed_in_location_style(sim: Simulator, az: Clients) -> None:
    sim.lro_style = "location"
    sim.add_fault("POST", "*/manualupgrade", 1, "lro-failed")
    with pytest.raises(HttpResponseError) as err:
        az.cmp.virtual_machine_scale_sets.begin_update_instances(
            RG, "vmss-web", cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["0"])
        ).result()
    assert err.value.error.code == "InternalServerError"


def test_crash_applies_the_change_then_calls_back_and_drops(sim: Simulator) -> None:
    seen: list[RequestRecord] = []
    saved: list[dict[str, object]] = []

    def on_crash(record: RequestRecord) -> None:
        seen.append(record)
        saved.append(sim.state())

    sim.on_crash = on_crash
    sim.add_fault("PUT", LB_PATH, 1, "crash")
    az = clients(sim, retry_total=0)
    lb = az.net.load_balancers.get(RG, LB)
    lb.tags = {"step": "2"}
    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        az.net.load_balancers.begin_create_or_update(RG, LB, lb).result()
    assert [r.method for r in seen] == ["PUT"] and seen[0].write and seen[0].status == 0
    assert az.net.load_balancers.get(RG, LB).tags == {"step": "2"}  # accepted before the crash
    world = saved[0]["world"]
    assert any(v.get("tags") == {"step": "2"} for v in world["resources"].values())  # type: ignore[index, union-attr]


def test_dropped_connection_changes_nothing(sim: Simulator) -> None:
    sim.add_fault("PUT", LB_PATH, 1, "drop")
    az = clients(sim, retry_total=0)
    lb = az.net.load_balancers.get(RG, LB)
    lb.tags = {"x": "y"}
    with pytest.raises((ServiceRequestError, ServiceResponseError)):
        az.net.load_balancers.begin_create_or_update(RG, LB, lb).result()
    assert not az.net.load_balancers.get(RG, LB).tags


def test_added_latency(sim: Simulator, az: Clients) -> None:
    sim.add_fault("GET", LB_PATH, 1, "latency=0.3")
    t0 = time.monotonic()
    az.net.load_balancers.get(RG, LB)
    assert time.monotonic() - t0 >= 0.3
    az.net.load_balancers.get(RG, LB)
    assert [r.fault for r in sim.requests] == ["latency=0.3", None]  # only the first one was delayed


def test_fault_occurrence_counts_matching_requests_only(sim: Simulator, az: Clients) -> None:
    fault = sim.add_fault_spec("GET:*/virtualMachineScaleSets/vmss-web:2:500")
    az2 = clients(sim, retry_total=0)
    az2.net.load_balancers.get(RG, LB)
    az2.cmp.virtual_machine_scale_sets.get(RG, "vmss-web")
    with pytest.raises(HttpResponseError):
        az2.cmp.virtual_machine_scale_sets.get(RG, "vmss-web")
    az2.cmp.virtual_machine_scale_sets.get(RG, "vmss-web")
    assert (fault.seen, fault.fired) == (3, 1)


@pytest.mark.parametrize("bad", ["PUT", "PUT:x:y:500", "PUT:x:0:500", "PUT:x:1:teapot", "PUT::1:500"])
def test_malformed_fault_specs(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_fault(bad)
