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
    f = findings.assign(规则族=findings.family.map(lambda x: FAMILY_ZH.get(x, x)))
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


def generations(G, ego: str) -> dict[str, int]:
    """Generation of every node relative to ``ego`` (parents −1, children +1, spouses and siblings'
    spouses 0), walked over the parent edges (a is the parent of b); a node the walk cannot reach
    is put in the ego's generation."""
    import networkx as nx

    gen = {ego: 0}
    und = nx.Graph(G)
    for a, b in nx.bfs_edges(und, ego):
        if any(d.get("kind") == "parent" for d in (G.get_edge_data(a, b) or {}).values()):
            gen[b] = gen[a] + 1
        elif any(d.get("kind") == "parent" for d in (G.get_edge_data(b, a) or {}).values()):
            gen[b] = gen[a] - 1
        else:
            gen[b] = gen[a]
    return {n: gen.get(n, 0) for n in G.nodes}


def tree_layout(G, ego: str) -> dict[str, tuple[float, float]]:
    """Family-tree positions: one row per generation, elders on top, laid out by networkx's layered
    ``multipartite_layout``; within a row the nodes keep the order of a depth-first walk from the ego,
    so that a couple and their children stay together."""
    import networkx as nx

    gen = generations(G, ego)
    und = nx.Graph(G)
    order = list(nx.dfs_preorder_nodes(und, ego)) + [
        n for n in und.nodes if n not in set(nx.node_connected_component(und, ego))
    ]
    H = nx.Graph()
    for n in order:  # insertion order is the order within a layer
        H.add_node(n, layer=-gen[n])  # layers are placed bottom-up: elders get the highest layer
    pos = nx.multipartite_layout(H, subset_key="layer", align="horizontal")
    return {n: (float(x), float(y)) for n, (x, y) in pos.items()}


_NODE_STYLE = {  # legend entries: (label, colour, symbol)
    "ego": ("干部本人", "#1f4e79", "square"),
    "beneficiary": ("低保保障对象", "#c0392b", "circle"),
    "official": ("其他干部", "#5d8aa8", "square"),
    "relative": ("其他亲属", "#5d8aa8", "circle"),
    "virtual": ("未登记的亲属（由户籍关系推断）", "#bbbbbb", "circle"),
}


def kinship_network(
    G,
    ego: str,
    highlight: list[str] | None = None,
    officials: set[str] | None = None,
    beneficiaries: set[str] | None = None,
    mask=None,
) -> go.Figure:
    """The official's family as a family tree: generations in rows, edges labelled 父母/配偶 in a readable
    size, the path to the beneficiary drawn thick in red, and a legend for every colour and shape."""
    officials, beneficiaries = officials or set(), beneficiaries or set()
    mask = mask or (lambda s: s)
    pos = tree_layout(G, ego)
    hl = set(zip(highlight or [], (highlight or [])[1:])) | set(zip((highlight or [])[1:], highlight or []))
    fig = go.Figure()
    seen_edges = set()
    for a, b, d in G.edges(data=True):
        if frozenset((a, b)) in seen_edges:
            continue
        seen_edges.add(frozenset((a, b)))
        on = (a, b) in hl
        (xa, ya), (xb, yb) = pos[a], pos[b]
        fig.add_trace(
            go.Scatter(
                x=[xa, xb],
                y=[ya, yb],
                mode="lines",
                line=dict(width=5 if on else 1.5, color="#c0392b" if on else "#9a9a9a", dash=None if on else "solid"),
                hoverinfo="skip",
                showlegend=False,
            )
        )
        fig.add_annotation(
            x=(xa + xb) / 2,
            y=(ya + yb) / 2,
            text=d.get("label", ""),
            showarrow=False,
            font=dict(size=14 if on else 12, color="#8b0000" if on else "#555"),
            bgcolor="white",
            borderpad=2,
        )
    groups: dict[str, list] = {k: [] for k in _NODE_STYLE}
    for n, d in G.nodes(data=True):
        virtual = str(n).startswith("~") or bool(d.get("virtual"))
        kind = (
            "ego"
            if n == ego
            else "beneficiary"
            if n in beneficiaries
            else "virtual"
            if virtual
            else "official"
            if n in officials
            else "relative"
        )
        name, term = d.get("name") or "", d.get("kinship_term") or ""
        label = "（未登记）" if virtual else f"{str(name)[:1]}某" + (f"<br>{term}" if term else "")
        groups[kind].append((n, label, term, virtual))
    for kind, nodes in groups.items():
        label, colour, symbol = _NODE_STYLE[kind]
        fig.add_trace(
            go.Scatter(
                x=[pos[n][0] for n, *_ in nodes] or [None],
                y=[pos[n][1] for n, *_ in nodes] or [None],
                mode="markers+text",
                name=label,
                text=[t for _, t, *_ in nodes],
                textposition="bottom center",
                textfont=dict(size=13),
                marker=dict(size=24, color=colour, symbol=symbol, line=dict(width=1, color="white")),
                hovertext=[f"{'未登记的亲属' if v else mask(n)}<br>{term}" for n, _, term, v in nodes],
                hoverinfo="text",
                showlegend=True,
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[None], y=[None], mode="lines", name="亲属关系路径", line=dict(width=5, color="#c0392b"), showlegend=True
        )
    )
    levels = sorted({y for _, y in pos.values()})
    fig.update_layout(
        font=FONT,
        height=max(360, 150 * len(levels) + 80),
        margin=dict(l=10, r=10, t=10, b=10),
        plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=-0.15, x=0, font=dict(size=12)),
        xaxis=dict(visible=False),
        yaxis=dict(visible=False, range=[min(levels) - 0.6, max(levels) + 0.4]),
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
    fig.update_layout(
        font=FONT,
        height=320,
        margin=dict(t=30, b=10),
        yaxis_title="元",
        legend=dict(orientation="h"),
        xaxis=dict(tickformat="%Y年%-m月", hoverformat="%Y年%-m月%-d日"),  # never “Jan 2024”
    )
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


def villages_treemap(ranking: pd.DataFrame, names: dict[str, str] | None = None) -> go.Figure:
    """Villages by risk score (size = score, colour = score), grouped by township; villages by name
    (``names``: code → name, from run.json places), the code where no name is known."""
    names = names or {}
    r = ranking.assign(
        乡镇=ranking.township.fillna("（未定位）"), 村=ranking.village_code.map(lambda c: names.get(c) or c)
    )
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
