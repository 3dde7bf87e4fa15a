"""Where pages get the audit run: one cached load keyed by folder and run.json mtime."""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from audit.results import RunResults, load_results


@st.cache_resource(show_spinner="正在读取审计结果…")
def _cached(folder: str, stamp: float) -> RunResults:
    return load_results(folder)


def current() -> RunResults | None:
    folder = os.environ.get("DIBAO_RUN_DIR", "out/sample")
    run_json = Path(folder) / "run.json"
    if not run_json.exists():
        st.error(f"没有找到审计结果：{folder}。请先运行 `dibao-audit run <工作目录> --out {folder}`。")
        return None
    return _cached(folder, run_json.stat().st_mtime)
