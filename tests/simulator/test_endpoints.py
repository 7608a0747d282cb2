"""Every endpoint, driven by the real azure-mgmt-network / azure-mgmt-compute clients over HTTPS."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.compute import models as cm
from azure.mgmt.network import models as nm
from helpers.azure_sdk import Clients
from helpers.fixture_paths import FIXTURE_RG as RG

from natmigrate.simulator import Simulator

LB = "lb-web"
VMSS = "vmss-web"


def test_load_balancer_get_list_and_list_all(az: Clients) -> None:
    lb = az.net.load_balancers.get(RG, LB)
    assert lb.name == LB and lb.sku.name == "Standard"
    assert [x.name for x in az.net.load_balancers.list(RG)] == [LB]
    assert [x.name for x in az.net.load_balancers.list_all()] == [LB]
    with pytest.raises(ResourceNotFoundError) as err:
        az.net.load_balancers.get(RG, "nope")
    assert err.value.error.code == "ResourceNotFound"


def test_paths_are_case_insensitive(sim: Simulator, az: Clients) -> None:
    lb = az.net.load_balancers.get(RG.upper(), LB.upper())
    assert lb.name == LB


def test_generated_rules_and_back_references(az: Clients) -> None:
    lb = az.net.load_balancers.get(RG, LB)
    gen = {r.name: r for r in lb.inbound_nat_rules}
    assert sorted(gen) == sorted(f"{p}.{i}" for p in ("natpool-ssh", "natpool-app") for i in range(4))
    assert gen["natpool-ssh.2"].frontend_port == 50002
    assert gen["natpool-ssh.2"].backend_ip_configuration.id.endswith(
        "/virtualMachines/2/networkInterfaces/nic-web/ipConfigurations/ipconfig1"
    )
    fe = lb.frontend_ip_configurations[0]
    assert len(fe.inbound_nat_rules) == 8 and len(fe.inbound_nat_pools) == 2
    assert [r.id.rsplit("/", 1)[1] for r in fe.load_balancing_rules] == ["http"]
    pool = lb.backend_address_pools[0]
    assert len(pool.backend_ip_configurations) == 4
    assert all(c.etag == lb.etag for c in lb.inbound_nat_rules)


def test_load_balancer_put_creates_and_delete_removes(az: Clients) -> None:
    lb = az.net.load_balancers.get(RG, LB)
    body = nm.LoadBalancer(
        location="westeurope",
        sku=nm.LoadBalancerSku(name="Standard"),
        frontend_ip_configurations=[nm.FrontendIPConfiguration(name="fe")],
    )
    created = az.net.load_balancers.begin_create_or_update(RG, "lb-new", body).result()
    assert created.provisioning_state == "Succeeded"
    assert created.frontend_ip_configurations[0].id.endswith(
        "/loadBalancers/lb-new/frontendIPConfigurations/fe"
    )
    assert created.etag and created.etag != lb.etag
    az.net.load_balancers.begin_delete(RG, "lb-new").result()
    with pytest.raises(ResourceNotFoundError):
        az.net.load_balancers.get(RG, "lb-new")


def test_nat_rule_child_endpoints(az: Clients) -> None:
    lb = az.net.load_balancers.get(RG, LB)
    # Pools and user rules are exclusive: make room first (remove the scale set's pool use).
    rules = list(az.net.inbound_nat_rules.list(RG, LB))
    assert len(rules) == 8
    one = az.net.inbound_nat_rules.get(RG, LB, "natpool-app.1")
    assert one.frontend_port == 51001
    with pytest.raises(HttpResponseError) as err:
        az.net.inbound_nat_rules.begin_create_or_update(
            RG,
            LB,
            "extra",
            nm.InboundNatRule(
                frontend_ip_configuration=nm.SubResource(id=lb.frontend_ip_configurations[0].id),
                protocol="Tcp",
                frontend_port=2222,
                backend_port=22,
            ),
        )
    assert err.value.error.code == "InboundNatPoolsAndInboundNatRulesCannotCoexist"


def test_nat_rule_and_backend_pool_child_put_get_delete(sim: Simulator) -> None:
    from helpers.azure_sdk import clients

    sim2 = Simulator()
    with sim2:
        ids = sim2.seed_topology(scale_sets=0, instances=0, nat_pools=0, vms=2)
        az = clients(sim2)
        rg, vlb = "rg-sim", "lb-sim-vms"
        fe = az.net.load_balancers.get(rg, vlb).frontend_ip_configurations[0].id
        pool = az.net.load_balancer_backend_address_pools.begin_create_or_update(
            rg, vlb, "bp2", nm.BackendAddressPool()
        ).result()
        assert pool.name == "bp2"
        assert [p.name for p in az.net.load_balancer_backend_address_pools.list(rg, vlb)] == [
            "bepool-vms",
            "bp2",
        ]
        assert az.net.load_balancer_backend_address_pools.get(rg, vlb, "bepool-vms").backend_ip_configurations
        rule = az.net.inbound_nat_rules.begin_create_or_update(
            rg,
            vlb,
            "ssh-v2",
            nm.InboundNatRule(
                frontend_ip_configuration=nm.SubResource(id=fe),
                protocol="Tcp",
                backend_port=22,
                frontend_port_range_start=500,
                frontend_port_range_end=600,
                backend_address_pool=nm.SubResource(id=pool.id),
            ),
        ).result()
        assert rule.frontend_port_range_start == 500 and rule.frontend_port == 0
        assert az.net.inbound_nat_rules.get(rg, vlb, "ssh-v2").backend_address_pool.id == pool.id
        az.net.inbound_nat_rules.begin_delete(rg, vlb, "ssh-v2").result()
        az.net.load_balancer_backend_address_pools.begin_delete(rg, vlb, "bp2").result()
        assert [r.name for r in az.net.inbound_nat_rules.list(rg, vlb)] == ["rdp-vm0", "rdp-vm1"]
        # Deleting what is not there is a quiet success, as ARM does.
        az.net.inbound_nat_rules.begin_delete(rg, vlb, "ssh-v2").result()
        assert ids.nat_rules[0].endswith("rdp-vm0")


def test_network_interfaces_get_put_list(sim: Simulator) -> None:
    from helpers.azure_sdk import clients

    with Simulator() as s:
        s.seed_topology(scale_sets=0, instances=0, nat_pools=0, vms=2)
        az = clients(s)
        nic = az.net.network_interfaces.get("rg-sim", "nic-vm0")
        assert nic.ip_configurations[0].load_balancer_inbound_nat_rules[0].id.endswith("rdp-vm0")
        assert sorted(n.name for n in az.net.network_interfaces.list("rg-sim")) == ["nic-vm0", "nic-vm1"]
        assert len(list(az.net.network_interfaces.list_all())) == 2
        nic.ip_configurations[0].load_balancer_inbound_nat_rules = []
        after = az.net.network_interfaces.begin_create_or_update("rg-sim", "nic-vm0", nic).result()
        assert after.ip_configurations[0].load_balancer_inbound_nat_rules in (None, [])
        rule = az.net.inbound_nat_rules.get("rg-sim", "lb-sim-vms", "rdp-vm0")
        assert rule.backend_ip_configuration is None
        assert az.net.inbound_nat_rules.get(
            "rg-sim", "lb-sim-vms", "rdp-vm1"
        ).backend_ip_configuration.id.endswith("nic-vm1/ipConfigurations/ipconfig1")
        lb_nics = list(az.net.load_balancer_network_interfaces.list("rg-sim", "lb-sim-vms"))
        assert sorted(n.name for n in lb_nics) == ["nic-vm0", "nic-vm1"]
        vm = az.cmp.virtual_machines.get("rg-sim", "vm1")
        assert vm.network_profile.network_interfaces[0].id.endswith("nic-vm1")


def test_scale_set_nic_endpoints(az: Clients) -> None:
    nics = list(az.net.network_interfaces.list_virtual_machine_scale_set_network_interfaces(RG, VMSS))
    assert len(nics) == 4
    one = list(az.net.network_interfaces.list_virtual_machine_scale_set_vm_network_interfaces(RG, VMSS, "2"))
    assert [n.name for n in one] == ["nic-web"]
    nic = az.net.network_interfaces.get_virtual_machine_scale_set_network_interface(RG, VMSS, "2", "nic-web")
    rules = sorted(r.id.rsplit("/", 1)[1] for r in nic.ip_configurations[0].load_balancer_inbound_nat_rules)
    assert rules == ["natpool-app.2", "natpool-ssh.2"]
    ipc = az.net.network_interfaces.get_virtual_machine_scale_set_ip_configuration(
        RG, VMSS, "2", "nic-web", "ipconfig1"
    )
    assert ipc.private_ip_address and ipc.load_balancer_backend_address_pools[0].id.endswith("bepool-web")


def test_scale_set_get_patch_put_and_instances(az: Clients) -> None:
    ss = az.cmp.virtual_machine_scale_sets.get(RG, VMSS)
    assert ss.sku.capacity == 4 and ss.upgrade_policy.mode == "Manual"
    vms = list(az.cmp.virtual_machine_scale_set_vms.list(RG, VMSS))
    assert [v.instance_id for v in vms] == ["0", "1", "2", "3"]
    assert all(v.latest_model_applied for v in vms)
    one = az.cmp.virtual_machine_scale_set_vms.get(RG, VMSS, "1", expand="instanceView")
    assert one.instance_view.statuses[0].code == "ProvisioningState/succeeded"
    grown = az.cmp.virtual_machine_scale_sets.begin_update(
        RG, VMSS, cm.VirtualMachineScaleSetUpdate(sku=cm.Sku(capacity=5))
    ).result()
    assert grown.sku.capacity == 5
    assert [v.instance_id for v in az.cmp.virtual_machine_scale_set_vms.list(RG, VMSS)] == [
        "0",
        "1",
        "2",
        "3",
        "4",
    ]
    lb = az.net.load_balancers.get(RG, "lb-web")
    assert sorted(r.name for r in lb.inbound_nat_rules if r.name.startswith("natpool-ssh")) == [
        f"natpool-ssh.{i}" for i in range(5)
    ]
    ss = az.cmp.virtual_machine_scale_sets.get(RG, VMSS)
    ss.sku.capacity = 3
    shrunk = az.cmp.virtual_machine_scale_sets.begin_create_or_update(RG, VMSS, ss).result()
    assert shrunk.sku.capacity == 3
    assert [v.instance_id for v in az.cmp.virtual_machine_scale_set_vms.list(RG, VMSS)] == ["0", "1", "2"]


def test_manual_upgrade_applies_the_latest_model(az: Clients) -> None:
    ss = az.cmp.virtual_machine_scale_sets.get(RG, VMSS)
    ipc = ss.virtual_machine_profile.network_profile.network_interface_configurations[0].ip_configurations[0]
    ipc.load_balancer_inbound_nat_pools = [
        p for p in ipc.load_balancer_inbound_nat_pools if p.id.endswith("natpool-ssh")
    ]
    az.cmp.virtual_machine_scale_sets.begin_update(
        RG,
        VMSS,
        cm.VirtualMachineScaleSetUpdate(
            virtual_machine_profile=cm.VirtualMachineScaleSetUpdateVMProfile(
                network_profile=ss.virtual_machine_profile.network_profile
            )
        ),
    ).result()
    assert not any(v.latest_model_applied for v in az.cmp.virtual_machine_scale_set_vms.list(RG, VMSS))
    # The model changed but instances keep what they applied: the app pool's rules are still there.
    names = {r.name for r in az.net.load_balancers.get(RG, "lb-web").inbound_nat_rules}
    assert "natpool-app.0" in names
    az.cmp.virtual_machine_scale_sets.begin_update_instances(
        RG, VMSS, cm.VirtualMachineScaleSetVMInstanceRequiredIDs(instance_ids=["0", "2"])
    ).result()
    latest = {
        v.instance_id: v.latest_model_applied for v in az.cmp.virtual_machine_scale_set_vms.list(RG, VMSS)
    }
    assert latest == {"0": True, "1": False, "2": True, "3": False}
    names = {r.name for r in az.net.load_balancers.get(RG, "lb-web").inbound_nat_rules}
    assert {"natpool-app.1", "natpool-app.3"} <= names and not {"natpool-app.0", "natpool-app.2"} & names


def test_port_mapping_query(sim: Simulator) -> None:
    from helpers.azure_sdk import clients

    with Simulator() as s:
        s.seed_topology(scale_sets=2, instances=3, nat_pools=0)
        az = clients(s)
        lb = az.net.load_balancers.get("rg-sim", "lb-sim")
        fe = lb.frontend_ip_configurations[0].id
        pool = lb.backend_address_pools[0]
        lb.inbound_nat_rules = [
            nm.InboundNatRule(
                name="ssh",
                frontend_ip_configuration=nm.SubResource(id=fe),
                protocol="Tcp",
                backend_port=22,
                frontend_port_range_start=6000,
                frontend_port_range_end=6099,
                backend_address_pool=nm.SubResource(id=pool.id),
            )
        ]
        az.net.load_balancers.begin_create_or_update("rg-sim", "lb-sim", lb).result()
        members = (
            az.net.load_balancers.get("rg-sim", "lb-sim").backend_address_pools[0].backend_ip_configurations
        )
        ports = []
        for m in members:
            res = az.net.load_balancers.begin_list_inbound_nat_rule_port_mappings(
                "rg-sim",
                "lb-sim",
                "bepool",
                nm.QueryInboundNatRulePortMappingRequest(ip_configuration=nm.SubResource(id=m.id)),
            ).result()
            (only,) = res.inbound_nat_rule_port_mappings
            assert only.inbound_nat_rule_name == "ssh" and only.backend_port == 22
            ports.append(
                (
                    m.id.split("/virtualMachineScaleSets/")[1].split("/")[0],
                    m.id.split("/virtualMachines/")[1].split("/")[0],
                    only.frontend_port,
                )
            )
        # Scale set after scale set, instance id ascending.
        assert sorted(ports, key=lambda p: p[2]) == [
            ("vmss-0", "0", 6000),
            ("vmss-0", "1", 6001),
            ("vmss-0", "2", 6002),
            ("vmss-1", "0", 6003),
            ("vmss-1", "1", 6004),
            ("vmss-1", "2", 6005),
        ]
        nic = az.net.network_interfaces.get_virtual_machine_scale_set_ip_configuration(
            "rg-sim", "vmss-1", "2", "nic", "ipconfig1"
        )
        by_ip = az.net.load_balancers.begin_list_inbound_nat_rule_port_mappings(
            "rg-sim",
            "lb-sim",
            "bepool",
            nm.QueryInboundNatRulePortMappingRequest(ip_address=nic.private_ip_address),
        ).result()
        assert by_ip.inbound_nat_rule_port_mappings[0].frontend_port == 6005
        with pytest.raises(HttpResponseError) as err:
            az.net.load_balancers.begin_list_inbound_nat_rule_port_mappings(
                "rg-sim", "lb-sim", "bepool", nm.QueryInboundNatRulePortMappingRequest(ip_address="192.0.2.1")
            ).result()
        assert err.value.error.code == "BackendAddressNotFoundInBackendPool"


def test_lists_page_with_next_link(sim: Simulator, az: Clients) -> None:
    sim.page_size = 3
    rules = list(az.net.inbound_nat_rules.list(RG, "lb-web"))
    assert len(rules) == 8
    vms = list(az.cmp.virtual_machine_scale_set_vms.list(RG, VMSS))
    assert [v.instance_id for v in vms] == ["0", "1", "2", "3"]
    skips = [r.query for r in sim.requests if "skiptoken" in r.query]
    assert len(skips) >= 3
