"""A local Azure Resource Manager for the Network and Compute calls natmigrate makes.

The unmodified ``NetworkManagementClient`` and ``ComputeManagementClient`` talk to it over HTTPS on
127.0.0.1 (a self-signed certificate made at start), through their normal authentication pipeline.
Tests, ``natmigrate simulate`` and ``natmigrate migrate --simulate`` all use it.

Typical use::

    from natmigrate.simulator import Simulator

    with Simulator() as sim:                     # latency="instant", a free port
        sim.seed("fixtures/scale-set-nat-pools.json")
        net = NetworkManagementClient(cred, sim.subscription_id, base_url=sim.endpoint,
                                      connection_verify=sim.ca_file, polling_interval=0)
        ...
        sim.add_fault("PUT", "*/loadBalancers/lb-web", 1, "500")
        sim.requests          # what the client sent, in order
        sim.downtime()        # simulated seconds without a NAT mapping, per backend target
        sim.dump_state(path)  # everything, so a later Simulator.load_state(path) continues

The simulator keeps REST-shaped JSON for every resource and recomputes the read-only fields
(generated NAT rules, ``backendIPConfiguration``, ``backendIPConfigurations``, frontend
back-references, v2 port mappings) after every write. Every Azure rule it enforces is listed with
its source in ``docs/simulator-fidelity.md``. It never imports the Azure SDKs.

Thread safety: all state lives behind one lock; every public method may be called from any thread
while the server runs, including from a fault's crash callback.
"""

from __future__ import annotations

from natmigrate.simulator.clock import SimClock
from natmigrate.simulator.faults import FAULT_OUTCOMES, Fault, parse_fault
from natmigrate.simulator.latency import INSTANT, PROFILES, REALISTIC, LatencyProfile
from natmigrate.simulator.records import CrashCallback, RequestRecord, TopologyIds
from natmigrate.simulator.service import DEFAULT_SUBSCRIPTION, Simulator
from natmigrate.simulator.timeline import MappingInterval

__all__ = [
    "DEFAULT_SUBSCRIPTION",
    "FAULT_OUTCOMES",
    "INSTANT",
    "PROFILES",
    "REALISTIC",
    "CrashCallback",
    "Fault",
    "LatencyProfile",
    "MappingInterval",
    "RequestRecord",
    "SimClock",
    "Simulator",
    "TopologyIds",
    "parse_fault",
]
