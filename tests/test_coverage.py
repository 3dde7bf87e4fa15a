"""潜在救助对象清单 and the visit ledger: households in urgency order, masked, kept apart from the clues,
and visit statuses that survive the next run."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from audit.coverage import coverage, misconduct, visit_list
from audit.errors import AuditError
from audit.ledger import Ledger, VisitLedger
from audit.lists import three_lists


def test_visit_list_one_row_per_household_most_urgent_first_and_masked(audited):
    cover = coverage(audited.findings)
    lst = visit_list(audited.findings)
    assert len(lst) == cover.household_id.nunique() > 0
    order = lst["紧迫程度"].map({"紧急": 0, "较急": 1, "一般": 2})
    assert order.is_monotonic_increasing
    assert lst["联系人"].str.contains(r"\*{8}").all()
    assert not set(cover.person_id.dropna()) & set(lst["联系人"])
    assert (lst["走访状态"] == "待走访").all() and lst["可能符合"].str.len().gt(0).all()


def test_cover_findings_stay_out_of_the_misconduct_lists(audited):
    clues = misconduct(audited.findings)
    assert not (clues.family == "COVER").any() and len(clues) + len(coverage(audited.findings)) == len(audited.findings)
    book = pd.read_excel(io.BytesIO(three_lists(clues, audited.run["as_of"], 30)), sheet_name="问题清单")
    assert len(book) == len(clues)


def test_visit_statuses_survive_the_next_run_and_refusals_need_a_reason(audited, tmp_path):
    path = tmp_path / "ledger.sqlite"
    led = VisitLedger(path)
    assert led.merge(audited.findings)["new"] == coverage(audited.findings).household_id.nunique()
    hh = led.frame().household_id.iloc[0]
    with pytest.raises(AuditError, match="必须写明原因"):
        led.set(hh, "张三", status="不符合条件")
    led.set(hh, "张三", status="已走访", visitor="李四", visit_date="2025-01-05")
    again = led.merge(audited.findings)
    assert again == {"new": 0, "kept": len(led.frame()), "unlisted": 0}
    row = led.frame().set_index("household_id").loc[hh]
    assert row.status == "已走访" and row.visitor == "李四"
    assert list(led.history(hh).new) == ["待走访", "已走访", "李四", "2025-01-05"]
    # the clue ledger in the same file is untouched by visits
    assert Ledger(path).frame().empty
    lst = visit_list(audited.findings, led.frame())
    assert lst.set_index("户号").loc[hh, "走访状态"] == "已走访"


def test_township_merge_marks_only_its_own_households_unlisted(audited, tmp_path):
    led = VisitLedger(tmp_path / "ledger.sqlite")
    led.merge(audited.findings)
    towns = sorted(coverage(audited.findings).township.dropna().unique())
    mine = audited.findings[audited.findings.township == towns[0]]
    counts = led.merge(mine, townships={towns[0]})
    assert counts["unlisted"] == 0  # other townships' households are not touched
    t = led.frame()
    assert t.listed.eq(1).all()
