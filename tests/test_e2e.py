"""End to end: the real dashboard server driven by headless Chromium; screenshots in tests/artifacts/."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).parent / "artifacts"

if not CHROMIUM:
    if os.environ.get("CI"):
        pytest.fail("CI must install Debian's chromium for the dashboard tests", pytrace=False)
    pytest.skip("headless Chromium not installed (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(audited, tmp_path_factory):
    from audit.auth import add_user

    users = tmp_path_factory.mktemp("users") / "users.json"
    add_user(users, "jiwei", "e2e-password", "county")
    proc, url = _serve(audited.out, users)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _serve(run_dir, users, env=None):
    """Start `dibao-audit serve` on a free port and wait until it answers its health check."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "audit", "serve", str(run_dir), "--port", str(port), "--users", str(users)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=1).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    pytest.fail("dashboard server did not start")


def _shot(page, name):
    page.wait_for_timeout(1500)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_login_findings_case_kinship_in_chromium(server, audited):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(server, wait_until="networkidle")
        page.get_by_label("用户名").fill("jiwei")
        page.get_by_label("密码").fill("e2e-password")
        page.get_by_role("button", name="登录").click()
        page.get_by_text("高风险").first.wait_for(timeout=60000)
        _shot(page, "1_overview.png")
        assert f"{len(audited.findings):,}" in page.inner_text("body")
        page.get_by_role("link", name="问题线索").click()
        page.get_by_text("已脱敏").wait_for(timeout=60000)
        _shot(page, "2_findings.png")
        body = page.inner_text("body")
        assert not any(pid in body for pid in set(audited.findings.person_id.dropna()))
        # the table toolbar offers no unlogged CSV download; the export button builds the file on click
        page.locator("[data-testid='stDataFrame']").first.hover()
        page.wait_for_timeout(500)
        toolbar = page.locator("[data-testid='stElementToolbar'] button:visible")
        labels = [(b.get_attribute("aria-label") or "") + (b.get_attribute("title") or "") for b in toolbar.all()]
        assert labels and not any("ownload" in x for x in labels), labels
        with page.expect_download(timeout=60000) as dl:
            page.get_by_role("button", name="导出 Excel").click()
        got = dl.value
        assert got.suggested_filename == "问题线索.xlsx" and Path(got.path()).read_bytes()[:2] == b"PK"
        entries = (audited.out / "access_log.jsonl").read_text(encoding="utf-8").splitlines()
        assert any('"export"' in e and "问题线索.xlsx" in e and '"rows"' in e for e in entries)
        # a row click opens that case (the grid's row marker selects the first row)
        grid = page.locator("[data-testid='stDataFrame']").first.bounding_box()
        page.mouse.click(grid["x"] + 12, grid["y"] + 35 + 18)
        page.get_by_text("办理时间线").wait_for(timeout=60000)
        from audit.coverage import misconduct
        from audit.profile import load_profile
        from audit.scoring import rank

        top = rank(misconduct(audited.findings), load_profile("sandu-2021")).case_id.iloc[0]
        assert top in page.inner_text("body")  # the highest-risk case is the one opened
        _shot(page, "2b_case_from_click.png")
        page.get_by_role("link", name="案件详情").click()
        page.get_by_text("办理时间线").wait_for(timeout=60000)
        _shot(page, "3_case.png")
        page.get_by_role("link", name="亲属关系图谱").click()
        page.get_by_text("按辈分分行").wait_for(timeout=60000)
        _shot(page, "4_kinship.png")
        page.get_by_role("link", name="主动发现").click()
        page.get_by_text("潜在救助对象（户）").wait_for(timeout=60000)
        _shot(page, "5_cover.png")
        body = page.inner_text("body")
        assert not any(pid in body for pid in set(audited.findings.person_id.dropna()))
        # the link the export was served from is gone once the session moved on: no standing public URL
        page.get_by_role("link", name="总览").click()
        page.get_by_text("高风险").first.wait_for(timeout=60000)
        page.wait_for_timeout(1500)
        assert got.url.startswith(server + "/media/")
        try:
            status = urllib.request.urlopen(got.url, timeout=5).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        assert status == 404, status
        browser.close()


@pytest.fixture(scope="module")
def workflow_server(audited, tmp_path_factory):
    """A dashboard with the run's clues merged into a ledger of its own (DIBAO_LEDGER)."""
    from audit.auth import add_user
    from audit.coverage import misconduct
    from audit.ledger import Ledger

    home = tmp_path_factory.mktemp("workflow")
    users, ledger = home / "users.json", home / "ledger.sqlite"
    add_user(users, "jiwei", "e2e-password", "county")
    Ledger(ledger).merge(misconduct(audited.findings))
    proc, url = _serve(audited.out, users, env={**os.environ, "DIBAO_LEDGER": str(ledger)})
    yield url, ledger
    proc.terminate()
    proc.wait(timeout=10)


def _login(page):
    page.get_by_label("用户名").fill("jiwei")
    page.get_by_label("密码").fill("e2e-password")
    page.get_by_role("button", name="登录").click()


def test_inspector_workflow_survives_a_reload(workflow_server, audited):
    """Issue 13's path: top clue → case (in the URL) → the official's chart → 交办单 → ledger status with a
    note, confirmed → reload → sign in again → the same case, with the status kept."""
    from audit.coverage import misconduct
    from audit.ledger import Ledger
    from audit.profile import load_profile
    from audit.scoring import rank

    url, ledger = workflow_server
    clues = misconduct(audited.findings)
    top = rank(clues, load_profile("sandu-2021")).case_id.iloc[0]
    kin = clues[(clues.rule == "KIN-01") & clues.case_id.notna()].iloc[0]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        page.goto(url, wait_until="networkidle")
        _login(page)
        page.get_by_text("高风险").first.wait_for(timeout=60000)
        page.get_by_role("link", name="问题线索").click()
        page.get_by_text("已脱敏").wait_for(timeout=60000)
        grid = page.locator("[data-testid='stDataFrame']").first.bounding_box()
        page.mouse.click(grid["x"] + 12, grid["y"] + 35 + 18)
        page.get_by_text("办理时间线").wait_for(timeout=60000)
        page.wait_for_timeout(1000)
        assert f"case={top}" in page.url and top in page.inner_text("body")
        # a shared link to a KIN case opens that case directly
        page.goto(f"{url}/case?case={kin.case_id}", wait_until="networkidle")
        page.get_by_text("办理时间线").wait_for(timeout=60000)  # the session cookie keeps the sign-in
        assert kin.case_id in page.inner_text("body") and "Page not found" not in page.inner_text("body")
        page.get_by_role("button", name="亲属关系图谱").first.click()
        page.get_by_text("按辈分分行").wait_for(timeout=60000)
        page.wait_for_timeout(1000)
        assert "official=g" in page.url and kin.official_id not in page.url
        _shot(page, "6_official_chart.png")
        page.go_back()
        page.get_by_text("办理时间线").wait_for(timeout=60000)
        page.wait_for_timeout(1000)
        assert kin.case_id in page.inner_text("body")
        with page.expect_download(timeout=60000) as dl:
            page.get_by_role("button", name=f"下载交办单 {kin.finding_id}").click()
        assert "低保问题线索交办单" in Path(dl.value.path()).read_text(encoding="utf-8")
        page.get_by_text("点击修改").first.click()
        form = page.locator("[data-testid='stForm']").first
        form.get_by_label("备注").fill("已入户核查，待补材料")
        status = form.locator("[data-testid='stSelectbox']").first
        for _ in range(3):  # the drop-down opens on a click and takes the typed choice with Enter
            status.locator("input").click()
            page.wait_for_timeout(500)
            page.keyboard.type("核实中")
            page.wait_for_timeout(500)
            page.keyboard.press("Enter")
            page.wait_for_timeout(500)
            if "核实中" in status.locator("input").input_value() + status.inner_text():
                break
        assert "核实中" in status.locator("input").input_value() + status.inner_text()
        form.get_by_text("确认修改台账").click()
        form.get_by_role("button", name="保存到台账").click()
        page.wait_for_timeout(3000)
        entry = Ledger(ledger).frame().set_index("finding_id").loc[kin.finding_id]
        assert entry.status == "核实中" and entry.note == "已入户核查，待补材料"
        page.reload(wait_until="networkidle")
        page.get_by_text("办理时间线").wait_for(timeout=60000)  # no second sign-in
        page.wait_for_timeout(1000)
        body = page.inner_text("body")
        assert f"case={kin.case_id}" in page.url and kin.case_id in body and "台账：核实中" in body
        _shot(page, "7_case_after_reload.png")
        # a shared link opened by someone not signed in (a fresh browser) asks to sign in, then opens the case
        other = browser.new_context().new_page()
        other.goto(f"{url}/case?case={kin.case_id}", wait_until="networkidle")
        _login(other)
        other.get_by_text("办理时间线").wait_for(timeout=60000)
        assert kin.case_id in other.inner_text("body")
        # signing out ends the server-side session: a reload asks to sign in again
        page.get_by_role("button", name="退出登录").click()
        page.get_by_label("用户名").wait_for(timeout=60000)
        page.reload(wait_until="networkidle")
        page.get_by_label("用户名").wait_for(timeout=60000)
        browser.close()
