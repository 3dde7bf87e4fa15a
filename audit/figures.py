"""Plotly figures for the dashboard and reports (no streamlit import here)."""
from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from audit.catalogue import FAMILY_ZH
from audit.results import SEVERITY_ZH

__all__ = ["findings_by_family", "findings_by_township"]

SEVERITY_COLORS = {"高": "#c0392b", "中": "#e67e22", "低": "#95a5a6"}
FONT = dict(family="Noto Sans CJK SC, Microsoft YaHei, sans-serif")


def _counts(findings: pd.DataFrame, by: str) -> pd.DataFrame:
    f = findings.assign(严重程度=findings.severity.map(SEVERITY_ZH))
    return f.groupby([by, "严重程度"]).size().rename("线索数").reset_index()


def findings_by_family(findings: pd.DataFrame) -> go.Figure:
    f = findings.assign(规则族=findings.family.map(lambda x: f"{x} {FAMILY_ZH.get(x, '')}"))
    fig = px.bar(_counts(f, "规则族"), x="规则族", y="线索数", color="严重程度", color_discrete_map=SEVERITY_COLORS,
                 category_orders={"严重程度": ["高", "中", "低"]}, title="按规则族统计的问题线索")
    fig.update_layout(font=FONT, legend_title_text="严重程度", margin=dict(t=50, b=10))
    return fig


def findings_by_township(findings: pd.DataFrame) -> go.Figure:
    f = findings.assign(乡镇=findings.township.fillna("（无法定位乡镇）"))
    fig = px.bar(_counts(f, "乡镇"), y="乡镇", x="线索数", color="严重程度", orientation="h",
                 color_discrete_map=SEVERITY_COLORS, category_orders={"严重程度": ["高", "中", "低"]},
                 title="按乡镇统计的问题线索")
    fig.update_layout(font=FONT, margin=dict(t=50, b=10))
    return fig
