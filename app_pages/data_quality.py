"""数据质量: import rejects, ignored files/columns, skipped rules."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.state import current, download, table_zh, user
from audit.results import to_excel_bytes


def page() -> None:
    res = current()
    if res is None:
        return
    st.title("数据质量")
    if user().role == "township":
        st.info("导入异常明细只对县级用户开放。")
        return
    counts = pd.DataFrame(
        [
            {
                "数据表": table_zh(t),
                "读取行数": v["read"],
                "导入行数": v["loaded"],
                "剔除行数": v["rejected"],
                "置空单元格": v["cells_cleared"],
            }
            for t, v in res.run["row_counts"].items()
        ]
    )
    st.dataframe(counts, hide_index=True, width="stretch")
    st.subheader(f"导入异常（{len(res.rejects):,} 条）")
    rej = res.rejects.drop(columns=["reason_code"], errors="ignore")
    if "table" in rej:
        rej = rej.assign(table=rej.table.map(table_zh))
    rej = rej.rename(
        columns={
            "table": "数据表",
            "file": "文件",
            "row": "行号",
            "column": "列",
            "value": "值",
            "reason": "原因",
            "action": "处理",
        }
    )
    if user().role == "township":  # rejects name rows of every township's files: county users see them
        st.info("导入异常明细涉及全县各乡镇的原始文件，由县级用户查看和处理。")
    else:
        st.dataframe(rej, hide_index=True, width="stretch")
        if len(rej):
            download("导出导入异常 Excel", lambda: (to_excel_bytes({"导入异常": rej}), len(rej)), "导入异常.xlsx")
    unused = res.run.get("unused_files") or []
    if unused:
        st.subheader(f"未使用的文件和工作表（{len(unused)} 个）")
        st.dataframe(
            pd.DataFrame([{"文件": u["file"], "原因": u["reason"]} for u in unused]), hide_index=True, width="stretch"
        )
    structure = [
        {
            "文件": s_["file"],
            "表头行": s_.get("header_row", 1),
            "跳过的结构行": "、".join(f"第{x['row']}行{x['kind']}" for x in s_.get("structure", [])),
        }
        for s_ in res.run.get("inputs", [])
        if s_.get("structure")
    ]
    if structure:
        st.subheader("表头与结构行（合计、制表人等，不是数据）")
        st.dataframe(pd.DataFrame(structure), hide_index=True, width="stretch")
    for w in res.run.get("warnings", []):
        if not w.startswith("未使用 "):
            st.warning(w)
    skipped = [(c, v["reason"]) for c, v in res.run["rules"].items() if v["status"] != "ran"]
    if skipped:
        st.subheader("未运行的规则")
        st.dataframe(pd.DataFrame(skipped, columns=["规则", "原因"]), hide_index=True, width="stretch")


page()
