"""亲属关系图谱: an official's or a household's relatives as a network, the KIN paths highlighted."""

from __future__ import annotations

import json

import streamlit as st

from app_pages.state import audit, context, findings, md, official_from_key, official_key, official_label, user
from audit import figures
from audit.auth import scope
from audit.ids import mask_id


def page() -> None:
    ctx = context()
    st.title("亲属关系图谱")
    off = ctx.table("officials")
    if user().role == "township":
        vill = set(scope(ctx.table("persons")[["village_code", "township"]], user()).village_code)
        off = off[(off.township == user().township) | off.village_code.isin(vill)]
    kin = findings()
    kin = kin[kin.family.isin(["KIN"]) | (kin.rule == "VOTE-05")]
    linked = list(kin.official_id.dropna().unique())
    choices = linked + [o for o in off.person_id if o not in set(linked)]
    if not choices:
        st.info("您的管辖范围内没有干部记录。")
        return
    # the official lives in the URL as a short key (?official=g12), never the ID number
    wanted = official_from_key(st.query_params.get("official"))
    who = st.selectbox(
        "干部（有关系保线索的排在前面）",
        choices,
        index=choices.index(wanted) if wanted in choices else 0,
        format_func=lambda p: f"{official_label(p)}{mask_id(p)}",
    )
    if key := official_key(who):
        st.query_params["official"] = key
    radius = st.slider("关系步数", 1, 4, 3)
    audit("open_kinship", mask_id(who))
    G = ctx.kinship.ego_graph(who, radius=radius)
    mine = kin[kin.official_id == who]
    path = json.loads(mine.evidence.iloc[0]).get("path") if len(mine) else None
    people = path[::2] if path else None
    members = set(ctx.table("case_members").person_id) if "case_members" in ctx.tables else set()
    fig = figures.kinship_network(
        G, who, people, officials=set(ctx.table("officials").person_id), beneficiaries=members, mask=mask_id
    )
    st.plotly_chart(fig, width="stretch")
    st.caption("按辈分分行：上一行为长辈，下一行为晚辈，配偶并排；图例见图下方。")
    for r in mine.itertuples(index=False):
        st.markdown(f"**{r.rule}** " + md(r.explanation))


page()
