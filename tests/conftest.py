"""Shared fixtures: one generated county (clean CSV and messy Chinese/GBK/XLSX) and its audit."""

from __future__ import annotations

import os

import pytest

from audit.run import run_audit
from data.generate import generate

os.environ.setdefault("DIBAO_RAISE_PAGE_ERRORS", "1")  # AppTest sees page errors, users never do
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


def pytest_terminal_summary(terminalreporter):
    from tests.fuzz_tally import TALLY

    kinds = sorted({k.split(":")[0] for k in TALLY})
    for kind in kinds:
        terminalreporter.write_line(
            f"fuzz {kind}: files tried {TALLY[kind + ':files']}, tracebacks {TALLY[kind + ':tracebacks']}, "
            f"clear errors {TALLY[kind + ':clear_errors']}, rows imported {TALLY[kind + ':rows_loaded']}, "
            f"rows rejected {TALLY[kind + ':rows_rejected']}, structure rows skipped {TALLY[kind + ':structure']}"
        )
