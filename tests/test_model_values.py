"""The model's objects behave as values: equal by what natmigrate modelled (never by the raw body kept
for round trips), immutable, and changed only by making a new one."""

from __future__ import annotations

import pickle

import msgspec
import pytest
from builders import load_balancer, nat_pool, read, scale_set, vmss_id

from natmigrate.model import LoadBalancer, Ref, ScaleSetInstance, Snapshot


def _lb() -> LoadBalancer:
    (lb,) = read(load_balancer(inboundNatPools=[nat_pool("lb", "ssh")])).load_balancers
    return lb


def test_a_resource_read_twice_with_different_unmodelled_properties_is_the_same_value() -> None:
    lb = _lb()
    other = msgspec.structs.replace(lb, raw={**lb.raw, "tags": {"owner": "someone else"}})
    assert lb == other
    assert (lb != other) is False  # (msgspec 0.18's own != would look at the body)
    assert hash(lb) == hash(other)
    assert len({lb, other}) == 1
    assert other.raw["tags"] == {"owner": "someone else"}  # kept all the same, for writing back


def test_a_modelled_difference_makes_resources_differ() -> None:
    lb = _lb()
    renamed = msgspec.structs.replace(lb, name="other")
    assert lb != renamed
    assert (lb == renamed) is False
    assert lb.raw is renamed.raw  # a change to one field carries the body over untouched


def test_instances_compare_without_their_raw_body_too() -> None:
    a = ScaleSetInstance("0", latest_model_applied=True, raw={"properties": {"x": 1}})
    b = ScaleSetInstance("0", latest_model_applied=True, raw={})
    assert a == b and hash(a) == hash(b)
    assert a != ScaleSetInstance("1", latest_model_applied=True)


def test_repr_names_the_modelled_fields_and_leaves_the_body_out() -> None:
    lb = msgspec.structs.replace(_lb(), raw={"marker": "only in the body"})
    text = repr(lb)
    assert text.startswith("LoadBalancer(id=") and "name='lb'" in text and "inbound_nat_pools=(" in text
    assert " raw=" not in text and "only in the body" not in text
    assert repr(Ref("x")) == "Ref(id='x', origin=Origin('<memory>', ''))"


def test_model_objects_cannot_be_changed_in_place() -> None:
    lb = _lb()
    with pytest.raises(AttributeError):
        lb.name = "other"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        lb.inbound_nat_pools[0].backend_port = 23  # type: ignore[misc]


def test_different_kinds_of_resource_are_never_equal() -> None:
    snap = read([load_balancer(), scale_set()])
    (lb,), (ss,) = snap.load_balancers, snap.scale_sets
    fields = {"id": lb.id, "name": lb.name, "origin": lb.origin}
    assert lb != type(ss)(**fields)


def test_a_replaced_snapshot_ties_load_balancers_to_its_own_scale_sets() -> None:
    ipconfig = {"loadBalancerInboundNatPools": [{"id": f"{_lb().id}/inboundNatPools/ssh"}]}
    snap = read([load_balancer(inboundNatPools=[nat_pool("lb", "ssh")]), scale_set(ipconfig=ipconfig)])
    assert [s.id for s in snap.inventories()[0].scale_sets] == [vmss_id()]
    without = msgspec.structs.replace(snap, scale_sets=())
    assert without.inventories()[0].scale_sets == ()  # nothing cached from the snapshot it came from


def test_model_objects_survive_pickling() -> None:
    snap = read([load_balancer(inboundNatPools=[nat_pool("lb", "ssh")]), scale_set()])
    back = pickle.loads(pickle.dumps(snap))
    assert isinstance(back, Snapshot) and back == snap
    assert back.load_balancers[0].raw == snap.load_balancers[0].raw
