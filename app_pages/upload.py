"""数据导入: upload a county's exports (or name a folder), pick a profile, run the audit with progress."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from app_pages.state import audit, run_dir, user
from audit.errors import AuditError
from audit.profile import list_profiles
from audit.progress import Progress
from audit.run import run_audit

st.title("数据导入")
if user().role != "county":
    st.info("只有县级用户可以导入数据、运行审计。")
    st.stop()
files = st.file_uploader("上传导出的表格（CSV/XLSX，可多选；文件名为表名或中文表名，如 人员.csv、低保名册.xlsx）",
                         accept_multiple_files=True, type=["csv", "xlsx", "xlsm", "txt"])
folder = st.text_input("或填写服务器上的工作目录", placeholder="例如 /data/三都县/2024年12月")
profiles = [p["name"] for p in list_profiles() if p["name"] != "tool-defaults"]
profile = st.selectbox("政策配置", profiles, index=profiles.index("sandu-2021") if "sandu-2021" in profiles else 0)
if st.button("运行审计", type="primary", disabled=not (files or folder)):
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(st.session_state.get("home_run_dir") or run_dir()).parent
    if files:
        ws = base / "uploads" / stamp
        ws.mkdir(parents=True, exist_ok=True)
        for f in files:
            (ws / Path(f.name).name).write_bytes(f.getvalue())
    else:
        ws = Path(folder)
    out = base / f"run-{stamp}"
    bar = st.progress(0.0, text="准备中…")
    try:
        res = run_audit(ws, profile, out, progress=Progress(sink=lambda msg, frac: bar.progress(min(frac, 1.0), text=msg)))
    except AuditError as exc:
        st.error(str(exc))
        st.stop()
    audit("run_audit", f"{ws.name} → {out.name}")
    st.session_state["run_dir"] = str(out)
    st.success(f"完成：{len(res.findings):,} 条问题线索，{res.run['rejects']:,} 条导入异常。"
               f"其他页面现在显示这次审计的结果（{out.name}）。")
    if res.run["rejects"]:
        import pandas as pd

        st.subheader("导入异常")
        st.dataframe(pd.read_csv(out / "rejects.csv", encoding="utf-8-sig"), hide_index=True, width="stretch")
