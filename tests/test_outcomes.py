"""Risk ranking, case ledger, sampling plan and the three lists on the generated county."""

from __future__ import annotations

import io
import re
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

from audit.errors import AuditError
from audit.ledger import Ledger
from audit.lists import three_lists
from audit.profile import load_profile
from audit.sampling import sampling_plan
from audit.scoring import rank
from audit.settings import DocSettings


def test_planted_cases_rank_on_top(audited, county):
    truth = pd.read_csv(county / "truth.csv", dtype=str)
    r = rank(audited.findings, load_profile("sandu-2021"))
    top = r.head(max(1, len(audited.ctx.table("cases")) // 20))  # the top 5 % of all cases
    cases = audited.ctx.table("cases")
    planted = set(truth.case_id.dropna()) | set(cases[cases.account_no.isin(set(truth.account_no.dropna()))].case_id)
    share = top.case_id.isin(planted).mean()
    print(f"planted share of the top 5 % by risk: {share:.2%}")
    assert share >= 0.95
    first = r.iloc[0]
    assert first.reasons and first.score > r.score.median()


def test_ranking_reasons_read_like_an_inspector(audited):
    r = rank(audited.findings, load_profile("sandu-2021"))
    kin = r[r.reasons.str.contains("关系保（")]
    assert len(kin) and kin.official_linked.all()
    assert rank(audited.findings, load_profile("sandu-2021"), "official_id").official_id.notna().all()


def test_ledger_survives_a_rerun(tmp_path, audited):
    led = Ledger(tmp_path / "ledger.sqlite")
    f = audited.findings
    assert led.merge(f)["new"] == len(f)
    first, second = f.finding_id.iloc[0], f.finding_id.iloc[1]
    led.set(first, "张三", status="核实中", assignee="李四", note="已约谈")
    led.set(second, "张三", status="不属实", dismissal_reason="同名不同人")
    counts = led.merge(f.iloc[1:])  # the first clue no longer fires; the second still does
    frame = led.frame().set_index("finding_id")
    assert frame.loc[first, "status"] == "已消除" and frame.loc[first, "note"] == "已约谈"
    assert frame.loc[second, "status"] == "不属实" and counts["suppressed"] == 1
    changed = f.iloc[[1]].assign(evidence='{"changed": 1}')
    led.merge(pd.concat([f.iloc[2:], changed]))  # same clue, changed evidence
    assert led.frame().set_index("finding_id").loc[second, "status"] == "待核实"  # evidence changed: raised again
    h = led.history(first)
    assert list(h.field) == ["status", "status", "assignee", "note", "status"] and set(h.who) >= {"张三"}


def test_ledger_refuses_bad_status_and_reasonless_dismissal(tmp_path, audited):
    led = Ledger(tmp_path / "l.sqlite")
    led.merge(audited.findings.head(3))
    fid = audited.findings.finding_id.iloc[0]
    with pytest.raises(AuditError, match="状态必须是"):
        led.set(fid, "x", status="完成")
    with pytest.raises(AuditError, match="必须给出原因"):
        led.set(fid, "x", status="不属实")


def test_ledger_write_killed_midway_leaves_it_consistent(tmp_path, audited):
    path = tmp_path / "l.sqlite"
    Ledger(path)
    big = pd.concat([audited.findings.assign(finding_id=audited.findings.finding_id + f"-{i}") for i in range(60)])
    big.to_parquet(tmp_path / "big.parquet")
    script = textwrap.dedent(f"""
        import pandas as pd
        from audit.ledger import Ledger
        Ledger({str(path)!r}).merge(pd.read_parquet({str(tmp_path / "big.parquet")!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script])
    time.sleep(2.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    n = con.execute("SELECT count(*) FROM clue").fetchone()[0]
    con.close()
    assert n in (0, len(big))  # all of the merge or none of it


@pytest.mark.parametrize("weighted", [False, True])
def test_sampling_plan_meets_the_minimums(audited, weighted):
    prof = load_profile("sandu-2021")
    cases = audited.ctx.table("cases")
    cases = cases[cases.status == "在保"]
    r = rank(audited.findings, prof)
    plan, meta = sampling_plan(cases, r, prof, seed=7, weighted=weighted)
    assert meta["meets_minimums"] and meta["villages_sampled"] * 3 >= meta["villages_total"]
    high = r[r.score >= meta["high_score_threshold"]]
    in_sampled = high[high.case_id.isin(set(cases[cases.village_code.isin(set(plan.village_code))].case_id))]
    assert set(in_sampled.case_id) <= set(plan.case_id)
    again, _ = sampling_plan(cases, r, prof, seed=7, weighted=weighted)
    assert again.equals(plan)  # re-derivable from the seed


def test_three_lists_workbook(audited):
    data = three_lists(audited.findings, audited.run["as_of"], 30)
    book = pd.read_excel(io.BytesIO(data), sheet_name=None)
    assert list(book) == ["问题清单", "任务清单", "责任清单"]
    assert len(book["问题清单"]) == len(audited.findings)
    text = book["问题清单"].to_string()
    assert not any(pid in text for pid in set(audited.findings.person_id.dropna()))


def test_self_audit_report_html_and_pdf(audited, tmp_path):
    import shutil

    from audit.report import write_report
    from audit.results import load_results

    res = load_results(audited.out)
    written = write_report(res, load_profile("sandu-2021"), tmp_path, DocSettings.defaults("三都水族自治县"))
    page = written[0].read_text(encoding="utf-8")
    for part in ("一、基本情况", "二、发现的主要问题", "三、整改推进情况", "四、重点问题线索", "三都水族自治县民政局"):
        assert part in page
    assert not any(pid in page for pid in set(audited.findings.person_id.dropna()))
    if shutil.which("chromium"):
        pdf = written[1].read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) > 20000
    from docx import Document

    doc = Document(str(written[-1]))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert written[-1].suffix == ".docx" and "二、发现的主要问题" in text and len(doc.tables) >= 3
    if shutil.which("chromium"):
        assert len(doc.inline_shapes) == 2  # the two charts as pictures


def test_evidence_packet_for_a_kin_clue(audited, tmp_path):
    import shutil

    from audit.packet import write_packet

    f = audited.findings
    fid = f[f.rule == "KIN-01"].finding_id.iloc[0]
    written = write_packet(audited.ctx, f, fid, tmp_path)
    page = written[0].read_text(encoding="utf-8")
    for part in ("低保问题线索交办单", "一、问题情况", "二、亲属关系", "三、办理过程", "办结时限", "建议核实事项"):
        assert part in page
    numbers = re.findall(r"<h1>([一二三四五六七八九十]+)、", page)
    assert numbers == ["一", "二", "三", "四", "五", "六", "七", "八"][: len(numbers)]  # sections never skip
    assert not any(pid in page for pid in set(f.person_id.dropna()) | set(f.official_id.dropna()))
    if shutil.which("chromium"):
        assert written[1].read_bytes().startswith(b"%PDF")
    from docx import Document

    doc = Document(str(written[-1]))
    assert "低保问题线索交办单" in doc.paragraphs[0].text and len(doc.inline_shapes) == (
        2 if shutil.which("chromium") else 0
    )


@pytest.mark.parametrize("name", ["nanchang-2019", "yangquan-2019", "yuncheng-2023", "guizhou-2023", "sandu-2021"])
def test_sampling_minimums_under_every_profile(audited, name):
    prof = load_profile(name)
    cases = audited.ctx.table("cases")
    plan, meta = sampling_plan(cases[cases.status == "在保"], rank(audited.findings, prof), prof, seed=1)
    assert meta["meets_minimums"] and meta["village_share_required"] == "1/3"


def test_township_merge_touches_only_its_own_clues(tmp_path, audited):
    """A township user's merge must not mark other townships' clues 已消除 nor reopen them later."""
    from audit.ledger import Ledger

    f = audited.findings.dropna(subset=["township"])
    towns = sorted(f.township.unique())
    led = Ledger(tmp_path / "l.sqlite")
    led.merge(f)
    other = f[f.township != towns[0]].finding_id.iloc[0]
    led.set(other, "县纪委", status="核实中")
    mine = f[f.township == towns[0]]
    counts = led.merge(mine, who="乡镇", townships={towns[0]})
    assert counts["cleared"] == 0
    t = led.frame().set_index("finding_id")
    assert t.loc[other, "status"] == "核实中" and not (t[t.township != towns[0]].status == "已消除").any()


def test_a_township_ledger_export_holds_only_its_own_clues_and_history(tmp_path, audited):
    from audit.coverage import misconduct
    from audit.results import to_excel_bytes

    led = Ledger(tmp_path / "ledger.sqlite")
    f = misconduct(audited.findings)
    led.merge(f)
    towns = f.township.dropna().value_counts().index
    mine, other = towns[0], towns[1]
    a = f[f.township == mine].finding_id.iloc[0]
    b = f[f.township == other].finding_id.iloc[0]
    led.set(a, "乡镇甲", note="已入户")
    led.set(b, "乡镇乙", note="联系电话13912345678")
    t = led.frame()
    sheets = led.export(t[t.township == mine])
    assert set(sheets["线索台账"]["乡镇"]) == {mine}
    assert a in set(sheets["变更记录"]["线索编号"]) and b not in set(sheets["变更记录"]["线索编号"])
    book = pd.read_excel(io.BytesIO(to_excel_bytes(led.export(t))), sheet_name="变更记录")  # a phone in a note
    assert book["新值"].astype(str).str.contains("139\\*\\*\\*\\*5678").any()
    assert not book["新值"].astype(str).str.contains("13912345678").any()
