"""HCL text a Terraform rewrite writes: state blocks and attributes under new keys.

``import`` and ``removed`` (``destroy = false``) blocks tell Terraform what ``migrate`` created and
deleted in Azure, so that ``terraform plan`` after ``migrate`` and ``fix`` has nothing to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from natmigrate.fix import hcltext
from natmigrate.fix.jsontext import Edit
from natmigrate.sources.terraform import TfFile

RULE = "azurerm_lb_nat_rule"
NIC = "azurerm_network_interface"
BACKEND_POOL = "azurerm_lb_backend_address_pool"
ASSOCIATION = "azurerm_network_interface_nat_rule_association"
POOL_ASSOCIATION = "azurerm_network_interface_backend_address_pool_association"


def unique_local(base: str, taken: set[str]) -> str:
    """``<base>_v2`` (or ``_v2_2``, ...) not yet in ``taken``, which it joins: a new resource's name."""
    local, n = f"{base}_v2", 2
    while local in taken:
        local, n = f"{base}_v2_{n}", n + 1
    taken.add(local)
    return local


@dataclass(frozen=True)
class StateBlock:
    """An ``import`` block (``import_id`` set, a Terraform string template) or a ``removed`` block
    (``destroy = false``), whatever the syntax it is written in (HCL: :func:`hcl`; JSON:
    :mod:`natmigrate.fix.terraform_json`)."""

    address: str
    import_id: str | None = None


def import_block(address: str, id_text: str) -> StateBlock:
    """An ``import`` block: Terraform adopts what ``migrate`` created (``id_text`` inside quotes)."""
    return StateBlock(address, id_text)


def removed_block(address: str) -> StateBlock:
    """A ``removed`` block: Terraform forgets ``address`` (migrate deleted it in Azure already)."""
    return StateBlock(address)


def hcl(block: StateBlock) -> str:
    """The block in HCL."""
    if block.import_id is not None:
        return f'import {{\n  to = {block.address}\n  id = "{block.import_id}"\n}}\n'
    return f"removed {{\n  from = {block.address}\n\n  lifecycle {{\n    destroy = false\n  }}\n}}\n"


def in_string(raw: str) -> str:
    """A value's text as it goes inside an HCL string: a literal's own text, an expression interpolated."""
    return raw[1:-1] if raw.startswith('"') and raw.endswith('"') else f"${{{raw}}}"


def renamed(f: TfFile, attr: hcltext.Attribute, keys_values: list[tuple[str, str]]) -> Edit:
    """An edit replacing ``attr``'s line by ``key = value`` lines, ``=`` aligned as the line was."""
    prefix = f.text[attr.line_start : attr.value_start]
    indent = prefix[: len(prefix) - len(prefix.lstrip(" \t"))]
    width = prefix.index("=") - len(indent)  # the key and its padding
    lines = [
        f"{indent}{k.ljust(width - 1)} = {v}" if len(k) < width else f"{indent}{k} = {v}"
        for k, v in keys_values
    ]
    return Edit(attr.line_start, attr.value_end, "\n".join(lines))


def rekeyed(f: TfFile, attrs: Mapping[str, hcltext.Attribute], renames: Mapping[str, str]) -> list[Edit]:
    """Edits renaming attribute keys; a block whose ``=`` signs line up (terraform fmt) stays lined up."""
    columns = {f.text.index("=", a.line_start) - a.line_start for a in attrs.values()}
    aligned = len(columns) == 1
    width = max(len(renames.get(k, k)) for k in attrs)
    edits = []
    for a in attrs.values():
        key = renames.get(a.key, a.key)
        if key != a.key or aligned:
            indent = f.text[a.line_start : f.text.index(a.key, a.line_start)]
            edits.append(
                Edit(a.line_start, a.value_start, f"{indent}{key.ljust(width) if aligned else key} = ")
            )
    return edits
