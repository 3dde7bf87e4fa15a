"""整改台账: the clue ledger — status, assignee, notes and history."""

from __future__ import annotations

import streamlit as st

from app_pages.state import audit, current, download, findings, ledger_entry_form, ledger_path, user
from audit.coverage import misconduct
from audit.ledger import Ledger
from audit.results import to_excel_bytes


def page() -> None:
    st.title("整改台账")
    path = ledger_path()
    led = Ledger(path)
    mine = findings()
    if st.button("把本次审计结果并入台账", disabled=user().role == "readonly"):
        towns = {user().township} if user().role == "township" else None
        counts = led.merge(misconduct(mine), who=user().username, townships=towns)
        audit("ledger_merge", str(counts))
        st.success(
            f"新增 {counts['new']}，保留 {counts['kept']}，重新打开 {counts['reopened']}，已消除 {counts['cleared']}。"
        )
    t = led.frame()
    if user().role == "township":
        t = t[(t.township == user().township) | t.finding_id.isin(set(mine.finding_id))]
    if t.empty:
        st.info(
            "台账还是空的：由县级或乡镇用户把本次审计的问题线索并入台账后，可在此查看。"
            if user().role == "readonly"
            else "台账还是空的：点击上方按钮，把本次审计的问题线索并入台账。"
        )
        st.stop()
    st.caption(f"台账共 {len(t):,} 条：" + "，".join(f"{k} {v}" for k, v in t.status.value_counts().items()))
    st.dataframe(
        t[
            [
                "finding_id",
                "rule",
                "status",
                "assignee",
                "due_date",
                "note",
                "dismissal_reason",
                "township",
                "explanation",
            ]
        ]
        .rename(
            columns={
                "finding_id": "线索编号",
                "rule": "规则",
                "status": "状态",
                "assignee": "承办人",
                "due_date": "期限",
                "note": "备注",
                "dismissal_reason": "不属实原因",
                "township": "乡镇",
                "explanation": "说明",
            }
        )
        .fillna(""),
        hide_index=True,
        width="stretch",
    )
    if len(t) and user().role != "readonly":
        st.subheader("修改一条线索")
        fid = st.selectbox("线索编号", list(t.finding_id))
        ledger_entry_form(led, t.set_index("finding_id").loc[fid], fid, folded=False)
    if len(t):
        villages, mask = current().villages, not user().full_view  # read now, not in the download callback

        def _ledger_file() -> tuple[bytes, int]:
            return to_excel_bytes(led.export(t, villages), mask=mask), len(t)

        download("导出台账 Excel", _ledger_file, "台账.xlsx")


page()
