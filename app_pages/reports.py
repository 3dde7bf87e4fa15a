"""抽查与报告: spot-check plan, 三张清单 and the self-audit report for download."""

from __future__ import annotations

import dataclasses

import streamlit as st

from app_pages.state import context, current, download, findings, run_dir, user
from audit.coverage import misconduct
from audit.exports import sampling_sheets
from audit.lists import three_lists
from audit.profile import load_profile
from audit.report import self_audit_html
from audit.results import to_excel_bytes
from audit.sampling import sampling_plan
from audit.scoring import rank
from audit.settings import load_settings, settings_path


def page() -> None:
    st.title("抽查与报告")
    res = current()
    prof = load_profile(res.run["profile"]["name"])
    f = findings()
    mine = dataclasses.replace(res, findings=f)  # the report holds the user's jurisdiction only
    settings = load_settings(settings_path(run_dir()), res.county)
    if not user().can_export:
        st.info("只读用户不能下载清单和报告。")
    else:
        seed = st.number_input("抽查随机种子（记录在方案中，可复现）", value=2024, step=1)
        weighted = st.checkbox("按保障金额加权抽取")
        cases = context().table("cases")
        cases = cases[cases.status == "在保"]
        if user().role == "township":
            cases = cases[cases.township == user().township]
        plan, meta = sampling_plan(cases, rank(f, prof), prof, seed=int(seed), weighted=weighted)
        st.caption(
            f"抽查 {meta['villages_sampled']}/{meta['villages_total']} 个村、{meta['households_sampled']} 户；"
            f"{'满足' if meta['meets_minimums'] else '未满足'}最低抽查要求"
        )
        sheets = sampling_sheets(plan, meta, res.villages)
        st.dataframe(sheets["抽查名单"], hide_index=True)
        c1, c2, c3 = st.columns(3)
        download("下载抽查方案", lambda: (to_excel_bytes(sheets), len(plan)), "抽查方案.xlsx", where=c1)
        days = prof.int("rectify_within_days")
        download(
            "下载三张清单",
            lambda: (three_lists(misconduct(f), res.run["as_of"], days, res.villages, prof), len(misconduct(f))),
            "三张清单.xlsx",
            where=c2,
        )
        download(
            "下载自查报告（HTML，可打印为PDF）",
            lambda: (self_audit_html(mine, prof, settings, None).encode("utf-8"), len(f)),
            "自查报告.html",
            where=c3,
        )
        if st.button("生成 Word 版自查报告"):
            import tempfile
            from pathlib import Path

            from audit.documents import to_docx
            from audit.report import self_audit_blocks

            with tempfile.TemporaryDirectory() as tmp:
                doc = to_docx(self_audit_blocks(mine, prof, settings), Path(tmp) / "自查报告.docx").read_bytes()
            download("下载自查报告（Word）", lambda: (doc, len(f)), "自查报告.docx")


page()
