"""待遇公平: award against assessed need per village, flat-rate villages and model outliers marked."""

from __future__ import annotations

import plotly.express as px
import streamlit as st

from app_pages.state import context, current, findings, md, user
from audit.auth import scope
from audit.figures import FONT
from audit.policy import top_up


def page() -> None:
    st.title("待遇公平")
    ctx = context()
    c = scope(ctx.table("cases"), user())
    c = c[c.status == "在保"].dropna(subset=["per_capita_income"])
    if c.empty:
        st.info("您的管辖范围内没有在保案件。")
    else:
        f = findings()
        flat = set(f[f.rule == "AWD-02"].village_code)
        outl = set(f[f.rule.isin(["AWD-01", "AWD-07"])].case_id)
        d = c.assign(
            核算补差=top_up(ctx, c).computed.to_numpy(),
            核定金额=c.monthly_amount,
            标记=[
                ("平均分配村" if v in flat else "") + ("金额异常" if k in outl else "") or "正常"
                for v, k in zip(c.village_code, c.case_id)
            ],
        )
        fig = px.scatter(
            d,
            x="核算补差",
            y="核定金额",
            color="标记",
            hover_data=["case_id", "village_code"],
            color_discrete_map={
                "正常": "#9bb7d4",
                "平均分配村": "#e67e22",
                "金额异常": "#c0392b",
                "平均分配村金额异常": "#8e44ad",
            },
            title="核定金额与按收入核算的补差（对角线上为按标施保）",
        )
        top = float(max(d.核算补差.max(), d.核定金额.max()))
        fig.add_shape(type="line", x0=0, y0=0, x1=top, y1=top, line=dict(dash="dot", color="#888"))
        fig.update_layout(font=FONT, height=520)
        st.plotly_chart(fig, width="stretch")
        if flat:
            names = current().villages
            st.warning(
                "疑似平均分配的村："
                + "、".join(md(f"{names.get(v, '')}（{v}）" if names.get(v) else v) for v in sorted(flat))
            )


page()
