"""银行卡与资金: card and money-trail clues, and the withdrawals behind a batch-withdrawal group."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from app_pages.state import clue_table, context, findings
from audit.figures import FONT
from audit.ids import mask_account


def page() -> None:
    st.title("银行卡与资金")
    f = findings()
    card = f[f.family.eq("CARD") | f.rule.eq("RCK-07")]
    st.caption(f"银行卡代管、冒领、资金回流等线索 {len(card):,} 条")
    clue_table(card, ["severity", "rule", "explanation", "case_id", "account_no", "township"])
    batch = card[card.rule == "CARD-04"]
    if len(batch):
        ctx = context()
        wd = ctx.table("withdrawals")
        wd = wd[wd.account_no.isin(set(batch.account_no))]
        fig = px.scatter(
            wd.assign(账号=wd.account_no.map(mask_account), 时刻=wd.time.dt.hour + wd.time.dt.minute / 60),
            x="time",
            y="时刻",
            color="账号",
            symbol="terminal_id",
            labels={"time": "日期", "terminal_id": "终端"},
            title="批量支取：同一批卡每月在同一终端被连续支取",
        )
        fig.update_layout(font=FONT, height=420)
        st.plotly_chart(fig, width="stretch")


page()
