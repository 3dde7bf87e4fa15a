"""规则: every rule with its text, policy source and status in this run; the profile's parameters."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.state import current, profile_title
from audit.catalogue import value_zh
from audit.profile import PARAMS


def page() -> None:
    res = current()
    if res is None:
        return
    st.title("规则")
    st.dataframe(res.rule_table(), hide_index=True, width="stretch")
    st.subheader(f"政策参数（{profile_title(res.run['profile']['name'])}）")
    params = res.run["profile"]["params"]
    st.dataframe(
        pd.DataFrame([{"含义": p.zh, "取值": value_zh(params.get(k))} for k, p in PARAMS.items()]),
        hide_index=True,
        width="stretch",
    )


page()
