"""A new rule is its RULES.md row, its detector function and its test — nothing else (issue 18): a
throw-away CARD-99 in a temporary module, with its row in a temporary copy of RULES.md, runs through
the audit, scoring, the three lists, the 交办单, the generator and the rules page."""

from __future__ import annotations

import importlib.util
import textwrap

import pytest

import audit.catalogue as cat
from detectors.base import REGISTRY

MODULE = '''
from detectors.base import Finding, Severity, detector


@detector("CARD-99", severity=Severity.LOW, title_zh="测试规则：发放账号以9结尾", requires=("cases",),
          explain_zh="{case_id}的发放账号以9结尾")
def account_ends_in_nine(ctx):
    """Throw-away rule for the add-a-rule test: the payout account ends in 9.

    Evidence: case_id.
    Profile parameters: none.
    """
    c = ctx.table("cases")
    for r in c[c.account_no.fillna("").str.endswith("9")].itertuples(index=False):
        yield Finding(rule="CARD-99", severity=Severity.LOW, case_id=r.case_id, household_id=r.household_id,
                      village_code=r.village_code, township=r.township, evidence={"case_id": r.case_id},
                      explanation=f"{r.case_id}的发放账号以9结尾。")
'''


@pytest.fixture()
def card99(tmp_path, monkeypatch):
    rules = tmp_path / "RULES.md"
    text = cat.RULES_MD.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| CARD-08 |"))
    rules.write_text(
        text.replace(row, row + "\n| CARD-99 | Throw-away test rule: the payout account ends in 9 | low |"),
        encoding="utf-8",
    )
    monkeypatch.setattr(cat, "RULES_MD", rules)
    cat.catalogue.cache_clear()
    path = tmp_path / "card99.py"
    path.write_text(textwrap.dedent(MODULE), encoding="utf-8")
    spec = importlib.util.spec_from_file_location("card99_throwaway", path)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    yield
    REGISTRY.pop("CARD-99", None)
    cat.catalogue.cache_clear()


def test_a_new_rule_needs_only_its_row_its_function_and_its_test(card99, county, tmp_path):
    from audit.coverage import misconduct
    from audit.lists import three_lists
    from audit.packet import packet_html
    from audit.profile import load_profile
    from audit.results import load_results
    from audit.run import run_audit
    from audit.scoring import rank
    from data.generate import generate

    assert "CARD-99" in REGISTRY and cat.catalogue()["CARD-99"].family == "CARD"
    res = run_audit(county, "sandu-2021", tmp_path / "run", rules=["CARD-99", "CARD-01"])
    mine = res.findings[res.findings.rule == "CARD-99"]
    assert len(mine) and res.run["rules"]["CARD-99"]["status"] == "ran"
    prof = load_profile("sandu-2021")
    ranked = rank(misconduct(res.findings), prof)
    assert set(mine.case_id) <= set(ranked.case_id)
    assert three_lists(misconduct(res.findings), res.run["as_of"], 30)[:2] == b"PK"
    page = packet_html(res.ctx, res.findings, mine.finding_id.iloc[0])
    assert "CARD-99" in page and "以9结尾" in page
    table = load_results(tmp_path / "run").rule_table()
    assert table.set_index("规则").loc["CARD-99", "状态"] == "已运行"
    counts = generate(3000, 3, tmp_path / "gen")  # no planter for CARD-99: the generator still works
    assert counts["persons"] > 0
