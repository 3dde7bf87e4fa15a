"""AWD family: awards that do not match need (AWD-01..AWD-08), with an explainable statistical model.

The top-up (补差) follows the profile: (standard − per-capita income) × enrolled members, or the
single-person route (multiple × standard − income), plus one add-on of at most the ceiling share
of the standard. Cases in gradual exit keep their award and are not recomputed.
"""

from __future__ import annotations

import re
from typing import Iterator

import numpy as np
import pandas as pd

from audit.context import AuditContext, isin, rows, sets_by
from audit.policy import POLICY_PARAMS, income_line, top_up
from audit.policy import standard as _standard
from detectors.base import CASE_KEY_COLUMNS, Finding, Severity, detector
from detectors.base import case_keys as _where

__all__ = [
    "top_up",
    "award_mismatch",
    "flat_rate",
    "income_above_standard",
    "partial_enrolment",
    "rotation",
    "addon_ceiling",
    "award_outlier",
    "pooled_case",
]

_SPLIT = re.compile(r"[;；,，、/]")


def _active(ctx: AuditContext) -> pd.DataFrame:
    c = ctx.table("cases")
    return c[c.status == "在保"]


@detector(
    "AWD-01",
    severity=Severity.MEDIUM,
    requires=("cases",),
    params=("award_tolerance_yuan",),
    optional=("income_exclusions", *POLICY_PARAMS),
    explain_zh="{case_id}核定{awarded}元，按补差应为{computed}元",
)
def award_mismatch(ctx: AuditContext) -> Iterator[Finding]:
    """The award differs from the computed top-up plus allowed add-ons beyond tolerance.

    按标施保：补差 =（低保标准 − 家庭人均收入）× 保障人数；单人保按倍数标准补差；分类施保按标准的一定比例增发且不累加。
    Evidence: awarded, computed, difference, standard, per_capita_income, enrolled, allowed_addon, formula,
    income_basis (the profile's income exclusions: the roll's income is taken as assessed under them).
    Profile parameters: award_tolerance_yuan, standard_*_monthly, single_person_route_multiple, addon_max_share,
    income_exclusions (stated, not recomputed: the roll carries no income items).
    """
    c = _active(ctx).dropna(subset=["per_capita_income"])
    if c.empty:
        return
    t = top_up(ctx, c)
    tol = float(ctx.profile.require("award_tolerance_yuan"))
    excl = ctx.profile.get("income_exclusions") or []
    basis = f"家庭人均收入按名册所载（本地口径不计入：{'、'.join(excl)}）" if excl else "家庭人均收入按名册所载"
    diff = c.monthly_amount.astype(float) - t.computed
    for r, tu, d in zip(rows(c[diff.abs() > tol]), t[diff.abs() > tol].itertuples(), diff[diff.abs() > tol]):
        formula = (
            f"{ctx.profile.get('single_person_route_multiple')}×{tu.standard:.0f}−{r.per_capita_income:.0f}"
            if r.single_person_route == "是"
            else f"({tu.standard:.0f}−{r.per_capita_income:.0f})×{int(r.enrolled_count)}"
        )
        ev = {
            "case_id": r.case_id,
            "awarded": float(r.monthly_amount),
            "computed": float(tu.computed),
            "difference": round(float(d), 2),
            "standard": float(tu.standard),
            "per_capita_income": float(r.per_capita_income),
            "enrolled": int(r.enrolled_count),
            "allowed_addon": float(tu.allowed_addon),
            "formula": formula + (f"+{tu.allowed_addon:.0f}" if tu.allowed_addon else ""),
            "income_basis": basis,
        }
        yield Finding(
            rule="AWD-01",
            severity=Severity.MEDIUM,
            **_where(r),
            score=round(min(1.0, abs(d) / tu.standard), 2),
            evidence=ev,
            explanation=f"{r.case_id}核定月保障金{r.monthly_amount:.0f}元，按补差公式{ev['formula']}"
            f"应为{tu.computed:.0f}元，{'多' if d > 0 else '少'}{abs(d):.0f}元。",
        )


def _cv(x: pd.Series) -> float:
    m = x.mean()
    return float(x.std(ddof=0) / m) if m else 0.0


def _densest_bands(group: np.ndarray, amounts: np.ndarray, tol_yuan: float, tol_share: float):
    """Per group (integer codes 0..n-1): the amount with the most awards within tolerance of it
    (±max(tol_yuan, tol_share × amount); the smallest such amount on a tie), and for every row whether it
    is within that band — 'nearly identical' amounts, not only equal ones. All groups in one sort."""
    n = int(group.max()) + 1 if len(group) else 0
    order = np.lexsort((amounts, group))
    g, a = group[order], amounts[order]
    tol = np.maximum(tol_yuan, tol_share * a)
    # each group's amounts shifted apart so that one search over all stays within the group
    step = 4 * (float(np.abs(a).max()) + float(tol.max())) + 1 if len(a) else 1.0
    key = g * step + a
    counts = np.searchsorted(key, key + tol, side="right") - np.searchsorted(key, key - tol, side="left")
    best = np.full(n, -1)
    np.maximum.at(best, g, counts)
    first = np.flatnonzero(counts == best[g])
    groups_hit, at = np.unique(g[first], return_index=True)
    centre = np.full(n, np.nan)
    centre[groups_hit] = a[first[at]]
    width = np.maximum(tol_yuan, tol_share * centre)
    return centre, np.abs(amounts - centre[group]) <= width[group]


@detector(
    "AWD-02",
    severity=Severity.HIGH,
    requires=("cases",),
    params=(
        "flat_rate_min_modal_share",
        "flat_rate_min_cases",
        "flat_rate_min_need_cv",
        "flat_rate_amount_tolerance_yuan",
        "flat_rate_amount_tolerance_share",
    ),
    explain_zh="{village_code}共{cases}户，{modal_share_pct}的户按{modal_amount}元发放，而核算需求差异很大",
)
def flat_rate(ctx: AuditContext) -> Iterator[Finding]:
    """Flat-rate village: awards nearly identical although the households' assessed need differs widely.

    杜绝低保“做人情、搞平衡”：村内低保金额高度一致（金额相差在容差内的户占比高，如都在480元左右），
    而按收入核算的补差差异大。与全县其他村的同额占比对比。Benford 首位数检验不适用于按标准计算的金额，
    这里用近似同额占比和离散度。
    Evidence: cases, modal_amount, modal_share, amount_range (of the near-identical awards), tolerance_yuan,
    cv_need_same_amount, need_range, county_median_modal_share, case_ids (the near-identical ones).
    Profile parameters: flat_rate_min_modal_share, flat_rate_min_cases, flat_rate_min_need_cv,
    flat_rate_amount_tolerance_yuan, flat_rate_amount_tolerance_share.
    """
    share_min = float(ctx.profile.fraction("flat_rate_min_modal_share"))
    need_min = ctx.profile.int("flat_rate_min_cases")
    min_cv = float(ctx.profile.require("flat_rate_min_need_cv"))
    tol_yuan = float(ctx.profile.require("flat_rate_amount_tolerance_yuan"))
    tol_share = float(ctx.profile.fraction("flat_rate_amount_tolerance_share"))
    c = _active(ctx).dropna(subset=["per_capita_income", "monthly_amount"])
    if c.empty:
        return
    c = c.assign(need=top_up(ctx, c).computed)[["village_code", "township", "case_id", "monthly_amount", "need"]]
    code, villages = pd.factorize(c.village_code, sort=True)
    c = c[code >= 0]
    code = code[code >= 0]
    centre, near = _densest_bands(code, c.monthly_amount.to_numpy(dtype=float), tol_yuan, tol_share)
    size = np.bincount(code, minlength=len(villages))
    shares = np.bincount(code, weights=near, minlength=len(villages)) / np.maximum(size, 1)
    median_share = float(np.median(shares)) if len(villages) else 0.0
    # only villages large and uniform enough are looked at one by one
    look = np.flatnonzero((size >= need_min) & (shares >= share_min))
    by_village = dict(tuple(c[isin(c.village_code, villages[look])].groupby("village_code", sort=True)))
    for v in look:
        vc, modal, share = villages[v], float(centre[v]), float(shares[v])
        g = by_village[vc]
        same = g[near[code == v]]
        cv_need = _cv(same.need)
        if cv_need < min_cv:
            continue
        lo, hi = float(same.monthly_amount.min()), float(same.monthly_amount.max())
        amount = f"{modal:.0f}元" if lo == hi else f"{lo:.0f}—{hi:.0f}元（约{modal:.0f}元）"
        ev = {
            "village_code": vc,
            "cases": len(g),
            "modal_amount": float(modal),
            "modal_share": round(share, 3),
            "modal_share_pct": f"{share:.0%}",
            "amount_range": [lo, hi],
            "tolerance_yuan": round(max(tol_yuan, tol_share * modal), 2),
            "cv_need_same_amount": round(cv_need, 3),
            "need_range": [float(same.need.min()), float(same.need.max())],
            "county_median_modal_share": round(median_share, 3),
            "case_ids": sorted(same.case_id),
        }
        yield Finding(
            rule="AWD-02",
            severity=Severity.HIGH,
            village_code=vc,
            township=g.township.iloc[0],
            evidence=ev,
            explanation=f"{ctx.village_label(vc)}在保{len(g)}户中{share:.0%}按{amount}发放（全县各村中位数{median_share:.0%}），"
            f"而这些户按收入核算的补差从{same.need.min():.0f}元到{same.need.max():.0f}元不等，疑似平均分配。",
        )


@detector(
    "AWD-03",
    severity=Severity.MEDIUM,
    requires=("cases",),
    params=("single_person_route_multiple",),
    optional=POLICY_PARAMS,
    explain_zh="{case_id}人均收入{income}元高于{line}元",
)
def income_above_standard(ctx: AuditContext) -> Iterator[Finding]:
    """Income above the standard (or above the single-person line) with no valid gradual exit.

    家庭人均收入超过低保标准（单人保超过倍数标准）且未进入渐退期的，应停发或渐退。
    Evidence: per_capita_income, line, standard, single_person_route.
    Profile parameters: single_person_route_multiple (standards from the profile or the roll).
    """
    c = _active(ctx).dropna(subset=["per_capita_income"])
    std = _standard(ctx, c)
    line = income_line(ctx, c)
    over = c.per_capita_income.astype(float) > line
    for r, ln, s in zip(rows(c[over]), line[over], std[over]):
        ev = {
            "case_id": r.case_id,
            "income": float(r.per_capita_income),
            "line": float(ln),
            "standard": float(s),
            "single_person_route": r.single_person_route == "是",
        }
        yield Finding(
            rule="AWD-03",
            severity=Severity.MEDIUM,
            **_where(r),
            evidence=ev,
            explanation=f"{r.case_id}家庭人均月收入{r.per_capita_income:.0f}元，高于{ln:.0f}元"
            f"{'（单人保倍数标准）' if ev['single_person_route'] else '（低保标准）'}，且无渐退记录。",
        )


@detector(
    "AWD-04",
    severity=Severity.MEDIUM,
    requires=("cases", "persons", "case_members"),
    params=("split_before_application_months",),
    explain_zh="{case_id}{what}",
)
def partial_enrolment(ctx: AuditContext) -> Iterator[Finding]:
    """Some household members enrolled and others not (no single-person route), or part of a family split
    off shortly before applying, whatever the size of the split-off part.

    户内漏保：同户成员部分纳入且非单人保；拆户保：申请前不久从原家庭分户（不论分出几人）后申请，
    留在原户的成员收入未计入（003：不得仅将个别家庭成员纳入）。
    Evidence: household size, enrolled, not_enrolled (masked), or split_date, application_date, months_before,
    split_size.
    Profile parameters: split_before_application_months.
    """
    from audit.ids import mask_id

    c = _active(ctx)
    p = ctx.table("persons")
    p = p[isin(p.household_id, c.household_id)]  # only the households of active cases
    size = sets_by(p.household_id, p.person_id)
    m = ctx.table("case_members")
    m = m[isin(m.case_id, c.case_id)]
    enrolled = sets_by(m.case_id[m.enrolled == "是"], m.person_id[m.enrolled == "是"])
    months = ctx.profile.int("split_before_application_months")
    split = p.dropna(subset=["household_split_date"]).groupby("household_id").household_split_date.max()
    read = [*CASE_KEY_COLUMNS, "single_person_route", "application_date", "approval_date"]
    for r in rows(c[read]):  # the columns read: not every column of every case as a Python object
        members = size.get(r.household_id, set())
        inside = enrolled.get(r.case_id, set())
        left = members - inside
        if left and r.single_person_route != "是" and inside & members:
            ev = {
                "case_id": r.case_id,
                "what": f"户内{len(members)}人只纳入{len(inside & members)}人，且不是单人保",
                "household_size": len(members),
                "enrolled": len(inside & members),
                "not_enrolled": sorted(mask_id(x) for x in left),
            }
            yield Finding(
                rule="AWD-04",
                severity=Severity.MEDIUM,
                **_where(r),
                key_extra="partial",
                evidence=ev,
                explanation=f"{r.case_id}{ev['what']}（户内漏保）。",
            )
        sd = split.get(r.household_id)
        app = r.application_date if pd.notna(r.application_date) else r.approval_date
        if (
            sd is not None
            and pd.notna(sd)
            and members
            and pd.Timestamp(app) - pd.DateOffset(months=months) <= sd <= pd.Timestamp(app)
        ):
            gap = (pd.Timestamp(app) - sd).days // 30
            part = "单人户" if len(members) == 1 else f"{len(members)}人户"
            ev = {
                "case_id": r.case_id,
                "what": f"申请前{gap}个月（{sd:%Y-%m-%d}）分户为{part}后申请低保",
                "split_date": f"{sd:%Y-%m-%d}",
                "application_date": f"{pd.Timestamp(app):%Y-%m-%d}",
                "months_before": gap,
                "split_size": len(members),
            }
            yield Finding(
                rule="AWD-04",
                severity=Severity.MEDIUM,
                **_where(r),
                key_extra="split",
                evidence=ev,
                explanation=f"{r.case_id}{ev['what']}（疑似拆户保）。",
            )


def _entry_month(ctx: AuditContext, c: pd.DataFrame) -> pd.Series:
    """Month benefit started: the first payout where the payments show it, else the approval month."""
    m = c.approval_date.dt.to_period("M")
    if "payments" in ctx.tables:
        first = ctx.table("payments").groupby("case_id").period.min()
        paid = pd.to_datetime(c.case_id.map(first)).dt.to_period("M")
        m = paid.fillna(m)
    return m


def _match_amounts(out: list[float], inc: list[float], tol: float) -> list[tuple[float, float]]:
    """Pairs (exit amount, entry amount) within ``tol`` yuan, each entry used once (greedy, sorted)."""
    pairs, free = [], sorted(inc)
    for a in sorted(out):
        hit = next((b for b in free if abs(b - a) <= tol), None)
        if hit is not None:
            pairs.append((a, hit))
            free.remove(hit)
    return pairs


@detector(
    "AWD-05",
    severity=Severity.MEDIUM,
    requires=("cases",),
    params=("rotation_window_months", "rotation_min_rounds", "award_tolerance_yuan"),
    explain_zh="{village_code}连续{rounds}期停保与新增户数、金额一一对应",
)
def rotation(ctx: AuditContext) -> Iterator[Finding]:
    """Within a village, cases exit and others enter in matching numbers and amounts in successive periods.

    轮流坐庄：同村某月停保若干户，当月或随后几个月内新增同样户数、同样金额的户（以开始享受的月份计，
    当月审批、次月发放的替补户也算），且连续出现。
    Evidence: rounds (exit month, exits, entries, amounts), case_ids.
    Profile parameters: rotation_window_months, rotation_min_rounds, award_tolerance_yuan.
    """
    window = ctx.profile.int("rotation_window_months")
    min_rounds = ctx.profile.int("rotation_min_rounds")
    tol = float(ctx.profile.require("award_tolerance_yuan"))
    c = ctx.table("cases").dropna(subset=["approval_date", "monthly_amount"])
    ex = c[c.exit_date.notna()].assign(m=lambda d: d.exit_date.dt.to_period("M"))
    en = c.assign(m=_entry_month(ctx, c))[["village_code", "case_id", "m", "monthly_amount"]]
    entries = dict(tuple(en.groupby("village_code", sort=False)))  # one split, not a scan per village-month
    ex = ex[["village_code", "township", "case_id", "m", "monthly_amount"]]
    if min_rounds > 0:
        # screen: the village-months with an exit and some other case entering within the window at an amount
        # within the tolerance (a superset of the rounds); only villages with enough of them are looked at
        pairs = (
            ex[["village_code", "case_id", "monthly_amount"]]
            .assign(o=ex.m.array.asi8)
            .merge(
                en.assign(w=en.m.array.asi8)[["village_code", "case_id", "monthly_amount", "w"]],
                on="village_code",
                suffixes=("", "_in"),
            )
        )
        near = (pairs.monthly_amount.astype(float) - pairs.monthly_amount_in.astype(float)).abs() <= tol
        pairs = pairs[(pairs.w >= pairs.o) & (pairs.w <= pairs.o + window) & (pairs.case_id != pairs.case_id_in) & near]
        months = pairs.drop_duplicates(["village_code", "o"]).groupby("village_code").size()
        ex = ex[isin(ex.village_code, months.index[months >= min_rounds])]
    for vc, g in ex.groupby("village_code", sort=True):
        rounds = []
        here = entries.get(vc, en.iloc[0:0])
        # months as integer ordinals (a blank month is the smallest integer: never at or after an exit month);
        # each month's exits and entries as plain arrays (a pandas filter per village-month is the slow part)
        when = here.m.array.asi8
        in_case, in_amount = here.case_id.to_numpy(dtype=object), here.monthly_amount.to_numpy(dtype=float)
        order = np.argsort(g.m.array.asi8, kind="stable")
        g_month, g_case = g.m.array[order], g.case_id.to_numpy(dtype=object)[order]
        g_amount = g.monthly_amount.to_numpy(dtype=float)[order]
        starts = np.flatnonzero(np.r_[True, g_month.asi8[1:] != g_month.asi8[:-1]])
        for lo, hi in zip(starts, np.r_[starts[1:], len(order)]):
            month, out_case, out_amount = g_month[lo], g_case[lo:hi], g_amount[lo:hi]
            pick = (when >= month.ordinal) & (when <= month.ordinal + window) & ~np.isin(in_case, out_case)
            inc_case, inc_amount = in_case[pick], in_amount[pick]
            pairs = _match_amounts(list(out_amount), list(inc_amount), tol)
            # a round: the month's exits are replaced one for one (an unrelated exit in the same month
            # does not hide the pattern: at least two matched, or the only exit matched)
            if pairs and len(pairs) >= min(2, len(out_case)):
                hit_out = np.isin(out_amount, [a for a, _ in pairs])
                hit_in = np.isin(inc_amount, [b for _, b in pairs])
                rounds.append(
                    {
                        "exit_month": str(month),
                        "exits": sorted(out_case[hit_out]),
                        "amounts": sorted(a for a, _ in pairs),
                        "entries": sorted(inc_case[hit_in]),
                        "other_exits": sorted(out_case[~hit_out]),
                    }
                )
        if len(rounds) < min_rounds:
            continue
        ids = sorted({x for r in rounds for x in r["exits"] + r["entries"]})
        ev = {"village_code": vc, "rounds": len(rounds), "detail": rounds, "case_ids": ids}
        yield Finding(
            rule="AWD-05",
            severity=Severity.MEDIUM,
            village_code=vc,
            township=g.township.iloc[0],
            evidence=ev,
            explanation=f"{ctx.village_label(vc)}连续{len(rounds)}期出现停保户与随后新增户户数、金额一一对应"
            f"（{'；'.join(r['exit_month'] + '停' + str(len(r['exits'])) + '户' for r in rounds)}），疑似轮流坐庄。",
        )


@detector(
    "AWD-06",
    severity=Severity.MEDIUM,
    requires=("cases",),
    params=("addon_max_share", "addon_cumulative", "award_tolerance_yuan"),
    optional=("addon_min_share",),
    explain_zh="{case_id}{what}",
)
def addon_ceiling(ctx: AuditContext) -> Iterator[Finding]:
    """Add-ons (分类施保) outside the band of the standard the profile sets (above the ceiling, or below
    the floor where one is set), or stacked where they must not accumulate.

    分类施保按低保标准的10%–30%增发，且不累加。
    Evidence: addon_amount, ceiling, floor, reasons, share.
    Profile parameters: addon_max_share, addon_cumulative, award_tolerance_yuan (rounding), addon_min_share
    (where set).
    """
    c = ctx.table("cases")
    c = c[c.addon_amount.astype(float).fillna(0) > 0]
    std = _standard(ctx, c)
    hi = float(ctx.profile.fraction("addon_max_share"))
    lo_share = ctx.profile.get("addon_min_share")
    lo = float(lo_share) if lo_share is not None else 0.0
    tol = float(ctx.profile.require("award_tolerance_yuan"))
    cumulative = bool(ctx.profile.get("addon_cumulative"))
    for r, s in zip(rows(c), std):
        reasons = [x for x in _SPLIT.split(r.addon_reasons if isinstance(r.addon_reasons, str) else "") if x.strip()]
        parts = []
        if r.addon_amount > hi * s + tol:
            parts.append(f"增发{r.addon_amount:.0f}元，占标准{r.addon_amount / s:.0%}，超过{hi:.0%}上限")
        elif r.addon_amount < lo * s - tol:
            parts.append(f"增发{r.addon_amount:.0f}元，占标准{r.addon_amount / s:.0%}，低于{lo:.0%}下限")
        if not cumulative and len(reasons) > 1:
            parts.append(f"按{'、'.join(reasons)}{len(reasons)}类叠加增发")
        if not parts:
            continue
        what = "；".join(parts)
        ev = {
            "case_id": r.case_id,
            "what": what,
            "addon_amount": float(r.addon_amount),
            "ceiling": round(hi * s, 2),
            "floor": round(lo * s, 2),
            "share": round(float(r.addon_amount) / s, 3),
            "reasons": reasons,
        }
        yield Finding(
            rule="AWD-06", severity=Severity.MEDIUM, **_where(r), evidence=ev, explanation=f"{r.case_id}{what}。"
        )


_FEATURES_ZH = {
    "need": "按公式核算的补差",
    "gap": "收入与标准之差",
    "standard": "低保标准",
    "single": "单人保",
    "enrolled": "保障人数",
    "income": "人均收入",
    "disability": "残疾等级",
    "illness": "重病",
    "age": "成员最大年龄",
    "labour": "有劳动能力人数",
    "urban": "城乡",
    "village": "所在村",
}


def _features(ctx: AuditContext, c: pd.DataFrame) -> pd.DataFrame:
    m = (
        ctx.table("case_members")
        if "case_members" in ctx.tables
        else c[["case_id", "head_id"]].rename(columns={"head_id": "person_id"}).assign(enrolled="是")
    )
    m = m[(m.enrolled == "是") & isin(m.case_id, c.case_id)]
    # the members' register rows (members not on it drop out)
    grade = {"一级": 4, "二级": 3, "三级": 2, "四级": 1}
    mp = ctx.on_register(
        m[["case_id", "person_id"]],
        "person_id",
        ["birth_date", "disability_grade", "serious_illness", "labour_capacity"],
    )
    agg = (
        mp.assign(
            dis=mp.disability_grade.map(grade).fillna(0),
            ill=(mp.serious_illness == "是").astype(int),
            lab=(mp.labour_capacity == "有").astype(int),
            age=(pd.Timestamp(ctx.as_of) - pd.to_datetime(mp.birth_date)).dt.days / 365.25,
        )
        .groupby("case_id")
        .agg(disability=("dis", "max"), illness=("ill", "max"), labour=("lab", "sum"), age=("age", "max"))
    )
    std = _standard(ctx, c).to_numpy()
    f = pd.DataFrame(
        {
            "need": top_up(ctx, c).base.to_numpy(),
            "enrolled": c.enrolled_count.astype(float).to_numpy(),
            "income": c.per_capita_income.astype(float).to_numpy(),
            "gap": np.clip(std - c.per_capita_income.astype(float).to_numpy(), 0, None),
            "standard": std,
            "urban": (c.area_type == "城市").astype(int).to_numpy(),
            "single": (c.single_person_route == "是").astype(int).to_numpy(),
            "village": pd.Categorical(c.village_code).codes,
        },
        index=c.case_id.to_numpy(),
    )
    return f.join(agg).fillna(0)


@detector(
    "AWD-07",
    severity=Severity.LOW,
    requires=("cases", "persons"),
    params=(
        "award_model_min_excess_share",
        "award_model_min_excess_yuan",
        "award_model_seed",
        "award_model_min_cases",
        "award_model_driver_min_z",
    ),
    explain_zh="{case_id}月保障金{award}元，按政策核算应为{policy_amount}元，情况最相近的户中位数{peer_median_award}元",
)
def award_outlier(ctx: AuditContext) -> Iterator[Finding]:
    """A scikit-learn model of award on need flags cases paid far above what similar households get.

    统计模型：以按公式核算的补差、保障人数、人均收入、单人保、残疾、重病、年龄、劳动能力、城乡预测应得金额（交叉验证，
    每户的预测不使用该户自身），实发金额远高于预测的予以提示；与干部有近亲属关系的排在前面。
    参照金额取“同类家庭的预测金额”与“按政策核算金额（补差加允许的分类施保）”中较高者：与政策核算一致的金额从不提示。
    Evidence: award, expected (model), policy_amount, reference, excess, excess_share, similar (plain-Chinese
    description of the peer group), drivers (features on which the household differs from its peers), official_linked.
    Profile parameters: award_model_min_excess_share, award_model_min_excess_yuan, award_model_seed,
    award_model_min_cases, award_model_driver_min_z.
    """
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import HuberRegressor
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    # rows in case-id order: the folds, and so the predictions, must not depend on how the file was sorted
    c = _active(ctx).dropna(subset=["per_capita_income", "monthly_amount"]).sort_values("case_id", kind="stable")
    c = c.reset_index(drop=True)
    if len(c) < ctx.profile.int("award_model_min_cases"):
        return
    X = _features(ctx, c)
    y = c.monthly_amount.astype(float).to_numpy()
    seed = ctx.profile.int("award_model_seed")
    need_cols = [k for k in X.columns if k != "village"]
    # the policy top-up is itself a need feature; the others let similar households differ (add-ons,
    # single-person route). A robust (Huber) loss keeps the over-awards being looked for from pulling
    # the fit towards them. The village is not a regression input: a flat-rate village (AWD-02) would
    # teach the model its own inflated level; villages are compared separately.
    model = make_pipeline(StandardScaler(), HuberRegressor(epsilon=1.35, alpha=1e-4, max_iter=100, tol=1e-3))
    # one BLAS thread: the fit's products are small (threads cost more than they give: 3.9 s -> 2.1 s at 1M),
    # and its numbers no longer depend on how many cores the machine has
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)  # tol reached is enough for a ranking
        pred = cross_val_predict(model, X[need_cols], y, cv=KFold(5, shuffle=True, random_state=seed))
    pred = np.clip(pred, 0, None)
    share_min = float(ctx.profile.fraction("award_model_min_excess_share"))
    yuan_min = float(ctx.profile.require("award_model_min_excess_yuan"))
    driver_z = float(ctx.profile.require("award_model_driver_min_z"))
    policy = top_up(ctx, c).computed.to_numpy()
    # the reference is the higher of what similar households get and what the policy formula gives
    # (top-up plus allowed add-ons): an award the formula explains is never an outlier
    ref = np.maximum(pred, policy)
    excess = y - ref
    flag = (excess > yuan_min) & (excess > share_min * np.maximum(ref, 1))
    if not flag.any():
        return
    linked = set()
    if "officials" in ctx.tables:
        rel = ctx.official_relatives
        mem = (
            ctx.table("case_members")
            if "case_members" in ctx.tables
            else pd.DataFrame(columns=["case_id", "person_id"])
        )
        linked = set(mem[isin(mem.person_id, rel.y)].case_id)
    from sklearn.neighbors import NearestNeighbors

    Xn = ((X - X.mean()) / X.std(ddof=0).replace(0, 1)).drop(columns="village")
    flagged = np.flatnonzero(flag)
    nn = NearestNeighbors(n_neighbors=min(21, len(X))).fit(Xn.to_numpy())
    _, neigh = nn.kneighbors(Xn.to_numpy()[flagged])
    xv, zn, zcols = X.to_numpy(dtype=float), Xn.to_numpy(dtype=float), list(Xn.columns)
    col = {k: j for j, k in enumerate(X.columns)}
    records = dict(zip(flagged, rows(c.iloc[flagged])))  # one conversion of the flagged rows only
    for i, peers_idx in zip(flagged, neigh):
        r = records[i]
        peer_rows = [j for j in peers_idx if j != i][:20]
        similar = (
            f"{int(xv[i, col['enrolled']])}人户、人均收入约{xv[i, col['income']]:.0f}元、"
            f"{'有重度残疾' if xv[i, col['disability']] >= 3 else '无重度残疾'}、"
            f"{'城市' if xv[i, col['urban']] else '农村'}"
        )
        z = pd.Series(np.abs(zn[i] - zn[peer_rows].mean(axis=0)), index=zcols).sort_values(ascending=False)
        drivers = [_FEATURES_ZH[k] for k in z.index[:3] if z[k] > driver_z]
        is_linked = r.case_id in linked
        peer_median = float(np.median(y[peer_rows]))
        # what the reader is told is observed, never the model's number: the policy amount and what the
        # nearest households really receive; the model only decides which cases to show
        shown_ref = max(float(policy[i]), peer_median)
        shown_excess = float(y[i]) - shown_ref
        ev = {
            "case_id": r.case_id,
            "award": float(y[i]),
            "expected": round(float(pred[i]), 0),
            "policy_amount": round(float(policy[i]), 2),
            "reference": round(float(ref[i]), 0),
            "excess": round(float(excess[i]), 0),
            "excess_share": round(float(excess[i] / max(ref[i], 1)), 2),
            "similar": similar,
            "peer_median_award": peer_median,
            "peers": [{"case_id": c.case_id.iloc[j], "award": float(y[j])} for j in peer_rows[:3]],
            "drivers": drivers,
            "official_linked": is_linked,
            "model": "Huber稳健回归（核算补差等需求特征），5折交叉验证",
        }
        score = min(0.99, 0.3 + 0.3 * ev["excess_share"]) if not is_linked else 1.0
        why = (
            f"该户在{'、'.join(drivers)}上与这些户有差别，但不足以解释多出的金额"
            if drivers
            else "家庭人口、收入等需求情况与这些户相近，多出的金额无法用需求解释"
        )
        examples = "、".join(f"{p['case_id']}领{p['award']:,.0f}元" for p in ev["peers"])
        pct = f"（{shown_excess / shown_ref:.0%}）" if shown_ref >= yuan_min else ""
        yield Finding(
            rule="AWD-07",
            severity=Severity.LOW,
            **_where(r),
            score=round(score, 2),
            evidence=ev,
            explanation=f"{r.case_id}月保障金{y[i]:,.0f}元，按政策核算（补差加允许的分类施保）应为{policy[i]:,.0f}元；"
            f"与该户情况（{similar}）最相近的{len(peer_rows)}户月保障金中位数为{peer_median:,.0f}元（如{examples}）。"
            f"该户比两者中较高者多{shown_excess:,.0f}元{pct}，{why}"
            f"{'；该户与干部有近亲属关系' if is_linked else ''}。",
        )


@detector(
    "AWD-08",
    severity=Severity.MEDIUM,
    requires=("cases", "persons", "case_members"),
    params=(),
    explain_zh="{case_id}{what}",
)
def pooled_case(ctx: AuditContext) -> Iterator[Finding]:
    """A case's enrolled members come from several registered households with no kinship link, or one
    person is a member of two cases.

    拼户保：保障成员来自户籍上无亲属关系的不同户；或同一人同时是两个低保户的成员。
    Evidence: households, strangers (masked), or other_cases.
    Profile parameters: none.
    """
    from audit.ids import mask_id

    c = _active(ctx)
    m = ctx.table("case_members")
    m = m[(m.enrolled == "是") & isin(m.case_id, c.case_id)]
    hh = ctx.person_household
    m = m.assign(hh=m.person_id.map(hh))
    info = c.set_index("case_id")
    multi = m.groupby("case_id").hh.nunique()
    pooled = m[isin(m.case_id, multi[multi > 1].index)]
    pooled = pooled.assign(own=pooled.case_id.map(info.household_id))
    rel = ctx.kinship.relatives(sorted(set(pooled[pooled.hh != pooled.own].person_id)), with_path=False)
    kin = set(zip(rel.x, rel.y))
    for case_id, g in pooled.groupby("case_id"):
        own = info.loc[case_id, "household_id"]
        outsiders = g[g.hh != own]
        insiders = set(g[g.hh == own].person_id)
        linked = {x for x in outsiders.person_id if any((x, y) in kin for y in insiders)}
        strangers = sorted(set(outsiders.person_id) - linked)
        if not strangers:
            continue
        r = info.loc[case_id]
        ev = {
            "case_id": case_id,
            "what": f"保障成员中有{len(strangers)}人来自与本户无亲属关系的其他户",
            "households": sorted(set(g.hh.dropna())),
            "strangers": [mask_id(s) for s in strangers],
        }
        yield Finding(
            rule="AWD-08",
            severity=Severity.MEDIUM,
            case_id=case_id,
            household_id=r.household_id,
            village_code=r.village_code,
            township=r.township,
            key_extra="pooled",
            evidence=ev,
            explanation=f"{case_id}{ev['what']}（疑似拼户保）。",
        )
    twice = m[m.duplicated("person_id", keep=False)]
    for pid, g in twice.groupby("person_id"):
        for case_id in sorted(set(g.case_id)):
            r = info.loc[case_id]
            others = sorted(set(g.case_id) - {case_id})
            ev = {
                "case_id": case_id,
                "what": f"成员{mask_id(pid)}同时是{'、'.join(others)}的保障成员",
                "other_cases": others,
            }
            yield Finding(
                rule="AWD-08",
                severity=Severity.MEDIUM,
                case_id=case_id,
                person_id=pid,
                household_id=r.household_id,
                village_code=r.village_code,
                township=r.township,
                key_extra="twice",
                evidence=ev,
                explanation=f"{case_id}{ev['what']}。",
            )
