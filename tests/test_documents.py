"""Documents and exports read like the official papers they replace (issue 17): A4 PDF pages with page
numbers, Word files on real heading styles with East Asian fonts, and no English words or unmasked
personal numbers in any export or document of the sample county."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from audit.ids import validate_resident_id

HAS_CHROMIUM = bool(shutil.which("chromium") or shutil.which("chromium-browser"))
A4_PT = (595.3, 841.9)


def _cli(*args: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "audit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def sample_outputs(tmp_path_factory):
    """The bundled sample county through every command a county team runs: audit, report, spot-check
    plan, ledger merge and export, and 交办单 for a KIN, a CARD and an AWD clue."""
    work = tmp_path_factory.mktemp("sample-docs")
    run = work / "out" / "sample"
    _cli("run", "sample", "--out", str(run), cwd=work)
    led = work / "out" / "ledger.sqlite"
    _cli("ledger", "merge", str(run), "--ledger", str(led), cwd=work)
    _cli("report", str(run), "--ledger", str(led), cwd=work)
    _cli("sample", str(run), cwd=work)
    _cli("ledger", "export", "--ledger", str(led), "--out", str(run / "台账.xlsx"), cwd=work)
    f = pd.read_parquet(run / "findings.parquet")
    picks = [f[(f.rule == rule)].finding_id.iloc[0] for rule in ("KIN-01", "CARD-04", "AWD-02")]
    _cli("packet", str(run), *picks, cwd=work)
    return run, picks


def _pdfs(run: Path, picks) -> list[Path]:
    return [run / "自查报告.pdf", *(run / "交办单" / f"交办单-{p}.pdf" for p in picks)]


def _docxs(run: Path, picks) -> list[Path]:
    return [run / "自查报告.docx", *(run / "交办单" / f"交办单-{p}.docx" for p in picks)]


@pytest.mark.skipif(not HAS_CHROMIUM, reason="PDF needs Chromium")
def test_pdf_pages_are_a4_and_numbered(sample_outputs):
    from pypdf import PdfReader

    run, picks = sample_outputs
    for pdf in _pdfs(run, picks):
        reader = PdfReader(str(pdf))
        assert len(reader.pages) >= 2, pdf.name
        for n, page in enumerate(reader.pages, 1):
            w, h = float(page.mediabox.width), float(page.mediabox.height)
            assert abs(w - A4_PT[0]) < 2 and abs(h - A4_PT[1]) < 2, (pdf.name, n, w, h)
            assert re.search(rf"—\s*{n}\s*—", page.extract_text()), (pdf.name, n, "page number missing")


def test_word_files_use_heading_styles_with_east_asian_fonts(sample_outputs):
    from docx import Document
    from docx.oxml.ns import qn

    run, picks = sample_outputs
    expected = {"Title": "方正小标宋简体", "Heading 1": "黑体", "Heading 2": "楷体_GB2312", "Normal": "仿宋_GB2312"}
    for path in _docxs(run, picks):
        doc = Document(str(path))
        for name, font in expected.items():
            fonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
            assert fonts.get(qn("w:eastAsia")) == font, (path.name, name)
            assert not any(a.endswith("Theme") for a in fonts.attrib), (path.name, name, "theme font overrides")
        headings = [p for p in doc.paragraphs if p.style.name == "Heading 1"]
        assert headings and all(re.match(r"[一二三四五六七八九十]+、", p.text) for p in headings), path.name
        assert [p.text.split("、")[0] for p in headings] == list("一二三四五六七八九十")[: len(headings)]
        assert any(p.style.name == "Title" for p in doc.paragraphs), path.name
        s = doc.sections[0]
        assert abs(s.page_width.cm - 21.0) < 0.05 and abs(s.page_height.cm - 29.7) < 0.05
        footer_xml = s.footer._element.xml + s.even_page_footer._element.xml
        assert footer_xml.count("PAGE") >= 2, "odd and even page numbers"


def _xlsx_texts(path: Path) -> list[str]:
    out = []
    for ws in openpyxl.load_workbook(path, read_only=True).worksheets:
        for row in ws.iter_rows(values_only=True):
            out += [str(v) for v in row if v is not None]
    return out


def _all_texts(run: Path, picks) -> dict[str, str]:
    from docx import Document

    texts = {p.name: "\n".join(_xlsx_texts(p)) for p in sorted(run.glob("*.xlsx"))}
    for path in _docxs(run, picks):
        doc = Document(str(path))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        texts[path.name] = "\n".join([p.text for p in doc.paragraphs] + cells)
    if HAS_CHROMIUM:
        from pypdf import PdfReader

        for path in _pdfs(run, picks):
            texts[path.name] = "\n".join(pg.extract_text() for pg in PdfReader(str(path)).pages)
    return texts


CODE = re.compile(r"^(?:[A-Z]{3,5}-\d{2}|[A-Za-z]*\d[\w\-*]*|[0-9a-f]{16}|\*+\w*)$")


def test_exports_and_documents_have_no_english_words(sample_outputs):
    """Every word in Latin letters must be a rule code, an id (letters with digits: LB…, PY…, a clue
    number) or a file extension the user's own file names carry."""
    run, picks = sample_outputs
    texts = _all_texts(run, picks)
    assert {"三张清单.xlsx", "风险排名.xlsx", "抽查方案.xlsx", "台账.xlsx", "潜在救助对象清单.xlsx"} <= set(texts)
    for name, text in texts.items():
        words = re.findall(r"(?<![.\w])[A-Za-z][\w\-*]*", text)
        bad = sorted({w for w in words if not CODE.match(w)})
        assert not bad, f"{name} has English words: {bad[:20]}"


def test_exports_and_documents_leak_no_personal_number(sample_outputs):
    """No 18-digit resident ID, no bank account and no phone number of the county appears in full."""
    import duckdb

    run, picks = sample_outputs
    con = duckdb.connect(str(run / "workspace.duckdb"), read_only=True)
    accounts = {a for (a,) in con.execute("SELECT DISTINCT account_no FROM accounts").fetchall() if a}
    accounts |= {a for (a,) in con.execute("SELECT DISTINCT account_no FROM payments").fetchall() if a}
    phones = {p for (p,) in con.execute("SELECT DISTINCT phone FROM persons WHERE phone IS NOT NULL").fetchall()}
    con.close()
    assert accounts and phones
    for name, text in _all_texts(run, picks).items():
        ids = [
            s
            for s in re.findall(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])", text)
            if validate_resident_id(s)[1] is None
        ]
        assert not ids, f"{name} shows resident IDs in full: {ids[:3]}"
        digits = set(re.findall(r"\d{11,19}", text))
        assert not digits & accounts, f"{name} shows bank accounts in full: {sorted(digits & accounts)[:3]}"
        assert not digits & phones, f"{name} shows phone numbers in full: {sorted(digits & phones)[:3]}"


def test_exports_format_money_dates_and_villages(sample_outputs):
    run, _ = sample_outputs
    wb = openpyxl.load_workbook(run / "三张清单.xlsx")
    ws = wb["问题清单"]
    header = [c.value for c in ws[1]]
    assert "村（社区）" in header and ws.freeze_panes == "A2" and ws.auto_filter.ref
    village = header.index("村（社区）") + 1
    assert any(ws.cell(r, village).value for r in range(2, ws.max_row + 1))
    rules_col = header.index("规则说明") + 1
    assert not any("按政策配置" in str(ws.cell(r, rules_col).value) for r in range(2, ws.max_row + 1))  # numbers filled
    due = wb["任务清单"].cell(2, 3)
    assert due.is_date, "完成时限 is an Excel date"
    rank = openpyxl.load_workbook(run / "风险排名.xlsx")["按案件"]
    head = [c.value for c in rank[1]]
    money = head.index("涉及金额（元）") + 1
    assert rank.cell(2, money).number_format.endswith('"元"') and isinstance(rank.cell(2, money).value, (int, float))
    assert rank.column_dimensions["A"].width >= 14
