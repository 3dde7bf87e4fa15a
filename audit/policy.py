"""Policy amounts every layer agrees on: the monthly standard, the income line a case is judged
against, and the award the formula gives (补差 plus allowed add-ons).

Detectors, the dashboard and the documents read these, so a page can never disagree with a rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from audit.context import AuditContext

__all__ = ["standard", "area_standard", "income_line", "top_up", "emergency_exempt", "present", "POLICY_PARAMS"]

# what standard(), income_line() and top_up() read: a rule using them declares these as optional
POLICY_PARAMS = (
    "standard_urban_monthly",
    "standard_rural_monthly",
    "single_person_route_allowed",
    "single_person_route_multiple",
    "addon_max_share",
)


def standard(ctx: AuditContext, cases: pd.DataFrame) -> pd.Series:
    """Monthly standard per case: the profile's where it sets one, else the roll's own column."""
    u, r = ctx.profile.get("standard_urban_monthly"), ctx.profile.get("standard_rural_monthly")
    prof = cases.area_type.map({"城市": u, "农村": r}).astype(float)
    own = cases.standard.astype(float) if "standard" in cases else pd.Series(float("nan"), index=cases.index)
    return prof.fillna(own)


def area_standard(ctx: AuditContext, area: pd.Series) -> pd.Series:
    """Monthly standard for an area type (城市/农村) where no case row is at hand (a household not on the
    roll): the profile's, else the median of the roll's own standards for that area type."""
    prof = {"城市": ctx.profile.get("standard_urban_monthly"), "农村": ctx.profile.get("standard_rural_monthly")}
    c = ctx.table("cases")
    roll = c.dropna(subset=["standard"]).groupby("area_type").standard.median().to_dict() if "standard" in c else {}
    return area.map(lambda x: prof.get(x) if prof.get(x) is not None else roll.get(x, float("nan"))).astype(float)


def _single(ctx: AuditContext, cases: pd.DataFrame) -> pd.Series:
    """Cases on the single-person route (单人保), where the profile allows that route."""
    if ctx.profile.get("single_person_route_allowed") is False:
        return pd.Series(False, index=cases.index)
    return cases.single_person_route == "是"


def income_line(ctx: AuditContext, cases: pd.DataFrame) -> pd.Series:
    """The per-capita income a case may have and stay on the roll: the standard, or for a
    single-person-route case the profile's multiple of it (004: 1.5倍低保标准)."""
    std = standard(ctx, cases)
    mult = float(ctx.profile.get("single_person_route_multiple") or 1)
    return std.where(~_single(ctx, cases), std * mult)


def top_up(ctx: AuditContext, cases: pd.DataFrame) -> pd.DataFrame:
    """standard, base top-up, allowed add-on and the computed award per case (index of ``cases``)."""
    std = standard(ctx, cases)
    inc = cases.per_capita_income.astype(float)
    n = cases.enrolled_count.astype(float)
    single = _single(ctx, cases)
    base = np.where(single, income_line(ctx, cases) - inc, (std - inc) * n)
    base = pd.Series(np.clip(base, 0, None), index=cases.index)
    addon = cases.addon_amount.astype(float).fillna(0)
    hi = ctx.profile.get("addon_max_share")
    allowed = addon.clip(upper=float(hi) * std) if hi is not None else addon * 0
    return pd.DataFrame(
        {
            "standard": std,
            "base": base.round(),
            "allowed_addon": allowed.round(2),
            "computed": (base.round() + allowed).round(2),
        },
        index=cases.index,
    )


def emergency_exempt(ctx: AuditContext, step: str) -> set[str]:
    """Case ids recorded as 先行救助 that the profile lets skip ``step`` (信息核对, 民主评议, 公示 …)."""
    skips = ctx.profile.get("emergency_skip_steps") or []
    c = ctx.table("cases")
    if step not in skips or "emergency" not in c:
        return set()
    return set(c.case_id[c.emergency == "是"])


def present(attendance: pd.DataFrame) -> pd.DataFrame:
    """Attendance rows that count as present at an appraisal meeting: every listed person except those
    whose sign-in is recorded as 否 (listed but not signed). VOTE-01's quorum and the 评议与程序 page
    both count these, so the page and the rule never disagree."""
    return attendance[attendance.signed.fillna("是") != "否"]
