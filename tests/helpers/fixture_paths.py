"""Paths and names of the project's fixtures, for tests in any package."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
# Resource group of fixtures/scale-set-nat-pools.json and the other fixtures.
FIXTURE_RG = "rg-natmigrate-demo"
