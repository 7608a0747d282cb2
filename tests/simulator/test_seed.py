"""Seeding from snapshots of every shape the readers accept, and generated topologies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from helpers.azure_sdk import clients
from paths import CORPUS, FIXTURES
from paths import FIXTURE_RG as RG

from natmigrate.errors import InputError, NatMigrateError
from natmigrate.model import Unresolved
from natmigrate.simulator import SimClock, Simulator
from natmigrate.sources import read_any


def lb_view(sim: Simulator, name: str = "lb-web") -> dict[str, Any]:
    group = f"/subscriptions/{sim.subscription_id}/resourceGroups/{RG}"
    rid = f"{group}/providers/Microsoft.Network/loadBalancers/{name}"
    view = sim.resource(rid)
    assert view is not None
    return view


def rules(view: dict[str, Any]) -> dict[str, tuple[int, str | None]]:
    out = {}
    for r in view["properties"]["inboundNatRules"]:
        bic = r["properties"].get("backendIPConfiguration")
        out[r["name"]] = (r["properties"].get("frontendPort"), bic["id"] if bic else None)
    return out


def test_generated_rules_in_the_snapshot_are_recomputed_not_trusted(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "scale-set-nat-pools.json").read_text())
    lb = data["value"][0]
    for rule in lb["properties"]["inboundNatRules"]:
        rule["properties"]["frontendPort"] = 1  # nonsense a reader must not believe
    lb["properties"]["inboundNatRules"].append(
        {
            "name": "natpool-ssh.9",
            "properties": {"frontendPort": 50009, "backendPort": 22, "backendIPConfiguration": {"id": "/x"}},
        }
    )
    path = tmp_path / "tampered.json"
    path.write_text(json.dumps(data))
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed(path)
        got = rules(lb_view(sim))
    assert sorted(got) == sorted(f"{p}.{i}" for p in ("natpool-ssh", "natpool-app") for i in range(4))
    assert got["natpool-app.3"][0] == 51003 and got["natpool-app.3"][1].endswith(
        "/virtualMachines/3/networkInterfaces/nic-web/ipConfigurations/ipconfig1"
    )  # type: ignore[union-attr]


def _flatten(obj: Any, casing: bool) -> Any:
    """az CLI style: properties flattened into each object, resourceGroup next to every id, and
    (older CLI generations) SDK attribute casings."""
    if isinstance(obj, list):
        return [_flatten(v, casing) for v in obj]
    if not isinstance(obj, dict):
        return obj
    out: dict[str, Any] = {}
    for k, v in obj.items():
        if k == "properties" and isinstance(v, dict):
            for pk, pv in v.items():
                out[_case(pk, casing)] = _flatten(pv, casing)
        else:
            out[_case(k, casing)] = _flatten(v, casing)
    if "id" in out:
        out["resourceGroup"] = RG
    return out


def _case(key: str, casing: bool) -> str:
    return (
        key.replace("IPConfiguration", "IpConfiguration").replace("FloatingIP", "FloatingIp")
        if casing
        else key
    )


@pytest.mark.parametrize("casing", [False, True])
def test_cli_output_seeds_the_same_azure_as_rest(tmp_path: Path, casing: bool) -> None:
    data = json.loads((FIXTURES / "scale-set-nat-pools.json").read_text())
    flat = [_flatten(r, casing) for r in data["value"]]
    path = tmp_path / "cli.json"
    path.write_text(json.dumps(flat))
    with Simulator(clock=SimClock(frozen=True)) as a, Simulator(clock=SimClock(frozen=True)) as b:
        a.seed(FIXTURES / "scale-set-nat-pools.json")
        b.seed(path)
        va, vb = _no_etags(lb_view(a)), _no_etags(lb_view(b))
        assert va == vb


def _no_etags(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _no_etags(v) for k, v in obj.items() if k not in ("etag", "resourceGuid")}
    if isinstance(obj, list):
        return [_no_etags(v) for v in obj]
    return obj


def test_template_only_keys_are_not_stored(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "scale-set-nat-pools.json").read_text())
    data["value"][0].update({"apiVersion": "2024-05-01", "dependsOn": ["x"], "comments": "exported"})
    path = tmp_path / "with-template-keys.json"
    path.write_text(json.dumps(data))
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed(path)
        view = lb_view(sim)
    assert not {"apiVersion", "dependsOn", "comments"} & set(view)
    assert view["sku"]["name"] == "Standard" and view["location"] == "westeurope"


def test_scale_set_without_listed_instances_gets_its_capacity(tmp_path: Path) -> None:
    data = json.loads((FIXTURES / "scale-set-nat-pools.json").read_text())
    data["value"] = [r for r in data["value"] if not r["type"].endswith("/virtualMachines")]
    data["value"][1]["sku"]["capacity"] = 6
    path = tmp_path / "no-instances.json"
    path.write_text(json.dumps(data))
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed(path)
        az = clients(sim)
        vms = list(az.cmp.virtual_machine_scale_set_vms.list(RG, "vmss-web"))
        assert [v.instance_id for v in vms] == [str(i) for i in range(6)]
        assert all(v.latest_model_applied for v in vms)
        assert len(rules(lb_view(sim))) == 12


def test_vm_rules_fixture_maps_nics_and_already_v2_fixture_maps_members() -> None:
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed(FIXTURES / "vm-nat-rules.json")
        got = rules(lb_view(sim, "lb-vms"))
        assert {k: v[1].split("/networkInterfaces/")[1].split("/")[0] for k, v in got.items() if v[1]} == {
            "rdp-vm1": "nic-vm1",
            "rdp-vm2": "nic-vm2",
            "rdp-vm3": "nic-vm3",
        }
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed(FIXTURES / "already-v2.json")
        kinds = {iv.kind for ivs in sim.timeline.values() for iv in ivs}
        assert kinds == {"v2-rule"}


def test_unresolved_values_are_refused_in_one_line() -> None:
    snap = read_any(FIXTURES / "scale-set-nat-pools.json")
    lb = snap.load_balancers[0]
    raw = json.loads(json.dumps(lb.raw))
    raw["properties"]["inboundNatPools"][0]["properties"]["backendPort"] = Unresolved("[parameters('port')]")
    bad = msgspec.structs.replace(snap, load_balancers=(msgspec.structs.replace(lb, raw=raw),))
    with pytest.raises(InputError) as err:
        Simulator().seed(bad)
    assert "parameters('port')" in str(err.value) and "\n" not in str(err.value)
    raw["properties"]["inboundNatPools"][0]["properties"]["backendPort"] = 2222
    good = msgspec.structs.replace(snap, load_balancers=(msgspec.structs.replace(lb, raw=raw),))
    with Simulator(clock=SimClock(frozen=True)) as sim:
        sim.seed(good)
        assert {r[0] for r in rules(lb_view(sim)).values()} >= {50000, 51000}
        ports = {r["properties"]["backendPort"] for r in lb_view(sim)["properties"]["inboundNatRules"]}
        assert ports == {2222, 8080}


def test_generated_topology_shape() -> None:
    with Simulator(clock=SimClock(frozen=True)) as sim:
        ids = sim.seed_topology(scale_sets=3, instances=4, nat_pools=2, vms=5)
        assert len(ids.scale_sets) == 3 and len(ids.nat_pools) == 6 and len(ids.network_interfaces) == 5
        kinds: dict[str, int] = {}
        for ivs in sim.timeline.values():
            for iv in ivs:
                kinds[iv.kind] = kinds.get(iv.kind, 0) + 1
        assert kinds == {"nat-pool": 3 * 4 * 2, "v1-rule": 5}
        az = clients(sim)
        assert len(az.net.load_balancers.get("rg-sim", "lb-sim").outbound_rules) == 1


@pytest.mark.skipif(not (CORPUS / "manifest.json").exists(), reason="shared corpus absent")
def test_corpus_files_seed_or_fail_in_one_line() -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text())["files"]
    seeded = 0
    for entry in manifest:
        path = CORPUS / entry["file"]
        if path.suffix != ".json" or not path.exists():
            continue
        try:
            with Simulator(clock=SimClock(frozen=True)) as sim:
                sim.seed(path)
                seeded += 1
        except NatMigrateError as exc:
            assert "\n" not in str(exc)
    assert seeded >= 0
