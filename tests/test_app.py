"""Streamlit AppTest: every page renders from a real run folder, numbers match, IDs are masked."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")
PAGES = ["app_pages/overview.py", "app_pages/findings.py", "app_pages/rules.py", "app_pages/data_quality.py"]


@pytest.fixture()
def app(audited, monkeypatch):
    monkeypatch.setenv("DIBAO_RUN_DIR", str(audited.out))
    return audited


def _run(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    if page != PAGES[0]:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def test_overview_numbers_match_the_findings(app):
    at = _run(PAGES[0])
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["问题线索"] == f"{len(app.findings):,}"
    assert metrics["导入异常行"] == f"{app.run['rejects']:,}"


def test_findings_page_masks_ids(app):
    at = _run(PAGES[1])
    df = at.dataframe[0].value
    assert len(df) == len(app.findings)
    ids = df["身份证号"][df["身份证号"] != ""]
    assert len(ids) and ids.str.contains(r"\*{8}").all()
    raw = set(app.findings.person_id.dropna())
    assert not raw & set(ids)


@pytest.mark.parametrize("page", PAGES[2:])
def test_other_pages_render(app, page):
    at = _run(page)
    assert at.title[0].value in ("规则", "数据质量")


def test_missing_run_folder_explains_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("DIBAO_RUN_DIR", str(tmp_path / "none"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception and "没有找到审计结果" in at.error[0].value
