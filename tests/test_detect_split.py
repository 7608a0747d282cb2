"""``detect`` reading one large list in two processes gives exactly what one process gives.

Each export is a little over 1 MiB (the smallest size the split is allowed for, with the size
threshold lowered through ``NATMIGRATE_DETECT_SPLIT_MIN_BYTES``), written in the shapes Azure and
``az`` produce, plus shapes that must make the split give up (and then read sequentially).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from natmigrate.filescan import read, split_list
from natmigrate.filescan.expand import expand
from natmigrate.filescan.results import results_document
from natmigrate.sources.jsondoc import read_text

SUB = "00000000-0000-0000-0000-0000000000aa"
TARGET = 1_300_000  # characters: over the 1 MiB floor below which files are never split


def _rid(rg: str, kind: str, *names: str) -> str:
    return f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/{kind}/" + "/".join(names)


def _lb(i: int) -> dict[str, Any]:
    rg, lb = f"rg-{i % 7}", f"lb-{i}"
    base = _rid(rg, "Microsoft.Network/loadBalancers", lb)
    props: dict[str, Any] = {
        "frontendIPConfigurations": [{"name": "fe", "id": f"{base}/frontendIPConfigurations/fe"}],
        "backendAddressPools": [{"name": "be", "id": f"{base}/backendAddressPools/be"}],
        "loadBalancingRules": [],
        "inboundNatRules": [],
        "inboundNatPools": [],
    }
    if i % 2 == 0:  # NAT pools (NATM001)
        props["inboundNatPools"] = [
            {
                "name": "ssh",
                "id": f"{base}/inboundNatPools/ssh",
                "properties": {
                    "frontendPortRangeStart": 50000,
                    "frontendPortRangeEnd": 50099,
                    "backendPort": 22,
                    "protocol": "Tcp",
                    "frontendIPConfiguration": {"id": f"{base}/frontendIPConfigurations/fe"},
                },
            }
        ]
    else:  # single-VM rules v1 (NATM003)
        props["inboundNatRules"] = [
            {
                "name": f"rdp-{k}",
                "id": f"{base}/inboundNatRules/rdp-{k}",
                "properties": {
                    "frontendPort": 3389 + k,
                    "backendPort": 3389,
                    "protocol": "Tcp",
                    "backendIPConfiguration": {
                        "id": _rid(
                            rg, "Microsoft.Network/networkInterfaces", f"nic-{i}", "ipConfigurations", "ip"
                        )
                    },
                },
            }
            for k in range(2)
        ]
    return {"name": lb, "id": base, "type": "Microsoft.Network/loadBalancers", "properties": props}


def _vmss(i: int) -> dict[str, Any]:
    rg = f"rg-{i % 7}"
    pool = _rid(rg, "Microsoft.Network/loadBalancers", f"lb-{i}", "inboundNatPools", "ssh")
    ipc = {"name": "ip", "properties": {"loadBalancerInboundNatPools": [{"id": pool}] if i % 2 == 0 else []}}
    return {
        "name": f"vmss-{i}",
        "id": _rid(rg, "Microsoft.Compute/virtualMachineScaleSets", f"vmss-{i}"),
        "type": "Microsoft.Compute/virtualMachineScaleSets",
        "properties": {
            "virtualMachineProfile": {
                "networkProfile": {
                    "networkInterfaceConfigurations": [
                        {"name": "nic", "properties": {"ipConfigurations": [ipc]}}
                    ]
                }
            }
        },
    }


def _nic(i: int, with_rule: bool) -> dict[str, Any]:
    rg = f"rg-{i % 7}"
    rules = (
        [{"id": _rid(rg, "Microsoft.Network/loadBalancers", f"lb-{i}", "inboundNatRules", "rdp-0")}]
        if with_rule
        else []
    )
    return {
        "name": f"nic-{i}",
        "id": _rid(rg, "Microsoft.Network/networkInterfaces", f"nic-{i}"),
        "type": "Microsoft.Network/networkInterfaces",
        "properties": {
            "ipConfigurations": [
                {
                    "name": "ip",
                    "properties": {
                        "privateIPAddress": f"10.0.{i % 250}.4",
                        "loadBalancerInboundNatRules": rules,
                        "subnet": {"id": _rid(rg, "Microsoft.Network/virtualNetworks", "v", "subnets", "s")},
                    },
                }
            ]
        },
    }


def _resources() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    size, i = 0, 0
    while size < TARGET:
        for res in (_lb(i), _vmss(i), _nic(i, i % 2 == 1), _nic(i + 10**6, False)):
            out.append(res)
            size += len(json.dumps(res, indent=2))
        i += 1
    return out


def _scale_set_instance(i: int) -> dict[str, Any]:
    """A scale-set VM: ``assemble`` folds it into its scale set, so the parts are not independent."""
    rg = f"rg-{i % 7}"
    pool = _rid(rg, "Microsoft.Network/loadBalancers", f"lb-{i}", "inboundNatPools", "ssh")
    return {
        "name": f"vmss-{i}_0",
        "id": _rid(rg, "Microsoft.Compute/virtualMachineScaleSets", f"vmss-{i}", "virtualMachines", "0"),
        "type": "Microsoft.Compute/virtualMachineScaleSets/virtualMachines",
        "properties": {
            "networkProfileConfiguration": {
                "networkInterfaceConfigurations": [
                    {
                        "name": "nic",
                        "properties": {
                            "ipConfigurations": [
                                {"name": "ip", "properties": {"loadBalancerInboundNatPools": [{"id": pool}]}}
                            ]
                        },
                    }
                ]
            }
        },
    }


def _flattened(res: dict[str, Any]) -> dict[str, Any]:
    """``az`` output of older generations: ``properties`` merged into the resource."""
    out = {k: v for k, v in res.items() if k != "properties"}
    out.update(res.get("properties", {}))
    return out


def _rest_pretty(items: list[Any]) -> str:
    """The layout of ``az rest`` / the REST API pretty-printed: elements at column 0."""
    return '{"value": [\n' + ",\n".join(json.dumps(x, indent=2) for x in items) + '\n], "nextLink": null}\n'


SHAPES: dict[str, tuple[bool, Any]] = {
    # name: (the split must be used, text from the resources)
    "rest-pretty": (True, _rest_pretty),
    "az-array-indent-2": (True, lambda items: json.dumps(items, indent=2) + "\n"),
    "rest-indent-4-crlf": (True, lambda items: json.dumps({"value": items}, indent=4).replace("\n", "\r\n")),
    "root-members-around-list": (
        True,
        lambda items: json.dumps({"@odata.context": "x", "value": items, "nextLink": "https://n/"}, indent=2),
    ),
    "az-flattened-then-rest": (
        True,
        lambda items: json.dumps(
            [_flattened(x) for x in items[: len(items) * 3 // 5]] + items[len(items) * 3 // 5 :], indent=2
        ),
    ),
    "minified": (False, lambda items: json.dumps({"value": [*items, *items]}, separators=(",", ":"))),
    "scale-set-instance-in-second-half": (
        False,
        lambda items: json.dumps([*items, _scale_set_instance(len(items) - 4)], indent=2),
    ),
    "trailing-comma-in-second-half": (
        False,
        lambda items: json.dumps(items, indent=2)[:-2] + ",\n]\n",
    ),
    "invalid-in-second-half": (False, lambda items: json.dumps(items, indent=2)[:-300] + "@@@" + "\n]\n"),
    "invalid-in-first-half": (False, lambda items: "[\n  {" + json.dumps(items, indent=2)[4:]),
    "second-value-member": (
        False,
        lambda items: json.dumps({"value": items}, indent=2)[:-1] + ', "value": []}',
    ),
    "template-shaped": (
        False,
        lambda items: json.dumps(
            {
                "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
                "contentVersion": "1.0.0.0",
                "resources": items,
            },
            indent=2,
        ),
    ),
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    items = _resources()
    folder = tmp_path_factory.mktemp("split")
    out = {}
    for name, (_, render) in SHAPES.items():
        path = folder / f"{name}.json"
        path.write_bytes(render(items).encode())
        out[name] = path
    return out


def _run(path: Path, processes: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        **os.environ,
        split_list.PROCESSES_ENV: processes,
        split_list.MIN_BYTES_ENV: "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "natmigrate", "detect", str(path), *args],
        capture_output=True,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_two_processes_print_exactly_what_one_prints(exports: dict[str, Path], shape: str) -> None:
    path = exports[shape]
    assert path.stat().st_size > 2**20
    one = _run(path, "1", "-o", "json")
    two = _run(path, "2", "-o", "json")
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
    if shape.startswith(("rest", "az", "root")):
        assert one.returncode == 3
        assert b'"NATM004"' in one.stdout and b'"NATM003"' in one.stdout


def test_table_output_is_the_same_too(exports: dict[str, Path]) -> None:
    path = exports["rest-pretty"]
    one = _run(path, "1")
    two = _run(path, "2")
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_split_is_used_exactly_when_the_parts_are_independent(exports: dict[str, Path], shape: str) -> None:
    if threading.active_count() != 1:
        pytest.skip("forking this test process is unsafe while it runs other threads")
    path = exports[shape]
    text = read_text(path)
    result = split_list.detect_split(str(path), text, "auto")
    assert (result is not None) is SHAPES[shape][0]
    if result is not None:
        sequential = [s.result for s in read.scan(expand([str(path)]))]
        assert results_document([result]) == results_document(sequential)
        assert split_list.candidate_split(text) is not None


def test_the_opt_out_and_the_size_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    big = "[\n" + "x" * (2**20 + 10) + "\n]"
    monkeypatch.setenv(split_list.MIN_BYTES_ENV, "1")
    monkeypatch.delenv(split_list.PROCESSES_ENV, raising=False)
    allowed = split_list.applies(big, "auto")
    assert allowed is (hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 and threading.active_count() == 1)
    assert not split_list.applies(big, "arm-template")
    assert not split_list.applies(big[: 2**20], "auto")  # under the floor
    monkeypatch.setenv(split_list.PROCESSES_ENV, "1")
    assert not split_list.applies(big, "auto")
    monkeypatch.setenv(split_list.PROCESSES_ENV, "2")
    monkeypatch.setenv(split_list.MIN_BYTES_ENV, str(2**21))
    assert not split_list.applies(big, "auto")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("how", ["raises", "is-killed"])
def test_a_failing_child_means_one_process_and_no_zombie(
    exports: dict[str, Path], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    if threading.active_count() != 1:
        pytest.skip("forking this test process is unsafe while it runs other threads")

    def fail(*_args: object) -> None:
        if how == "is-killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise RuntimeError("the child's part failed")

    monkeypatch.setattr(split_list, "_child_part", fail)
    path = exports["rest-pretty"]
    assert split_list.detect_split(str(path), read_text(path), "auto") is None
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # the child was reaped


@pytest.mark.parametrize("input_format", ["rest", "az-cli"])
def test_an_explicit_input_format_gives_the_same_output(exports: dict[str, Path], input_format: str) -> None:
    path = exports["az-array-indent-2"]
    one = _run(path, "1", "-o", "json", "--input-format", input_format)
    two = _run(path, "2", "-o", "json", "--input-format", input_format)
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
    assert f'"format": "{input_format}"'.encode() in one.stdout
