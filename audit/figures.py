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
    fig = px.bar(
        _counts(f, "规则族"),
        x="规则族",
        y="线索数",
        color="严重程度",
        color_discrete_map=SEVERITY_COLORS,
        category_orders={"严重程度": ["高", "中", "低"]},
        title="按规则族统计的问题线索",
    )
    fig.update_layout(font=FONT, legend_title_text="严重程度", margin=dict(t=50, b=10))
    return fig


def findings_by_township(findings: pd.DataFrame) -> go.Figure:
    f = findings.assign(乡镇=findings.township.fillna("（无法定位乡镇）"))
    fig = px.bar(
        _counts(f, "乡镇"),
        y="乡镇",
        x="线索数",
        color="严重程度",
        orientation="h",
        color_discrete_map=SEVERITY_COLORS,
        category_orders={"严重程度": ["高", "中", "低"]},
        title="按乡镇统计的问题线索",
    )
    fig.update_layout(font=FONT, margin=dict(t=50, b=10))
    return fig


def kinship_network(
    G,
    ego: str,
    highlight: list[str] | None = None,
    officials: set[str] | None = None,
    beneficiaries: set[str] | None = None,
    mask=None,
) -> go.Figure:
    """Ego graph as a plotly network: edges labelled 父母/配偶, nodes labelled with the kinship term.

    Officials are squares, beneficiaries red, virtual (unrecorded) persons grey; ``highlight`` is a
    path of person ids drawn thick.
    """
    import networkx as nx

    officials, beneficiaries = officials or set(), beneficiaries or set()
    mask = mask or (lambda s: s)
    und = nx.Graph(G)
    pos = nx.kamada_kawai_layout(und) if len(und) > 2 else nx.spring_layout(und, seed=1)
    hl = set(zip(highlight or [], (highlight or [])[1:])) | set(zip((highlight or [])[1:], highlight or []))
    fig = go.Figure()
    for a, b, d in und.edges(data=True):
        on = (a, b) in hl
        fig.add_trace(
            go.Scatter(
                x=[pos[a][0], pos[b][0]],
                y=[pos[a][1], pos[b][1]],
                mode="lines",
                line=dict(width=5 if on else 1.2, color="#c0392b" if on else "#b0b0b0"),
                hoverinfo="text",
                text=d.get("label", ""),
                showlegend=False,
            )
        )
        fig.add_annotation(
            x=(pos[a][0] + pos[b][0]) / 2,
            y=(pos[a][1] + pos[b][1]) / 2,
            text=d.get("label", ""),
            showarrow=False,
            font=dict(size=9, color="#888"),
        )
    xs, ys, text, colors, symbols, hover = [], [], [], [], [], []
    for n, d in G.nodes(data=True):
        xs.append(pos[n][0])
        ys.append(pos[n][1])
        name = d.get("name") or ""
        term = d.get("kinship_term") or ""
        text.append(f"{str(name)[:1]}某 {term}".strip() if not str(n).startswith("~") else "（未登记）")
        colors.append(
            "#1f4e79" if n == ego else "#c0392b" if n in beneficiaries else "#bbbbbb" if d.get("virtual") else "#5d8aa8"
        )
        symbols.append("square" if n in officials else "circle")
        hover.append(
            f"{mask(n) if not str(n).startswith('~') else '未登记的亲属'}<br>{term}"
            f"{'<br>干部' if n in officials else ''}{'<br>低保对象' if n in beneficiaries else ''}"
        )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            text=text,
            textposition="top center",
            marker=dict(size=18, color=colors, symbol=symbols, line=dict(width=1, color="white")),
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
        )
    )
    fig.update_layout(
        font=FONT,
        height=560,
        margin=dict(l=10, r=10, t=10, b=10),
        plot_bgcolor="white",
        xaxis=dict(visible=False),
        yaxis=dict(visible=False),
    )
    return fig


def payouts_chart(payments: pd.DataFrame, withdrawals: pd.DataFrame) -> go.Figure:
    """Monthly payouts (bars) and withdrawals (dots) of one case's accounts."""
    fig = go.Figure()
    if len(payments):
        fig.add_trace(go.Bar(x=payments.period, y=payments.amount, name="发放", marker_color="#5d8aa8"))
    if len(withdrawals):
        fig.add_trace(
            go.Scatter(
                x=withdrawals.time,
                y=withdrawals.amount,
                mode="markers",
                name="支取/转出",
                marker=dict(color="#c0392b", size=8),
                hovertext=withdrawals.channel + " " + withdrawals.terminal_id.fillna(""),
            )
        )
    fig.update_layout(font=FONT, height=320, margin=dict(t=30, b=10), yaxis_title="元", legend=dict(orientation="h"))
    return fig


def runs_trend(runs: pd.DataFrame) -> go.Figure:
    """Findings by severity for each audit run (oldest first)."""
    fig = go.Figure()
    for key, zh in (("high", "高"), ("medium", "中"), ("low", "低")):
        fig.add_trace(
            go.Bar(x=runs["运行"] + "<br>" + runs["核查基准日"], y=runs[key], name=zh, marker_color=SEVERITY_COLORS[zh])
        )
    fig.update_layout(
        barmode="stack",
        title="历次审计的问题线索",
        font=FONT,
        height=340,
        margin=dict(t=50, b=10),
        legend_title_text="严重程度",
    )
    return fig


def villages_treemap(ranking: pd.DataFrame) -> go.Figure:
    """Villages by risk score (size = score, colour = score), grouped by township."""
    r = ranking.assign(乡镇=ranking.township.fillna("（未定位）"), 村=ranking.village_code)
    fig = px.treemap(
        r,
        path=["乡镇", "村"],
        values="score",
        color="score",
        color_continuous_scale="OrRd",
        title="各村风险分（面积与颜色越大越需关注）",
    )
    fig.update_layout(font=FONT, height=420, margin=dict(t=50, b=10), coloraxis_colorbar_title="风险分")
    return fig
