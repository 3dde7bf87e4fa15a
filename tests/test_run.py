"""The run folder: findings.csv per the contract, run.json, rejects, store reuse, skips and crashes."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from audit.run import run_audit, run_detectors
from detectors.base import FINDING_COLUMNS, REGISTRY, DetectorSpec, Severity
from tests.factory import make_ctx, person, pid


def test_findings_csv_has_the_contract_columns_and_a_bom(audited):
    raw = (audited.out / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    f = pd.read_csv(audited.out / "findings.csv", dtype=str, encoding="utf-8-sig")
    assert list(f.columns) == FINDING_COLUMNS
    assert f.finding_id.is_unique and f.finding_id.str.fullmatch(r"[0-9a-f]{16}").all()
    for e in f.evidence:
        json.loads(e)
    assert set(f.severity) <= {"high", "medium", "low"}
    assert pd.read_parquet(audited.out / "findings.parquet").shape[0] == len(f)


def test_run_json_records_inputs_rules_and_timings(audited):
    run = json.loads((audited.out / "run.json").read_text(encoding="utf-8"))
    assert run["profile"]["name"] == "sandu-2021" and run["as_of"] == "2024-12-31"
    assert run["as_of_basis"] == "最新发放月份的月末"
    assert {i["table"] for i in run["inputs"]} >= {"persons", "cases", "officials", "withdrawals"}
    assert all(len(i["sha256"]) == 64 for i in run["inputs"])
    assert run["row_counts"]["persons"]["rejected"] == 2
    assert set(run["timings"]) >= {"import", "detect", "write"}
    assert run["rules"]["DATA-01"]["status"] == "ran" and run["version"]


def test_finding_ids_are_stable_across_runs(audited, county, tmp_path):
    again = run_audit(county, "sandu-2021", tmp_path, strict=True)
    assert sorted(again.findings.finding_id) == sorted(audited.findings.finding_id)


def test_rerun_reuses_the_stored_import(county, tmp_path):
    first = run_audit(county, "sandu-2021", tmp_path, strict=True)
    second = run_audit(county, "sandu-2021", tmp_path, strict=True)
    assert not first.run["import_reused"] and second.run["import_reused"]
    assert second.findings.equals(first.findings)


def test_rejects_csv_is_written(audited):
    r = pd.read_csv(audited.out / "rejects.csv", encoding="utf-8-sig")
    assert list(r.columns[:6]) == ["table", "file", "row", "column", "value", "reason_code"]
    assert len(r) == json.loads((audited.out / "run.json").read_text(encoding="utf-8"))["rejects"]


def _spec(code, fn, requires=(), params=()):
    return DetectorSpec(code, fn, Severity.LOW, "测试", requires, params)


def test_missing_table_and_silent_parameter_are_skips_and_a_crash_is_recorded():
    ctx = make_ctx(profile="nanchang-2019", persons=[person(pid())])

    def boom(ctx):
        """Doc."""
        raise ZeroDivisionError("x")
        yield

    specs = [_spec("VOTE-01", lambda c: [], requires=("meetings",)),
             _spec("VOTE-02", lambda c: [], params=("appraisal_approval_share",)),
             _spec("VOTE-03", boom)]
    found, log = run_detectors(ctx, specs)
    assert found == []
    assert log["VOTE-01"] == {"title_zh": "测试", "severity": "low", "status": "skipped", "reason": "缺少数据表：meetings"}
    assert "未规定参数：appraisal_approval_share" in log["VOTE-02"]["reason"]
    assert log["VOTE-03"]["status"] == "error" and "ZeroDivisionError" in log["VOTE-03"]["reason"]
    with pytest.raises(ZeroDivisionError):
        run_detectors(ctx, specs, strict=True)


def test_as_of_override_changes_the_reference_date(county, tmp_path):
    import datetime as dt
    res = run_audit(county, "sandu-2021", tmp_path, as_of=dt.date(2024, 6, 30), strict=True)
    assert res.run["as_of"] == "2024-06-30" and res.run["as_of_basis"] == "命令行 --as-of"


def test_every_registered_rule_ran(audited):
    assert set(audited.run["rules"]) == set(REGISTRY)
    assert audited.run["rules_summary"]["error"] == 0


def test_case_timeline_orders_the_procedure(audited):
    from audit.timeline import case_timeline

    case = audited.ctx.table("cases").case_id.iloc[0]
    t = case_timeline(audited.ctx, case)
    assert t.date.is_monotonic_increasing
    events = list(t.event)
    for a, b in (("申请", "受理"), ("受理", "民主评议"), ("民主评议", "乡镇审核"), ("乡镇审核", "县级审批/审核确认")):
        assert events.index(a) < events.index(b)
    assert {"一榜公示", "民主评议会议", "审批"} <= set(events)


def test_formula_text_from_input_stays_text_in_csv_and_excel(tmp_path):
    """A case id written as =HYPERLINK(…) must not become a live formula in any export."""
    import io

    import openpyxl

    from audit.results import csv_safe, to_excel_bytes

    frame = pd.DataFrame({"case_id": ['=HYPERLINK("http://x","点我")', "+1", "LB1"], "n": [1, -2, 3]})
    assert csv_safe(frame).case_id.tolist() == ["'=HYPERLINK(\"http://x\",\"点我\")", "'+1", "LB1"]
    assert csv_safe(frame).n.tolist() == [1, -2, 3]                       # numbers untouched
    ws = openpyxl.load_workbook(io.BytesIO(to_excel_bytes({"表": frame}))).active
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK")


def test_outputs_are_written_atomically(tmp_path):
    from audit.run import atomic_write

    target = tmp_path / "findings.csv"
    target.write_text("old", encoding="utf-8")

    def crash(p):
        p.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    from audit.errors import AuditError

    with pytest.raises(AuditError, match="无法写出"):
        atomic_write(target, crash)
    assert target.read_text(encoding="utf-8") == "old" and not list(tmp_path.glob(".*.tmp"))
