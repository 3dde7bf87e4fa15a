"""问题线索: filtered list of findings, masked, with an Excel export."""
from __future__ import annotations

import streamlit as st

from app_pages.state import audit, current, findings, shown, user
from audit.catalogue import FAMILY_ZH
from audit.results import COLUMNS_ZH, SEVERITY_ZH, to_excel_bytes

SHOWN = ["severity", "rule", "explanation", "case_id", "person_id", "official_id", "account_no", "township",
         "village_code", "policy_ref", "finding_id"]


def page() -> None:
    res = current()
    if res is None:
        return
    st.title("问题线索")
    f = findings()
    cols = st.columns(4)
    fam = cols[0].multiselect("规则族", sorted(f.family.unique()), format_func=lambda x: f"{x} {FAMILY_ZH.get(x, '')}", placeholder="全部")
    sev = cols[1].multiselect("严重程度", ["high", "medium", "low"], format_func=SEVERITY_ZH.get, placeholder="全部")
    town = cols[2].multiselect("乡镇", sorted(f.township.dropna().unique()), placeholder="全部")
    text = cols[3].text_input("搜索（说明、低保编号）")
    if fam:
        f = f[f.family.isin(fam)]
    if sev:
        f = f[f.severity.isin(sev)]
    if town:
        f = f[f.township.isin(town)]
    if text:
        f = f[f.explanation.str.contains(text, regex=False) | f.case_id.fillna("").str.contains(text, regex=False)]
    view = shown(f)[SHOWN].assign(severity=lambda d: d.severity.map(SEVERITY_ZH)).rename(columns=COLUMNS_ZH).fillna("")
    st.caption(f"共 {len(view):,} 条" + ("" if user().full_view else "（身份证号、账号已脱敏）"))
    st.dataframe(view, hide_index=True, width="stretch")
    if user().can_export:
        st.download_button("导出 Excel", to_excel_bytes({"问题线索": view}), "问题线索.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           on_click=audit, args=("export", f"问题线索.xlsx（{len(view)}条）"))


page()
