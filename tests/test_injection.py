"""Hostile text from input files through every output: CSV and Excel cells never start a formula, the
HTML documents never carry live markup, and the dashboard escapes markdown (tests/test_auth.py)."""

from __future__ import annotations

import csv

import openpyxl
import pandas as pd
import pytest

from audit.cli import main
from audit.run import run_audit
from data.generate import generate

PAYLOADS = [
    '=HYPERLINK("http://evil.example","点我")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "<img src=http://evil.example/x.png onerror=alert(1)>",
    "![x](http://evil.example/a.png)",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    ws = tmp_path_factory.mktemp("hostile")
    generate(3000, 5, ws)
    (ws / "truth.csv").unlink()
    cases = pd.read_csv(ws / "cases.csv", dtype=str, keep_default_na=False)
    members = pd.read_csv(ws / "case_members.csv", dtype=str, keep_default_na=False)
    pays = pd.read_csv(ws / "payments.csv", dtype=str, keep_default_na=False)
    persons = pd.read_csv(ws / "persons.csv", dtype=str, keep_default_na=False)
    renamed = dict(zip(cases.case_id.iloc[: len(PAYLOADS)], PAYLOADS))
    for frame in (cases, members, pays):
        frame["case_id"] = frame.case_id.replace(renamed)
    persons.loc[persons.index[: len(PAYLOADS)], "name"] = PAYLOADS
    for name, frame in (("cases", cases), ("case_members", members), ("payments", pays), ("persons", persons)):
        frame.to_csv(ws / f"{name}.csv", index=False)
    # the payloads must reach the findings: pay the first hostile case twice a month (RCK-07)
    extra = pays[pays.case_id == PAYLOADS[0]].assign(amount="9999")
    pd.concat([pays, extra]).to_csv(ws / "payments.csv", index=False)
    out = tmp_path_factory.mktemp("hostile-run")
    res = run_audit(ws, "sandu-2021", out)
    assert main(["report", str(out)]) == 0
    assert main(["sample", str(out), "--seed", "1"]) == 0
    return res, out


def test_the_payloads_reach_the_outputs(hostile_run):
    res, _ = hostile_run
    assert res.findings.case_id.isin(PAYLOADS).any()


def test_no_csv_cell_starts_a_formula(hostile_run):
    _, out = hostile_run
    for name in ("findings.csv", "rejects.csv"):
        with open(out / name, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        cells = [c for r in rows[1:] for c in r]
        bad = [c for c in cells if c.startswith(FORMULA_START) and not _number(c)]
        assert not bad, (name, bad[:3])
        assert any(c.startswith("'=HYPERLINK") for c in cells) or name == "rejects.csv"


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def test_no_excel_cell_is_a_formula(hostile_run):
    _, out = hostile_run
    books = sorted(out.glob("*.xlsx"))
    assert {"三张清单.xlsx", "风险排名.xlsx", "抽查方案.xlsx", "潜在救助对象清单.xlsx"} <= {b.name for b in books}
    seen = 0
    for book in books:
        for ws in openpyxl.load_workbook(book).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (book.name, cell.coordinate, cell.value)
                    seen += isinstance(cell.value, str) and cell.value.startswith("=HYPERLINK")
    assert seen  # the payload is there, as text


def test_documents_carry_no_live_markup_from_input(hostile_run):
    from audit.packet import packet_html

    res, out = hostile_run
    html = (out / "自查报告.html").read_text(encoding="utf-8")
    assert "<img src=http://evil" not in html
    hostile = res.findings[res.findings.case_id.isin(PAYLOADS)]
    assert len(hostile)
    for fid in hostile.finding_id.head(5):
        page = packet_html(res.ctx, res.findings, fid)
        assert "<img src=http://evil" not in page and "onerror=alert" not in page.replace("onerror=alert(1)&gt;", "")
