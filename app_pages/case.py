"""案件详情: one case — members, award vs top-up, timeline, payouts, findings."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.state import (
    audit,
    case_context,
    case_list,
    download,
    findings,
    ledger_entry_form,
    ledger_path,
    md,
    official_key,
    official_label,
    run_dir,
    shown,
    user,
)
from audit import figures
from audit.auth import scope
from audit.catalogue import catalogue, fill
from audit.ids import mask_account, mask_id
from audit.policy import top_up
from audit.results import SEVERITY_ZH
from audit.timeline import case_timeline


def _ledger():
    from audit.ledger import Ledger

    path = ledger_path()
    return Ledger(path) if path.exists() else None


def _full_context():
    from app_pages.state import context

    return context()


def _packet(finding_id: str, f, ctx, settings, villages) -> bytes:
    from audit.packet import packet_html

    return packet_html(ctx, f, finding_id, settings, villages).encode("utf-8")


def page() -> None:
    cases = scope(case_list(str(run_dir()), (run_dir() / "run.json").stat().st_mtime), user())
    f = findings()
    st.title("案件详情")
    flagged, mine = set(f.case_id.dropna()), set(cases.case_id)
    options = [c for c in f.case_id.dropna().drop_duplicates() if c in mine] + [
        c for c in cases.case_id if c not in flagged
    ]
    if not options:
        st.info("您的管辖范围内没有低保案件。")
        return
    # the case lives in the URL (?case=LB…): a reload or a shared link opens the same case after login
    wanted = st.query_params.get("case") or st.session_state.get("case_id")
    if wanted and wanted not in options:
        st.warning("链接中的案件不在您的管辖范围内（或已不在本次审计结果中），已显示其他案件。")
    case_id = st.selectbox(
        "低保编号（有问题线索的排在前面）", options, index=options.index(wanted) if wanted in options else 0
    )
    st.session_state["case_id"] = case_id
    st.query_params.from_dict({"case": case_id})  # only this page's own parameter stays in the URL
    audit("open_case", case_id)
    ctx = case_context(case_id)
    c = ctx.table("cases").iloc[0]
    full = user().full_view
    tu = top_up(ctx, ctx.table("cases")).iloc[0]
    cols = st.columns(5)
    cols[0].metric("月保障金（核定）", f"{c.monthly_amount:.0f}元")
    gap = c.monthly_amount - tu.computed
    cols[1].metric(
        "按补差应为", f"{tu.computed:.0f}元", f"{gap:+.0f}元" if abs(gap) >= 1 else None, delta_color="inverse"
    )
    cols[2].metric("保障人数", int(c.enrolled_count))
    cols[3].metric("状态", c.status)
    cols[4].metric("乡镇", c.township)
    st.caption(
        md(
            f"户号 {c.household_id} · 户主 {c.head_id if full else mask_id(c.head_id)} · 发放账号 "
            f"{c.account_no if full else mask_account(c.account_no)} · 审批 {c.approval_date:%Y-%m-%d}"
        )
    )
    st.subheader("问题线索")
    mine = shown(f[f.case_id == case_id])
    if mine.empty:
        st.success("本案没有问题线索。")
    led = _ledger()
    entries = led.frame().set_index("finding_id") if led is not None else None
    # read here: the packet is built in the download callback, where the session is not at hand
    from app_pages.state import current
    from audit.settings import load_settings, settings_path

    res = current()
    packet_args = (_full_context(), load_settings(settings_path(run_dir()), res.county), res.villages)
    raw = f.set_index("finding_id")
    for r in mine.itertuples(index=False):
        doc = catalogue().get(r.rule)
        st.markdown(
            f"**{r.rule} {md(doc.title if doc else '')}**（{SEVERITY_ZH[r.severity]}）{md(r.explanation)}  \n"
            f"现场核实：{md(fill(doc.verify, res.run['profile']['params']) if doc else '')}  \n"
            f"政策依据：{md(r.policy_ref)}"
        )
        cols = st.columns([2, 3, 1])
        with cols[0]:
            download(
                f"下载交办单 {r.finding_id}",
                lambda fid=r.finding_id: (_packet(fid, f, *packet_args), 1),
                f"交办单-{r.finding_id}.html",
                key=f"pk-{r.finding_id}",
            )
        official = raw.official_id.get(r.finding_id)
        if isinstance(official, str) and (key := official_key(official)):
            label = official_label(official)
            if cols[1].button(f"亲属关系图谱：{label}", key=f"kin-{r.finding_id}"):
                st.switch_page("app_pages/kinship.py", query_params={"official": key})
        if entries is not None and r.finding_id in entries.index:
            ledger_entry_form(led, entries.loc[r.finding_id], r.finding_id)
    left, right = st.columns(2)
    with left:
        st.subheader("保障成员")
        p = ctx.table("persons").set_index("person_id")
        m = ctx.table("case_members")
        m = m[m.case_id == case_id].join(
            p[["name", "relation_to_head", "birth_date", "disability_grade"]], on="person_id"
        )
        m = m.assign(
            person_id=m.person_id if full else m.person_id.map(mask_id), birth_date=m.birth_date.dt.strftime("%Y-%m-%d")
        ).fillna("")
        st.dataframe(
            m.rename(
                columns={
                    "person_id": "身份证号",
                    "name": "姓名",
                    "relation_to_head": "与户主关系",
                    "birth_date": "出生日期",
                    "disability_grade": "残疾等级",
                    "enrolled": "纳入保障",
                }
            )[["姓名", "身份证号", "与户主关系", "出生日期", "残疾等级", "纳入保障"]],
            hide_index=True,
        )
    with right:
        st.subheader("办理时间线")
        t = case_timeline(ctx, case_id)
        st.dataframe(
            t.assign(date=t.date.dt.strftime("%Y-%m-%d")).rename(
                columns={"date": "日期", "event": "环节", "detail": "说明", "source": "来源"}
            ),
            hide_index=True,
            height=320,
        )
    st.subheader("发放与支取")
    pay = ctx.table("payments")
    pay = pay[pay.case_id == case_id]
    wd = (
        ctx.table("withdrawals")
        if "withdrawals" in ctx.tables
        else pd.DataFrame(columns=["account_no", "time", "amount", "channel", "terminal_id"])
    )
    wd = wd[wd.account_no.isin(set(pay.account_no))]
    st.plotly_chart(figures.payouts_chart(pay, wd), width="stretch")


page()
