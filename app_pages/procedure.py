"""评议与程序: appraisal meetings (attendance, quorum, tallies) and procedure clues."""

from __future__ import annotations

import streamlit as st

from app_pages.state import clue_table, context, findings, user
from audit.auth import scope
from audit.policy import present


def page() -> None:
    st.title("评议与程序")
    f = findings()
    proc = f[f.family.isin(["VOTE", "RCK"]) & (f.rule != "RCK-07")]
    clue_table(proc, ["severity", "rule", "explanation", "case_id", "meeting_id", "township"])
    ctx = context()
    if "meetings" in ctx.tables:
        towns = ctx.table("persons").drop_duplicates("village_code")[["village_code", "township"]]
        m = ctx.table("meetings").merge(towns, on="village_code", how="left")
        m = scope(m, user())
        att = present(ctx.table("meeting_attendance")).groupby("meeting_id").size().rename("实到人数")
        m = m.join(att, on="meeting_id").fillna({"实到人数": 0})
        m["到会比例"] = (m["实到人数"] / m.members_total).map(lambda v: f"{v:.0%}")
        flagged = set(proc.meeting_id.dropna())
        m["有问题"] = m.meeting_id.isin(flagged).map({True: "是", False: ""})
        st.subheader(f"评议会议（{len(m):,} 次）")
        st.dataframe(
            m.sort_values(["有问题", "date"], ascending=[False, False])[
                ["meeting_id", "township", "village_code", "date", "members_total", "实到人数", "到会比例", "有问题"]
            ].rename(
                columns={
                    "meeting_id": "会议编号",
                    "township": "乡镇",
                    "village_code": "村代码",
                    "date": "日期",
                    "members_total": "评议小组人数",
                }
            ),
            hide_index=True,
            width="stretch",
        )


page()
