"""Common detector checks (the model: scikit-learn's estimator checks), on the generated county and on
the independent validation county (issue 11 lets tests read ../shared/validation/; skipped without it).

Every detector gives the same findings when the input rows are shuffled and when run twice, leaves
the context's tables as they were, reads every profile parameter it declares; every profile
parameter is used by some rule or output.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

from audit.context import AuditContext
from audit.load import load_workspace
from audit.profile import OUTPUT_PARAMS, PARAMS, load_profile
from detectors.base import all_detectors

VALIDATION = Path(__file__).resolve().parents[2] / "shared" / "validation" / "county-a"
SPECS = all_detectors()


@pytest.fixture(scope="module")
def validation_ctx():
    if not VALIDATION.is_dir():
        pytest.skip("../shared/validation/county-a is not beside the project")
    ws = load_workspace(VALIDATION)
    return AuditContext(ws.tables, load_profile("sandu-2021"), dt.date(2022, 4, 30), ws.rejects)


def _fresh(ctx: AuditContext, tables=None, profile=None) -> AuditContext:
    """A new context over the same (or given) tables: no cached kinship, relatives or custody groups."""
    return AuditContext(tables or ctx.tables, profile or ctx.profile, ctx.as_of, ctx.rejects)


def _shuffled(ctx: AuditContext, seed: int = 7) -> AuditContext:
    tables = {n: t.sample(frac=1, random_state=seed).reset_index(drop=True) for n, t in ctx.tables.items()}
    return _fresh(ctx, tables)


def _ids(found) -> list[tuple[str, str]]:
    return sorted((f.finding_id, f.severity.value) for f in found)


def _fingerprint(ctx: AuditContext) -> dict[str, int]:
    return {n: int(pd.util.hash_pandas_object(t.astype(str), index=True).sum()) for n, t in ctx.tables.items()}


def _check_county(ctx: AuditContext) -> None:
    shuffled = _shuffled(ctx)
    before = _fingerprint(ctx)
    problems = []
    for spec in SPECS:
        if any(not ctx.has(t) for t in spec.requires):
            continue
        first = _ids(spec.fn(ctx))
        if _ids(spec.fn(ctx)) != first:
            problems.append(f"{spec.code}: a second run differs")
        if _ids(spec.fn(shuffled)) != first:
            problems.append(f"{spec.code}: shuffled rows give other findings")
    assert _fingerprint(ctx) == before, "a detector changed the context's tables"
    assert not problems, problems


def test_generated_county_order_and_repeat_invariance(audited):
    _check_county(_fresh(audited.ctx))


def test_validation_county_order_and_repeat_invariance(validation_ctx):
    _check_county(validation_ctx)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_detector_reads_every_parameter_it_declares(spec, audited):
    ctx = audited.ctx
    if any(not ctx.has(t) for t in spec.requires):
        pytest.skip("table absent in the generated county")
    prof = copy.copy(ctx.profile)
    prof.reads = set()
    list(spec.fn(_fresh(ctx, profile=prof)))
    assert set(spec.params) <= prof.reads, set(spec.params) - prof.reads


def test_every_profile_parameter_is_used_by_a_rule_or_an_output():
    declared = {p for s in SPECS for p in (*s.params, *s.optional)}
    assert set(PARAMS) - declared - set(OUTPUT_PARAMS) == set()
    src = "".join(
        p.read_text(encoding="utf-8")
        for p in (Path(__file__).parents[1] / "audit").glob("*.py")
        if p.name != "profile.py"
    )
    for key in OUTPUT_PARAMS:  # an output parameter is read by name (risk_weight_{high,…} by its stem)
        stem = re.sub(r"_(high|medium|low)$", "_", key)
        assert key in src or stem in src, key


# numbers in detector comparisons that are definitions, not tuning: each with the reason it is not a threshold
DEFINITIONS = {
    ("award.py", "xv[i, col['disability']] >= 3"): "the model's disability feature: 3 = 一、二级（重度）, its coding",
    ("card.py", "len(c) >= 2"): "shared means two or more",
    ("card.py", "counts.accounts >= 2"): "shared means two or more",
    ("card.py", "counts.cases >= 2"): "shared means two or more",
    ("cover.py", "living.age < 18"): "未成年人: 民法典第十七条",
    ("kin.py", "1 <= len(ids) <= 2"): "名额分配 as the rule defines it: cadres each with one or two relatives' cases",
    ("privacy.py", "len(s) == 18"): "resident ID length, GB 11643",
    ("privacy.py", "16 <= len(s) <= 19"): "bank card number length, ISO/IEC 7812",
    ("privacy.py", "len(s) == 11"): "mainland mobile number length",
    ("recheck.py", "days <= 30"): "display bucket of overdue days (≤30/31–90/91–180/>180), not a rule",
    ("recheck.py", "days <= 90"): "display bucket",
    ("recheck.py", "days <= 180"): "display bucket",
    ("recheck.py", "len(h) >= 2"): "a name has at least two characters",
}


def _numeric_comparisons():
    import ast

    for path in sorted((Path(__file__).parents[1] / "detectors").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Compare):
                for c in (node.left, *node.comparators):
                    if isinstance(c, ast.Constant) and type(c.value) in (int, float) and c.value not in (0, 1):
                        yield path.name, ast.unparse(node)
                        break


def test_no_threshold_is_a_literal_in_a_detector():
    found = set(_numeric_comparisons())
    assert found - set(DEFINITIONS) == set(), "move these thresholds into a profile (tool-defaults.yaml)"
    assert set(DEFINITIONS) - found == set(), "stale entries in DEFINITIONS"


def test_every_tool_default_and_profile_value_is_a_declared_parameter_someone_reads():
    from audit.profile import PROFILE_DIR

    declared = {p for s in SPECS for p in (*s.params, *s.optional)} | set(OUTPUT_PARAMS)
    for f in PROFILE_DIR.glob("*.yaml"):
        import yaml

        keys = set((yaml.safe_load(f.read_text(encoding="utf-8")) or {}).get("params", {}))
        assert keys <= declared, (f.name, keys - declared)
