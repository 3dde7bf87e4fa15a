"""总览: key figures and charts."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.state import current, findings, md, profile_title
from audit import figures


def page() -> None:
    res = current()
    if res is None:
        return
    f, run = findings(), res.run
    st.title("总览")
    st.caption(
        f"政策配置：{md(profile_title(run['profile']['name']))}　核查基准日：{run['as_of']}　"
        f"工作目录：{md(Path(run['workspace']).name)}"
    )
    c = st.columns(5)
    c[0].metric("问题线索", f"{len(f):,}")
    c[1].metric("高风险", f"{int((f.severity == 'high').sum()):,}")
    c[2].metric("涉及低保户", f"{f.case_id.nunique():,}")
    c[3].metric("导入异常行", f"{run['rejects']:,}")
    s = run["rules_summary"]
    c[4].metric("规则 运行/跳过/出错", f"{s['ran']}/{s['skipped']}/{s['error']}")
    if len(f):
        left, right = st.columns(2)
        left.plotly_chart(figures.findings_by_family(f), width="stretch")
        right.plotly_chart(figures.findings_by_township(f), width="stretch")
        from audit.profile import load_profile
        from audit.scoring import rank

        villages = rank(f, load_profile(run["profile"]["name"]), "village_code")
        if len(villages):
            st.plotly_chart(figures.villages_treemap(villages, res.villages), width="stretch")
    else:
        st.info("本次审计没有发现问题线索。")
    trend = _trend()
    if len(trend) > 1:
        st.plotly_chart(figures.runs_trend(trend), width="stretch")


def _trend():
    """Earlier runs next to this one (sibling folders with a run.json): findings by severity over time."""
    import json

    import pandas as pd

    from app_pages.state import run_dir

    rows = []
    for folder in sorted(run_dir().parent.iterdir()):
        meta = folder / "run.json"
        if folder.is_dir() and meta.exists():
            run = json.loads(meta.read_text(encoding="utf-8"))
            f = (
                pd.read_parquet(folder / "findings.parquet", columns=["severity"])
                if (folder / "findings.parquet").exists()
                else None
            )
            if f is None:
                continue
            rows.append(
                {
                    "运行": folder.name,
                    "核查基准日": run["as_of"],
                    "时间": meta.stat().st_mtime,
                    **{k: int((f.severity == k).sum()) for k in ("high", "medium", "low")},
                }
            )
    return pd.DataFrame(rows).sort_values("时间") if rows else pd.DataFrame()


page()
