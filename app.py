"""低保审计仪表盘: a router over small page scripts in app_pages/ (logic lives in audit.*)."""
from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="低保审计", page_icon="🔎", layout="wide")

st.navigation([
    st.Page("app_pages/overview.py", title="总览", default=True),
    st.Page("app_pages/findings.py", title="问题线索"),
    st.Page("app_pages/rules.py", title="规则"),
    st.Page("app_pages/data_quality.py", title="数据质量"),
]).run()
