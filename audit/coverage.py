"""潜在救助对象清单: the COVER findings as households for the civil-affairs bureau to visit, ordered by
urgency, kept apart from the misconduct clues (问题线索) that go to discipline inspection."""

from __future__ import annotations

import json

import pandas as pd

from audit.catalogue import catalogue
from audit.results import masked

__all__ = ["COVER", "misconduct", "coverage", "visit_list"]

COVER = "COVER"
_URGENCY = {"high": 0, "medium": 1, "low": 2}
URGENCY_ZH = {"high": "紧急", "medium": "较急", "low": "一般"}


def misconduct(findings: pd.DataFrame) -> pd.DataFrame:
    """The clues for discipline inspection: every finding except the proactive-discovery ones."""
    return findings[findings.family != COVER] if len(findings) else findings


def coverage(findings: pd.DataFrame) -> pd.DataFrame:
    return findings[findings.family == COVER] if len(findings) else findings


def _ev(text: object) -> dict:
    try:
        return json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}


def _members(ev: dict) -> str:
    parts = []
    for m in ev.get("members", []):
        bits = [
            m.get("name", "某"),
            m.get("relation") or "",
            f"{m['age']}岁" if m.get("age") is not None else "",
            m.get("notes") or "",
        ]
        parts.append("".join(b for b in bits[:1]) + "（" + "，".join(b for b in bits[1:] if b) + "）")
    return "；".join(parts)


def visit_list(
    findings: pd.DataFrame,
    visits: pd.DataFrame | None = None,
    full_view: bool = False,
    villages: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One row per household, most urgent first: who lives there, assessed income against the standard
    (numbers, in 元), what it appears to qualify for, why it is listed (rule and explanation) and the
    visit status. ``villages`` names villages by code (run.json places)."""
    f = coverage(findings)
    cols = [
        "序号",
        "紧迫程度",
        "乡镇",
        "村（社区）",
        "村代码",
        "户号",
        "联系人",
        "家庭成员",
        "核对人均月收入（元）",
        "月低保标准（元）",
        "可能符合",
        "发现依据",
        "情况说明",
        "政策依据",
        "走访状态",
        "不符合原因",
        "走访人",
        "走访日期",
    ]
    if f.empty:
        return pd.DataFrame(columns=cols)
    titles = {c: d.title for c, d in catalogue().items()}
    f = masked(f, full_view=full_view)
    rows = []
    for hh, g in f.groupby("household_id", sort=True):
        g = g.assign(_u=g.severity.map(_URGENCY)).sort_values(["_u", "rule"])
        top = g.iloc[0]
        ev = _ev(top.evidence)
        income = next(
            (e.get("per_capita_income") for e in map(_ev, g.evidence) if e.get("per_capita_income") is not None), None
        )
        rows.append(
            {
                "_u": int(top._u),
                "_n": len(g),
                "_gap": (ev.get("standard") or 0) - (income or 0),
                "紧迫程度": URGENCY_ZH[top.severity],
                "乡镇": top.township,
                "村（社区）": (villages or {}).get(top.village_code, "") if isinstance(top.village_code, str) else "",
                "村代码": top.village_code,
                "户号": hh,
                "联系人": top.person_id,
                "家庭成员": _members(ev),
                "核对人均月收入（元）": None if income is None else round(float(income), 2),
                "月低保标准（元）": None if not ev.get("standard") else round(float(ev["standard"]), 2),
                "可能符合": ev.get("qualifies_for", ""),
                "发现依据": "；".join(f"{r}（{titles.get(r, '')}）" for r in sorted(set(g.rule))),
                "情况说明": " / ".join(g.explanation),
                "政策依据": top.policy_ref,
            }
        )
    out = pd.DataFrame(rows).sort_values(["_u", "_n", "_gap", "户号"], ascending=[True, False, False, True])
    out = out.drop(columns=["_u", "_n", "_gap"])
    v = (
        visits
        if visits is not None and len(visits)
        else pd.DataFrame(columns=["household_id", "status", "reason", "visitor", "visit_date"])
    )
    v = v.set_index("household_id").astype(object)
    for col, src, blank in (
        ("走访状态", "status", "待走访"),
        ("不符合原因", "reason", ""),
        ("走访人", "visitor", ""),
        ("走访日期", "visit_date", ""),
    ):
        out[col] = out["户号"].map(v[src]).astype(object).where(lambda x: x.notna(), blank)
    out.insert(0, "序号", range(1, len(out) + 1))
    return out[cols].reset_index(drop=True)
