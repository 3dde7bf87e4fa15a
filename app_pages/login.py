"""登录: username and password against the local users file, throttled (audit.auth.sign_in)."""

from __future__ import annotations

import time

import streamlit as st

from app_pages.state import run_dir, session_store, users_file
from audit.auth import load_users, sign_in

st.title("低保审计 · 登录")
if notice := st.session_state.pop("login_notice", None):
    st.info(notice)
if not load_users(users_file()):
    st.warning("尚未创建用户。请管理员在服务器上运行 dibao-audit users add 创建账号。")
with st.form("login"):
    name = st.text_input("用户名")
    password = st.text_input("密码", type="password")
    if st.form_submit_button("登录"):
        u, message = sign_in(users_file(), name, password, run_dir())
        if u is None:
            st.error(message)
        else:
            st.session_state["user"] = u
            st.session_state["login_at"] = st.session_state["seen_at"] = time.time()
            st.session_state["set_cookie"] = session_store().issue(u.username)  # survives a reload
            st.rerun()
