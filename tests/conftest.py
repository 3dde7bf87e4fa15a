"""Shared fixtures: one generated county (clean CSV and messy Chinese/GBK/XLSX) and its audit."""
from __future__ import annotations

import pytest

from audit.run import run_audit
from data.generate import generate

SEED = 11
RESIDENTS = 12000


@pytest.fixture(scope="session")
def county(tmp_path_factory):
    ws = tmp_path_factory.mktemp("county")
    generate(RESIDENTS, SEED, ws)
    return ws


@pytest.fixture(scope="session")
def audited(county, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return run_audit(county, "sandu-2021", out, strict=True)


@pytest.fixture(scope="session")
def messy_county(tmp_path_factory):
    ws = tmp_path_factory.mktemp("messy")
    generate(RESIDENTS, SEED, ws, messy=True)
    return ws
