"""数据导入: upload a county's exports (or name a folder), pick a profile, run the audit with progress."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from app_pages.state import audit, md, run_dir, user
from audit.errors import AuditError
from audit.profile import list_profiles
from audit.progress import Progress
from audit.run import run_audit


def _uploader_in_chinese() -> None:
    """Streamlit's file uploader has no language setting: its English button and limit line are hidden
    and Chinese text is shown in their place (the widget's own label is ours anyway)."""
    st.html(
        "<style>"
        "[data-testid='stFileUploaderDropzoneInstructions'] span,"
        "[data-testid='stFileUploaderDropzoneInstructions'] small{font-size:0 !important}"
        "[data-testid='stFileUploaderDropzoneInstructions'] > div::after{content:'拖放文件到这里，或点击左侧按钮选择"
        "（每个文件不超过200MB）';font-size:14px}"
        "[data-testid='stFileUploaderDropzone'] button,[data-testid='stFileUploaderDropzone'] button *"
        "{font-size:0 !important}"
        "[data-testid='stFileUploaderDropzone'] button::after{content:'选择文件';font-size:14px}"
        "</style>"
    )


def _mapping_screen(ws: Path) -> None:
    """When required columns are missing: the file's headers beside the contract's columns; the choice is
    saved as 列对应.json in the workspace and used by this and every later import (CLI too)."""
    from audit.load import inspect_workspace, save_mapping
    from audit.schema import TABLES

    try:
        items = inspect_workspace(ws)
    except AuditError as exc:
        st.error(str(exc))
        return
    todo = [i for i in items if i["missing"] or i["table"] is None]
    if not todo:
        return
    st.subheader("列对应：请为未识别的列指定含义")
    st.caption("选择会保存到工作目录中的 列对应.json，下次导入（包括命令行）自动使用。")
    names = {t: f"{spec.zh[0]}（{t}）" for t, spec in TABLES.items()}
    with st.form("mapping"):
        chosen = {}
        for item in todo:
            st.markdown(f"**{md(item['file'])}**" + (f" — {md(item['reason'])}" if item.get("reason") else ""))
            keys = list(names)
            table = st.selectbox(
                "这个文件是",
                keys,
                format_func=names.get,
                key=f"t:{item['file']}",
                index=keys.index(item["table"]) if item["table"] in keys else 0,
            )
            spec = TABLES[table]
            picks = {}
            for col in (c for c in spec.columns if c.required and c.name not in item["recognised"]):
                options = ["（文件中没有）"] + item["headers"]
                picks[col.name] = st.selectbox(
                    f"{col.aliases[0] if col.aliases else col.name}（{col.name}）对应文件中的列",
                    options,
                    key=f"c:{item['file']}:{col.name}",
                )
            chosen[item["file"]] = (table, picks)
        if st.form_submit_button("保存列对应"):
            for file, (table, picks) in chosen.items():
                cols = {h: c for c, h in picks.items() if h != "（文件中没有）"}
                save_mapping(ws, file, table, cols)
            st.session_state["mapping"] = (ws / "列对应.json").read_text(encoding="utf-8")
            audit("save_mapping", str(ws))
            st.success("已保存。请再次点击“运行审计”。")


def page() -> None:
    st.title("数据导入")
    if user().role != "county":
        st.info("只有县级用户可以导入数据、运行审计。")
        st.stop()
    _uploader_in_chinese()
    files = st.file_uploader(
        "上传导出的表格（CSV/XLSX/XLS，可多选；全国社会救助信息系统、浪潮系统导出的原表即可，表头自动识别）",
        accept_multiple_files=True,
        type=["csv", "xlsx", "xlsm", "xls", "txt"],
    )
    folder = st.text_input("或填写服务器上的工作目录", placeholder="例如 /data/三都县/2024年12月")
    profiles = [p["name"] for p in list_profiles() if p["name"] != "tool-defaults"]
    titles = {p["name"]: p.get("title") or p["name"] for p in list_profiles()}
    profile = st.selectbox(
        "政策配置（按哪份通知的口径审计）",
        profiles,
        index=profiles.index("sandu-2021") if "sandu-2021" in profiles else 0,
        format_func=titles.get,
    )
    if st.button("运行审计", type="primary", disabled=not (files or folder)):
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        base = Path(st.session_state.get("home_run_dir") or run_dir()).parent
        if files:
            ws = base / "uploads" / stamp
            ws.mkdir(parents=True, exist_ok=True)
            for f in files:
                (ws / Path(f.name).name).write_bytes(f.getvalue())
            if st.session_state.get("mapping"):  # the column mapping chosen for these uploads before
                (ws / "列对应.json").write_text(st.session_state["mapping"], encoding="utf-8")
        else:
            ws = Path(folder)
        out = base / f"run-{stamp}"
        bar = st.progress(0.0, text="准备中…")
        st.session_state["import_ws"] = str(ws)
        try:
            res = run_audit(
                ws, profile, out, progress=Progress(sink=lambda msg, frac: bar.progress(min(frac, 1.0), text=msg))
            )
        except AuditError as exc:
            st.error(str(exc))
            st.session_state["needs_mapping"] = True
            st.rerun()
        st.session_state.pop("needs_mapping", None)
        audit("run_audit", f"{ws.name} → {out.name}")
        st.session_state["run_dir"] = str(out)
        st.success(
            f"完成：{len(res.findings):,} 条问题线索，{res.run['rejects']:,} 条导入异常。"
            f"其他页面现在显示这次审计的结果（{out.name}）。"
        )
        if res.run["rejects"]:
            import pandas as pd

            st.subheader("导入异常")
            st.dataframe(pd.read_csv(out / "rejects.csv", encoding="utf-8-sig"), hide_index=True, width="stretch")

    if st.session_state.get("needs_mapping") and st.session_state.get("import_ws"):
        _mapping_screen(Path(st.session_state["import_ws"]))


page()
