"""``natmigrate ports``: every target's current frontend port (v1 rules and v2 mappings)."""

from __future__ import annotations

from natmigrate.cli import options as o
from natmigrate.cli.option_groups import with_option_groups
from natmigrate.cli.root import reported
from natmigrate.cli.terminal import emit
from natmigrate.execute.session import AzureTarget, LoadBalancerName, SimulatedTarget, Target, read_ports
from natmigrate.report.formats import PortsFormat, render
from natmigrate.sources.inputs import InputFiles


@reported
@with_option_groups
def ports(
    *,
    resource_group: o.ResourceGroup = None,
    name: o.LbName = None,
    subscription: o.Subscription = None,
    cloud: o.Cloud = "AzureCloud",
    simulate: o.Simulate = None,
    output: o.PortsOutput = PortsFormat.table,
    query: o.Query = None,
    logs: o.LoggingOptions,
) -> None:
    """Show every target's current frontend port (v1 rules and v2 mappings)."""
    logs.verbosity.configure_logging()
    target: Target = (
        AzureTarget(subscription, cloud) if not simulate else SimulatedTarget(InputFiles.of(simulate))
    )
    current = read_ports(target, LoadBalancerName(resource_group, name))
    emit(render(output, current, query))
