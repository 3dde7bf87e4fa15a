"""低保审计仪表盘: a router over small page scripts in app_pages/ (logic lives in audit.*)."""

from __future__ import annotations

import logging
import os
import runpy
from pathlib import Path

import streamlit as st

from app_pages.state import (
    SESSION_COOKIE,
    audit,
    forget_session_cookie,
    hide_table_downloads,
    md,
    resume_session,
    session_expired,
    session_store,
    set_session_cookie,
    user,
)

st.set_page_config(page_title="低保审计", page_icon="🔎", layout="wide")

u = user() or resume_session()  # a reload keeps the sign-in while the server-side session lives
if u is not None and (why := session_expired()):
    audit("session_expired", why)
    session_store().revoke(st.context.cookies.get(SESSION_COOKIE))
    for k in ("user", "login_at", "seen_at"):
        st.session_state.pop(k, None)
    st.session_state["login_notice"] = "登录已超时（" + why + "），请重新登录。"
    st.session_state["forget_cookie"] = True
    u = None
PAGES = [
    st.Page("app_pages/overview.py", title="总览", default=True),
    st.Page("app_pages/upload.py", title="数据导入"),
    st.Page("app_pages/findings.py", title="问题线索"),
    st.Page("app_pages/cover.py", title="主动发现"),
    st.Page("app_pages/case.py", title="案件详情"),
    st.Page("app_pages/kinship.py", title="亲属关系图谱"),
    st.Page("app_pages/money.py", title="银行卡与资金"),
    st.Page("app_pages/procedure.py", title="评议与程序"),
    st.Page("app_pages/fairness.py", title="待遇公平"),
    st.Page("app_pages/ledger.py", title="整改台账"),
    st.Page("app_pages/reports.py", title="抽查与报告"),
    st.Page("app_pages/rules.py", title="规则"),
    st.Page("app_pages/data_quality.py", title="数据质量"),
]
if u is None:
    # every page stays registered (hidden) while signing in, so a reloaded or shared link such as
    # /case?case=LB… keeps its page and selection and opens there after login — never “Page not found”
    st.navigation(PAGES, position="hidden")
    if st.session_state.pop("forget_cookie", False):
        forget_session_cookie()
    runpy.run_path(str(Path(__file__).with_name("app_pages") / "login.py"), run_name="__main__")
else:
    hide_table_downloads()
    if token := st.session_state.pop("set_cookie", None):
        set_session_cookie(token)
    with st.sidebar:
        st.caption(f"当前用户：{md(u.label)}")
        if st.button("退出登录"):
            audit("logout")
            session_store().revoke(st.context.cookies.get(SESSION_COOKIE))
            for k in ("user", "login_at", "seen_at"):
                st.session_state.pop(k, None)
            st.session_state["forget_cookie"] = True
            st.rerun()
    page = st.navigation(PAGES, expanded=True)
    try:
        page.run()
    except Exception as exc:  # never a traceback or a server path on screen: a log entry instead
        if os.environ.get("DIBAO_RAISE_PAGE_ERRORS"):  # tests see the real error
            raise
        logging.getLogger("dibao.dashboard").exception("page %s failed", page.title)
        audit("page_error", f"{page.title}: {type(exc).__name__}")
        st.error("页面出错，已记入服务器日志。请刷新页面重试；如仍出错，请联系管理员。")
