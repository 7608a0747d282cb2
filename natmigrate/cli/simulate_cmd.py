"""``natmigrate simulate``: serve the local Azure Resource Manager simulator seeded from a file."""

from __future__ import annotations

import signal
import sys
import threading
from enum import Enum
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from natmigrate.cli import options as o
from natmigrate.cli.terminal import write_data
from natmigrate.errors import NatMigrateError, UsageError
from natmigrate.simulator import FAULT_OUTCOMES, Simulator
from natmigrate.simulator.service import STATE_FORMAT
from natmigrate.sources.inputs import InputFiles


class Latency(str, Enum):
    """``--latency`` choices."""

    instant = "instant"
    realistic = "realistic"


class LroStyle(str, Enum):
    """``--lro-style`` choices."""

    async_ = "async"
    location = "location"


def _is_state_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return STATE_FORMAT.encode() in fh.read(512)
    except OSError:
        return False


def settings_text(sim: Simulator) -> str:
    """What ``simulate`` prints: shell settings and a Python snippet that point SDK clients at ``sim``."""
    env = sim.environment()
    lines = [f"# natmigrate simulator: {sim.endpoint} (CA file {sim.ca_file})"]
    lines += [f"export {k}={v}" for k, v in env.items()]
    lines += [
        "# Python (any SDK-based tool): the simulator accepts any bearer token.",
        "#   import time",
        "#   from azure.core.credentials import AccessToken",
        "#   from azure.mgmt.network import NetworkManagementClient",
        "#   class Token:",
        "#       def get_token(self, *scopes, **kw):",
        "#           return AccessToken('simulated', int(time.time()) + 3600)",
        f"#   net = NetworkManagementClient(Token(), '{sim.subscription_id}', base_url='{sim.endpoint}',",
        f"#                                 connection_verify='{sim.ca_file}', polling_interval=0)",
    ]
    return "\n".join(lines)


def simulate(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="Snapshot files to seed from (REST, az CLI output, templates, Bicep; several merge into "
            "one snapshot), or one state file written by --save-state.",
        ),
    ],
    port: Annotated[
        int, typer.Option("--port", "-p", help="TCP port on 127.0.0.1 (0 picks a free one).")
    ] = 0,
    latency: Annotated[
        Latency, typer.Option("--latency", help="instant (tests) or realistic operation durations.")
    ] = Latency.instant,
    speedup: Annotated[
        float,
        typer.Option("--speedup", help="Simulated seconds per real second (realistic latency).", min=0.001),
    ] = 1.0,
    lro_style: Annotated[
        LroStyle, typer.Option("--lro-style", help="Azure-AsyncOperation (async) or Location polling.")
    ] = LroStyle.async_,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help=f"METHOD:PATH_GLOB:N:OUTCOME, repeatable. Outcomes: {', '.join(FAULT_OUTCOMES)}.",
        ),
    ] = None,
    save_state: Annotated[
        Path | None, typer.Option("--save-state", help="Write the simulator's state here when it stops.")
    ] = None,
    parameters: o.Parameters = None,
) -> None:
    """Serve a local Azure Resource Manager, seeded from FILES, on https://127.0.0.1 until Ctrl-C.

    Prints the endpoint, the CA file and the environment settings that point natmigrate and any SDK-based
    tool at it. Exit codes: 0 stopped normally, 1 the file could not be used, 2 usage error.
    """
    if len(files) == 1 and not parameters and _is_state_file(files[0]):
        sim = Simulator.load_state(files[0], speedup=speedup, port=port)
    else:
        snapshot = InputFiles.of(files, parameters or ()).read()
        sim = Simulator(latency=latency.value, speedup=speedup, port=port, lro_style=lro_style.value)
        sim.seed(snapshot)
    for spec in fault or []:
        try:
            sim.add_fault_spec(spec)
        except ValueError as exc:
            raise UsageError(f"--fault: {exc}") from None
    try:
        sim.start()
    except OSError as exc:
        raise NatMigrateError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        write_data(settings_text(sim))
        state = sim.state()["world"]
        sys.stderr.write(
            f"natmigrate: serving {len(state['resources'])} resources "
            f"({sum(len(v) for v in state['instances'].values())} scale-set instances) on {sim.endpoint}; "
            "Ctrl-C stops\n"
        )
        sys.stderr.flush()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if save_state is not None:
            sim.dump_state(save_state)
        sim.stop()
    sys.stderr.write("natmigrate: simulator stopped\n")
