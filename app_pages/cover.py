"""主动发现: households that should be covered but are not (COVER), with the visit ledger per household."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from app_pages.state import audit, current, download, findings, ledger_path, user
from audit.coverage import coverage, visit_list
from audit.ledger import VISIT_STATUSES, VisitLedger
from audit.results import to_excel_bytes


def page() -> None:
    u = user()
    st.title("主动发现（应保尽保）")
    st.caption("以下家庭可能符合低保、特困或单人保条件却未纳入，供民政部门入户走访；不是违纪线索。")
    f = coverage(findings())
    led = VisitLedger(ledger_path())
    if u.role != "readonly" and st.button("把本次结果并入走访台账"):
        towns = {u.township} if u.role == "township" else None
        counts = led.merge(f, who=u.username, townships=towns)
        audit("visit_merge", str(counts))
        st.success(f"新增待走访 {counts['new']} 户，保留 {counts['kept']} 户，本次未再列出 {counts['unlisted']} 户。")
    visits = led.frame()
    table = visit_list(f, visits, full_view=u.full_view, villages=current().villages)
    if table.empty:
        st.info("本次没有需要主动走访的家庭（或未提供防返贫监测、申请记录、经济状况核对等数据）。")
        return
    c = st.columns(3)
    towns = sorted(x for x in table["乡镇"].dropna().unique())
    town = c[0].selectbox("乡镇", ["全部"] + towns) if u.role != "township" else u.township
    pick = table if town in (None, "全部") else table[table["乡镇"] == town]
    villages = sorted(x for x in pick["村代码"].dropna().unique())
    village = c[1].selectbox("村", ["全部"] + villages)
    if village != "全部":
        pick = pick[pick["村代码"] == village]
    status = c[2].multiselect("走访状态", list(VISIT_STATUSES), placeholder="全部")
    if status:
        pick = pick[pick["走访状态"].isin(status)]
    m = st.columns(3)
    m[0].metric("潜在救助对象（户）", f"{len(pick):,}")
    m[1].metric("紧急", f"{(pick['紧迫程度'] == '紧急').sum():,}")
    m[2].metric("待走访", f"{(pick['走访状态'] == '待走访').sum():,}")
    st.dataframe(pick.drop(columns=["政策依据"]), hide_index=True, width="stretch")
    if u.role != "readonly" and len(pick):
        listed = set(visits.household_id) if len(visits) else set()
        choices = [h for h in pick["户号"] if h in listed]
        if not choices:
            st.info("先点击上方按钮，把本次结果并入走访台账，再登记走访情况。")
        else:
            with st.form("visit"):
                hh = st.selectbox("户号", choices)
                new = st.selectbox("走访状态", VISIT_STATUSES)
                reason = st.text_input("不符合条件的原因（状态为“不符合条件”时必填）")
                visitor = st.text_input("走访人")
                day = st.date_input("走访日期", value=dt.date.today(), format="YYYY-MM-DD")
                if st.form_submit_button("保存"):
                    try:
                        led.set(
                            hh,
                            u.username,
                            status=new,
                            reason=reason or None,
                            visitor=visitor or None,
                            visit_date=day.isoformat(),
                        )
                        audit("visit_set", f"{hh} → {new}")
                        st.rerun()
                    except Exception as exc:  # shown to the user in Chinese
                        st.error(str(exc))
    download(
        "导出潜在救助对象清单 Excel",
        lambda: (to_excel_bytes({"潜在救助对象": pick}, mask=not u.full_view), len(pick)),
        "潜在救助对象清单.xlsx",
    )


page()
