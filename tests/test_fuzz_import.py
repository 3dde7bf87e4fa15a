"""Fuzz the loader with generated malformed files (hypothesis): never a traceback — a clear InputError at
most — and every row accounted for: rows in = imported + rejected + structural rows skipped."""

from __future__ import annotations

import csv
import io
import string
import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.errors import InputError
from audit.load import load_workspace
from tests.factory import pid
from tests.fuzz_tally import tried

HEAD = pid("19600101", 1)
COLUMNS = [
    ("低保编号", "case_id"),
    ("户号", "household_id"),
    ("户主身份证号", "head_id"),
    ("村代码", "village_code"),
    ("乡镇", "township"),
    ("城乡类别", "area_type"),
    ("保障类别", "benefit_type"),
    ("保障人数", "enrolled_count"),
    ("月保障金额（元）", "monthly_amount"),
    ("审批日期", "approval_date"),
    ("状态", "status"),
]
GOOD = {
    "case_id": "LB{i}",
    "household_id": "H1",
    "head_id": HEAD,
    "village_code": "522732001001",
    "township": "大河镇",
    "area_type": "农村",
    "benefit_type": "常补",
    "enrolled_count": "2",
    "monthly_amount": "600",
    "approval_date": "2023-01-10",
    "status": "在保",
}
# values a clerk's file really holds in such a column, good and bad
ODD = st.sampled_from(
    [
        "",
        "待定",
        "三",
        "1e20",
        "inf",
        "-",
        "N/A",
        "２０２３年１月",
        "44265",
        "2023/13/45",
        "1,2,3",
        '\'=HYPERLINK("x")',
        "  600 元 ",
        "¥600.00",
        "６００",
        "12345678901234567890",
        "X",
        "null",
        "在 保",
        "已停",
        "城镇",
        "51272319600101000X",
        "\t600",
        '"quoted, comma"',
    ]
)
TEXT = st.text(alphabet=string.ascii_letters + string.digits + "张王李村镇号码金额：。 -/", max_size=12)


@st.composite
def county_file(draw):
    n = draw(st.integers(0, 12))
    rows = []
    for i in range(n):
        row = {k: v.format(i=i) for k, v in GOOD.items()}
        for key in draw(st.lists(st.sampled_from([c for _, c in COLUMNS]), max_size=3, unique=True)):
            row[key] = draw(st.one_of(ODD, TEXT))
        rows.append([row[c] for _, c in COLUMNS])
    titles = draw(
        st.lists(st.sampled_from(["大河镇低保名册", "制表单位：大河镇民政所", "日期：2024年6月"]), max_size=2)
    )
    structure = draw(st.lists(st.sampled_from(["合计", "小计", "制表人：王某", "审核人：李某", "blank"]), max_size=3))
    trailing = draw(st.booleans())
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
    out = io.StringIO()
    w = csv.writer(out)
    width = len(COLUMNS) + (1 if trailing else 0)
    for t in titles:
        w.writerow([t] + [""] * (width - 1))
    w.writerow([h for h, _ in COLUMNS] + ([""] if trailing else []))
    for r in rows:
        w.writerow(r + ([""] if trailing else []))
    n_struct = 0
    for s in structure:
        w.writerow([] if s == "blank" else [s] + [""] * (width - 1))
        n_struct += 1
    return out.getvalue().encode(encoding, errors="replace"), n, n_struct


def _register(ws: Path) -> None:
    pd.DataFrame(
        [
            {
                "person_id": HEAD,
                "name": "张三",
                "household_id": "H1",
                "relation_to_head": "户主",
                "village_code": "522732001001",
                "township": "大河镇",
                "county": "三都",
            }
        ]
    ).to_csv(ws / "persons.csv", index=False)
    pd.DataFrame([{"person_id": HEAD, "role": "村委会主任", "level": "村"}]).to_csv(ws / "officials.csv", index=False)


@settings(max_examples=520, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(county_file())
def test_malformed_roster_files_never_crash_and_every_row_is_accounted_for(case):
    data, n_rows, n_struct = case
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        _register(ws)
        (ws / "低保名册.csv").write_bytes(data)
        try:
            with tried("roster") as tally:
                res = load_workspace(ws)
        except InputError as exc:  # a clear Chinese message naming the file, never a traceback
            assert "低保名册.csv" in str(exc) or "cases" in str(exc)
            return
        src = next(s for s in res.sources if s.table == "cases")
        tally.update(
            {
                "roster:rows_loaded": src.rows_loaded,
                "roster:rows_rejected": src.rows_rejected,
                "roster:structure": len(src.structure),
            }
        )
        assert src.rows_loaded + src.rows_rejected + len(src.structure) + src.blank_rows == n_rows + n_struct
        assert len(res.tables["cases"]) == src.rows_loaded
        rejected = res.rejects[(res.rejects.table == "cases") & (res.rejects.action == "整行剔除")]
        assert rejected.row.nunique() == src.rows_rejected


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_as_a_workbook_or_csv_never_crash(blob):
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        _register(ws)
        (ws / "低保名册.xlsx").write_bytes(blob)
        (ws / "发放记录.csv").write_bytes(blob)
        try:
            with tried("bytes"):
                load_workspace(ws)
        except InputError as exc:
            assert "cases" in str(exc) or "低保名册" in str(exc)


@st.composite
def standing_book(draw):
    """浪潮 台账统计明细 with members as column pairs: members valid, with a bad ID, a name without an ID,
    or blank; odd amounts and dates on the case."""
    cases = []
    for i in range(draw(st.integers(0, 6))):
        members = []
        for j in range(draw(st.integers(0, 9))):
            kind = draw(st.sampled_from(["ok", "ok", "bad", "name_only", ODD]))
            good = pid("20000101", 10 * i + j + 3)
            member_id = (
                good
                if kind == "ok"
                else good[:-1] + "Z"
                if kind == "bad"
                else ""
                if kind == "name_only"
                else draw(kind)
            )
            members.append((f"成员{j}", member_id))
        cases.append(
            {
                "date": draw(st.one_of(st.just("2020-01-05"), ODD)),
                "card": f"00{i}",
                "head_name": "户主",
                "head_id": pid("19600101", 2 * i + 1),
                "count": draw(st.one_of(st.just(len(members) + 1), ODD)),
                "amount": draw(st.one_of(st.just(500), ODD)),
                "account": "6228480000000000017",
                "members": members,
            }
        )
    return cases


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(standing_book())
def test_wide_member_roster_never_crashes_and_every_member_is_accounted_for(cases):
    from tests.test_real_exports import _officials, _standing_book

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        _officials(ws)
        _standing_book(ws / "台账统计明细.xls", cases)
        try:
            with tried("standing book"):
                res = load_workspace(ws)
        except InputError as exc:  # no cases imported, or none recognised: said with the file's name
            assert "台账统计明细.xls" in str(exc) or "cases" in str(exc) or "persons" in str(exc)
            return
        src = {s.table: s for s in res.sources}
        assert src["cases"].rows_loaded + src["cases"].rows_rejected == len(cases)
        listed = len(cases) + sum(1 for c in cases for name, i in c["members"] if name or i)
        assert src["persons"].rows_loaded + src["persons"].rows_rejected == listed
        assert len(res.tables["persons"]) == src["persons"].rows_loaded
