"""登录: username and password against the local users file."""
from __future__ import annotations

import streamlit as st

from app_pages.state import log_access, run_dir, users_file
from audit.auth import authenticate, load_users

st.title("低保审计 · 登录")
if not load_users(users_file()):
    st.warning(f"尚未创建用户。请在服务器上运行：`dibao-audit users add 用户名 --role county --users {users_file()}`")
with st.form("login"):
    name = st.text_input("用户名")
    password = st.text_input("密码", type="password")
    if st.form_submit_button("登录"):
        u = authenticate(users_file(), name, password)
        if u is None:
            st.error("用户名或密码不正确。")
        else:
            st.session_state["user"] = u
            log_access(run_dir(), u, "login")
            st.rerun()
