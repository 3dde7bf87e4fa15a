"""问题线索: filtered list of findings, masked, with an Excel export."""

from __future__ import annotations

import streamlit as st

from app_pages.state import current, download, findings, ledger_path, shown, user
from audit.catalogue import FAMILY_ZH
from audit.coverage import misconduct
from audit.profile import load_profile
from audit.results import COLUMNS_ZH, SEVERITY_ZH, to_excel_bytes
from audit.scoring import rank


def _ledger():
    from audit.ledger import Ledger

    path = ledger_path()
    return Ledger(path).frame() if path.exists() else None


def _statuses() -> list[str]:
    from audit.ledger import STATUSES

    return list(STATUSES)


def _with_status(status: list[str]) -> set[str]:
    t = _ledger()
    return set() if t is None else set(t[t.status.isin(status)].finding_id)


SHOWN = [
    "severity",
    "rule",
    "explanation",
    "case_id",
    "person_id",
    "official_id",
    "account_no",
    "township",
    "village_code",
    "policy_ref",
    "finding_id",
]


def page() -> None:
    res = current()
    if res is None:
        return
    st.title("问题线索")
    f = misconduct(findings())  # 主动发现 households are on their own page
    # the filters fold into an expander so that a small screen shows the clue table first; it stays
    # open while any filter is set
    active = any(
        st.session_state.get(k) for k in ("f_rule", "f_village", "f_status", "f_fam", "f_sev", "f_town", "f_text")
    )
    with st.expander("筛选条件", expanded=bool(active)):
        cols = st.columns(4)
        more = st.columns(4)
        rule = more[0].multiselect("规则", sorted(f.rule.unique()), placeholder="全部", key="f_rule")
        names = res.villages
        village = more[1].multiselect(
            "村（社区）",
            sorted(f.village_code.dropna().unique()),
            format_func=lambda c: f"{names.get(c, '')}（{c}）" if names.get(c) else c,
            placeholder="全部",
            key="f_village",
        )
        official = more[2].selectbox("涉及干部", ["全部", "涉及干部的线索"])
        status = more[3].multiselect("台账状态", _statuses(), placeholder="全部", key="f_status")
        fam = cols[0].multiselect(
            "规则族",
            sorted(f.family.unique()),
            format_func=lambda x: FAMILY_ZH.get(x, x),
            placeholder="全部",
            key="f_fam",
        )
        sev = cols[1].multiselect(
            "严重程度", ["high", "medium", "low"], format_func=SEVERITY_ZH.get, placeholder="全部", key="f_sev"
        )
        town = cols[2].multiselect("乡镇", sorted(f.township.dropna().unique()), placeholder="全部", key="f_town")
        text = cols[3].text_input("搜索（说明、低保编号、线索编号、证件号后4位）", key="f_text")
    if fam:
        f = f[f.family.isin(fam)]
    if sev:
        f = f[f.severity.isin(sev)]
    if town:
        f = f[f.township.isin(town)]
    if rule:
        f = f[f.rule.isin(rule)]
    if village:
        f = f[f.village_code.isin(village)]
    if official != "全部":
        f = f[f.official_id.notna()]
    if status:
        f = f[f.finding_id.isin(_with_status(status))]
    if text:
        tail = text[-4:] if len(text) >= 4 else "\0"
        f = f[
            f.explanation.str.contains(text, regex=False)
            | f.case_id.fillna("").str.contains(text, regex=False)
            | f.finding_id.str.startswith(text)
            | f.person_id.fillna("").str.endswith(tail)
        ]
    # highest-risk cases first (audit.scoring: severity, official links, money, repeated families)
    risk = rank(f, load_profile(res.run["profile"]["name"])).set_index("case_id")
    f = f.assign(risk=f.case_id.map(risk.score), risk_reasons=f.case_id.map(risk.reasons))
    order = f.severity.map({"high": 0, "medium": 1, "low": 2})
    f = f.assign(_o=order).sort_values(["risk", "_o", "rule"], ascending=[False, True, True], na_position="last")
    view = (
        shown(f)[["risk", *SHOWN[:3], "risk_reasons", *SHOWN[3:]]]
        .assign(severity=lambda d: d.severity.map(SEVERITY_ZH))
        .rename(columns={**COLUMNS_ZH, "risk": "案件风险分", "risk_reasons": "风险理由"})
    )
    view = view.astype({"案件风险分": "Float64"}).fillna({c: "" for c in view.columns if c != "案件风险分"})
    st.caption(
        f"共 {len(view):,} 条，按案件风险分从高到低排列；点击一行打开该案件"
        + ("" if user().full_view else "（身份证号、账号已脱敏）")
    )
    picked = st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        key="clue_table",
        on_select="rerun",
        selection_mode="single-row",
        column_config={"案件风险分": st.column_config.NumberColumn(format="%.1f")},
    )
    rows = picked.selection.rows if picked is not None else []
    if rows and view.iloc[rows[0]]["低保编号"]:
        st.session_state["case_id"] = view.iloc[rows[0]]["低保编号"]
        st.switch_page("app_pages/case.py", query_params={"case": view.iloc[rows[0]]["低保编号"]})
    mask = not user().full_view  # read now: the file is built in the download callback, outside this run
    download(
        "导出 Excel",
        lambda: (to_excel_bytes({"问题线索": view}, mask=mask), len(view)),
        "问题线索.xlsx",
    )


page()
