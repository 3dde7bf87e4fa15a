"""Risk ranking: findings combined per case, household, official and village, each with its reasons.

Weights come from the profile (severity, official link, money at stake, several rule families on one
case). Money at stake is the overpaid amount (应追缴金额) where a rule computes one.
"""

from __future__ import annotations

import json

import pandas as pd

from audit.catalogue import FAMILIES, FAMILY_ZH, catalogue
from audit.profile import Profile

__all__ = ["rank", "reason_of", "LEVELS"]

LEVELS = ("case_id", "household_id", "official_id", "village_code")
_SHORT = {k: f.short for k, f in FAMILIES.items()}


def reason_of(rule: str, evidence: dict) -> str:
    """A few Chinese words for one finding, e.g. 关系保（堂兄，未备案） or 逾期复核210天: the rule's first
    reason template (rules_zh.yaml) whose fields the evidence has, else the rule's Chinese title."""
    import string

    doc = catalogue().get(rule)
    for template in doc.reason if doc else ():
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        if all(evidence.get(f) not in (None, "") for f in fields):
            return template.format(**{f: evidence[f] for f in fields})
    if doc and doc.title:
        return doc.title
    from detectors.base import REGISTRY, all_detectors

    if not REGISTRY:
        all_detectors()
    spec = REGISTRY.get(rule)
    return spec.title_zh if spec else f"{_SHORT.get(rule.split('-')[0], rule)}{rule}"


def _money(rule: str, evidence: dict) -> float:
    """Money at stake: the overpaid amount a rule computed, or the money that flowed in a card rule."""
    keys = ("overpaid_amount", "paid_after_death") + (("total",) if rule.startswith("CARD") else ())
    for k in keys:
        v = evidence.get(k)
        if isinstance(v, (int, float)):
            return float(v)
    return 0.0


def rank(findings: pd.DataFrame, profile: Profile, level: str = "case_id") -> pd.DataFrame:
    """Risk score per key at ``level``: score, findings, families, money, official_linked, reasons.

    Returns a frame sorted by score (highest first), one row per key; findings without the key are left out.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    w = {s: float(profile.require(f"risk_weight_{s}")) for s in ("high", "medium", "low")}
    w_off, w_money = (
        float(profile.require("risk_weight_official_link")),
        float(profile.require("risk_weight_per_1000_yuan")),
    )
    w_rep = float(profile.require("risk_weight_repeat_family"))
    f = findings[findings.family != "COVER"].dropna(subset=[level]).copy()  # 主动发现 is not misconduct
    if f.empty:
        return pd.DataFrame(
            columns=[level, "score", "findings", "families", "money", "official_linked", "reasons", "township"]
        )
    ev = f.evidence.map(lambda e: json.loads(e) if isinstance(e, str) and e else {})
    f["money"] = [_money(r, e) for r, e in zip(f.rule, ev)]
    f["reason"] = [reason_of(r, e) for r, e in zip(f.rule, ev)]
    f["linked"] = f.official_id.notna() | f.rule.str.startswith("KIN")
    f["points"] = f.severity.map(w).fillna(0) + f.linked * w_off
    rows = []
    for key, g in f.groupby(level):
        fams = sorted(set(g.family))
        money = float(g.drop_duplicates("rule").money.sum())
        score = g.points.sum() + w_money * money / 1000 + w_rep * (len(fams) - 1)
        order = g.sort_values("points", ascending=False)
        reasons = list(dict.fromkeys(order.reason))
        rows.append(
            {
                level: key,
                "score": round(float(score), 2),
                "findings": len(g),
                "families": "、".join(FAMILY_ZH.get(x, x) for x in fams),
                "money": round(money, 2),
                "official_linked": bool(g.linked.any()),
                "reasons": " + ".join(reasons[:4]),
                "township": g.township.dropna().iloc[0] if g.township.notna().any() else None,
            }
        )
    return pd.DataFrame(rows).sort_values(["score", level], ascending=[False, True]).reset_index(drop=True)
