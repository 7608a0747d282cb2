"""Readers keep each construct's start and end (``Origin.span``), so a rewrite can edit the source text."""

from __future__ import annotations

from pathlib import Path

from paths import FIXTURES

from natmigrate.sources import read_any
from natmigrate.sources.bicep import read_bicep
from natmigrate.sources.terraform import read_module

TF = """resource "azurerm_lb" "lb" {
  name = "lb"
  sku  = "Standard"
}

resource "azurerm_lb_nat_pool" "ssh" {
  name                = "ssh" # the pool
  loadbalancer_id     = azurerm_lb.lb.id
  frontend_port_start = 50000
  frontend_port_end   = 50099
  backend_port        = 22
}
"""

BICEP = """resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'lb'
  properties: {
    inboundNatPools: [
      {
        name: 'ssh'
        properties: { frontendPortRangeStart: 50000 }
      }
    ]
  }
}
"""


def test_json_spans_cover_exactly_the_value() -> None:
    path = FIXTURES / "group-export.json"
    text = path.read_text()
    snapshot = read_any(path)
    pool = next(p for lb in snapshot.load_balancers for p in lb.inbound_nat_pools)
    span = pool.origin.span
    assert span is not None
    start, end = span
    assert text[start] == "{" and text[end - 1] == "}"
    assert '"natpool-ssh"' in text[start:end]
    assert pool.origin.line == text.count("\n", 0, start) + 1


def test_terraform_block_spans_run_from_header_to_closing_brace(tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text(TF)
    snapshot = read_module([path]).snapshot
    [pool] = snapshot.load_balancers[0].inbound_nat_pools
    assert pool.origin.span is not None
    start, end = pool.origin.span
    assert TF[start:end].startswith('resource "azurerm_lb_nat_pool" "ssh" {')
    assert TF[start:end].endswith("backend_port        = 22\n}")


def test_bicep_value_spans(tmp_path: Path) -> None:
    path = tmp_path / "main.bicep"
    path.write_text(BICEP)
    snapshot = read_bicep(path)
    [lb] = snapshot.load_balancers
    assert lb.origin.span is not None
    start, end = lb.origin.span
    assert BICEP[start:end] == BICEP.rstrip("\n")
    [pool] = lb.inbound_nat_pools
    assert pool.origin.span is not None
    pstart, pend = pool.origin.span
    assert BICEP[pstart:pend].startswith("{") and BICEP[pstart:pend].endswith("}")
    assert "name: 'ssh'" in BICEP[pstart:pend]
