"""RCK family: dynamic management and time limits (RCK-01..RCK-06; RCK-07 is in card.py's money trail).

Rechecks by household type, deaths not processed, gradual exits, approval time in Chinese
working days, public notices in stages, and the order of the procedure's steps.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd

from audit.context import AuditContext, isin, rows, sets_by
from audit.policy import emergency_exempt, income_line
from audit.workdays import workdays_between
from detectors.base import CASE_KEY_COLUMNS, Finding, Severity, detector
from detectors.base import case_keys as _where

__all__ = [
    "recheck_overdue",
    "death_not_processed",
    "gradual_exit_too_long",
    "approval_too_slow",
    "notice_too_short",
    "procedure_gap",
    "ACTIVE",
    "case_type",
]

ACTIVE = ("在保", "渐退")
STEP_ORDER = ("申请", "受理", ("入户调查", "信息核对"), "民主评议", "公示", "乡镇审核", "县级审批/审核确认")


def _active(ctx: AuditContext) -> pd.DataFrame:
    c = ctx.table("cases")
    return c[c.status.isin(ACTIVE)]


def case_type(ctx: AuditContext, cases: pd.DataFrame) -> pd.Series:
    """常补 / 非常补 / 不稳定 (able to work, unstable income), with the profile's A/B/C mapping."""
    mapping = ctx.profile.get("benefit_type_map") or {}
    base = cases.benefit_type.map(lambda v: mapping.get(v, v))
    unstable = (cases.labour_unstable == "是") & (ctx.profile.get("recheck_months_unstable") is not None)
    return base.where(~unstable, "不稳定")


def _bucket(days: int) -> str:
    return "≤30天" if days <= 30 else "31–90天" if days <= 90 else "91–180天" if days <= 180 else ">180天"


@detector(
    "RCK-01",
    severity=Severity.MEDIUM,
    requires=("cases",),
    params=("recheck_months_regular", "recheck_months_irregular"),
    optional=("recheck_months_unstable", "benefit_type_map"),
    explain_zh="{case_id}最近一次复核（或审批）为{last}，应于{due}前复核，已逾期{days_overdue}天",
)
def recheck_overdue(ctx: AuditContext) -> Iterator[Finding]:
    """Time since the last recheck (or approval) exceeds the interval for the case's type.

    分类复核：常补（收入无变化）每年一次，非常补（收入变化不大）每半年一次，有劳动能力且收入不稳定的每季度一次。
    Evidence: case_type, interval_months, last, last_kind, due, days_overdue, bucket (≤30, 31–90, 91–180, >180 days).
    Profile parameters: recheck_months_regular, recheck_months_irregular (recheck_months_unstable where set),
    benefit_type_map.
    """
    c = _active(ctx)
    months = {
        "常补": ctx.profile.int("recheck_months_regular"),
        "非常补": ctx.profile.int("recheck_months_irregular"),
        "不稳定": ctx.profile.get("recheck_months_unstable"),
    }
    kind = case_type(ctx, c)
    last = pd.to_datetime(c.approval_date)
    last_kind = pd.Series("审批", index=c.index)
    if "rechecks" in ctx.tables and len(ctx.table("rechecks")):
        rc = pd.to_datetime(ctx.table("rechecks").groupby("case_id").date.max())
        latest = c.case_id.map(rc)
        newer = latest.notna() & (latest > last)
        last = last.where(~newer, latest)
        last_kind = last_kind.where(~newer, "复核")
    as_of = pd.Timestamp(ctx.as_of)
    interval = pd.Series([months.get(k) for k in kind], index=c.index, dtype=object)
    due_at = pd.Series(pd.NaT, index=c.index, dtype=last.dtype)
    for m in {int(v) for v in interval.dropna()}:  # one calendar shift per interval, not one per case
        sel = (interval == m).to_numpy(dtype=bool) & last.notna().to_numpy(dtype=bool)
        due_at[sel] = last[sel] + pd.DateOffset(months=m)
    over = (due_at < as_of).to_numpy(dtype=bool)
    for r, k, lk, ls, m, due in zip(
        rows(c[over]), kind[over], last_kind[over], last[over], interval[over], due_at[over]
    ):
        days = int((as_of - due).days)
        ev = {
            "case_type": k,
            "interval_months": int(m),
            "last": f"{ls:%Y-%m-%d}",
            "last_kind": lk,
            "due": f"{due:%Y-%m-%d}",
            "days_overdue": days,
            "bucket": _bucket(days),
            "case_id": r.case_id,
        }
        yield Finding(
            rule="RCK-01",
            severity=Severity.MEDIUM,
            **_where(r),
            evidence=ev,
            score=round(min(1.0, 0.4 + days / 365), 2),
            explanation=f"{r.case_id}（{k}，每{m}个月复核）最近一次{lk}为{ls:%Y-%m-%d}，应于{due:%Y-%m-%d}前复核，"
            f"至核查基准日已逾期{days}天（{_bucket(days)}）。",
        )


@detector(
    "RCK-02",
    severity=Severity.HIGH,
    requires=("cases", "deaths", "payments"),
    params=("death_grace_months_urban", "death_grace_months_rural"),
    explain_zh="保障成员{name}于{death_date}死亡，停发期限{grace_months}个月后仍发放{months_after_grace}个月",
)
def death_not_processed(ctx: AuditContext) -> Iterator[Finding]:
    """Payouts continue past the death grace period of an enrolled member, or no recheck within it.

    低保对象死亡后应在规定期限内（城市/农村分别规定）核查并办理停发、减发手续。
    Evidence: person (masked), death_date, grace_months, grace_end, months_after_grace, paid_after_grace
    (应追缴金额 estimate: the share of the payouts after the grace that belongs to the dead member),
    rechecked_in_grace.
    Profile parameters: death_grace_months_urban, death_grace_months_rural.
    """
    from audit.ids import mask_id

    m = (
        ctx.table("case_members")
        if "case_members" in ctx.tables
        else ctx.table("cases")[["case_id", "head_id"]].rename(columns={"head_id": "person_id"}).assign(enrolled="是")
    )
    m = m[m.enrolled == "是"]
    d = ctx.table("deaths").merge(m, on="person_id").merge(ctx.table("cases"), on="case_id")
    if d.empty:
        return
    names = ctx.person_names
    urban, rural = ctx.profile.int("death_grace_months_urban"), ctx.profile.int("death_grace_months_rural")
    d = d.reset_index(drop=True)
    death = pd.to_datetime(d.death_date)
    is_urban = (d.area_type == "城市").to_numpy(dtype=bool)
    grace = np.where(is_urban, urban, rural)
    grace_end = (death + pd.DateOffset(months=urban)).where(is_urban, death + pd.DateOffset(months=rural))
    # every death's payouts after the grace and rechecks within it, by one join each (not a lookup per death)
    at = pd.DataFrame({"_i": d.index, "case_id": d.case_id, "death": death, "grace_end": grace_end})
    pay = at.merge(ctx.table("payments")[["case_id", "period", "amount"]], on="case_id")
    pay = pay[pd.to_datetime(pay.period) > pay.grace_end]
    paid = pay.groupby("_i", sort=False).amount.agg(["size", lambda s: float(s.sum())]).set_axis(["n", "sum"], axis=1)
    rechecked_at = set()
    if "rechecks" in ctx.tables:
        rc = at.merge(ctx.table("rechecks")[["case_id", "date"]], on="case_id")
        when = pd.to_datetime(rc.date)
        rechecked_at = set(rc._i[(when >= rc.death) & (when <= rc.grace_end)])
    as_of = pd.Timestamp(ctx.as_of)
    for i, r in enumerate(rows(d)):
        n_after = int(paid.n.get(i, 0))
        rechecked = i in rechecked_at
        if not n_after and (rechecked or grace_end[i] > as_of):
            continue
        share = 1 / max(int(r.enrolled_count or 1), 1)
        total = float(paid["sum"].get(i, 0.0))
        amount = round(total * share, 2)
        grace_i, death_i, grace_end_i = int(grace[i]), death[i], grace_end[i]
        ev = {
            "person": mask_id(r.person_id),
            "name": str(names.get(r.person_id, ""))[:1] + "某",
            "death_date": f"{death_i:%Y-%m-%d}",
            "grace_months": grace_i,
            "grace_end": f"{grace_end_i:%Y-%m-%d}",
            "months_after_grace": n_after,
            "paid_after_grace": round(total, 2),
            "overpaid_amount": amount,
            "rechecked_in_grace": rechecked,
        }
        what = (
            f"停发期限（{grace_i}个月）后仍发放{n_after}个月，应追缴约{amount:.0f}元" if n_after else "停发期限内未复核"
        )
        yield Finding(
            rule="RCK-02",
            severity=Severity.HIGH,
            **_where(r),
            person_id=r.person_id,
            evidence=ev,
            explanation=f"{r.case_id}保障成员{ev['name']}于{death_i:%Y-%m-%d}死亡，{what}。",
        )


@detector(
    "RCK-03",
    severity=Severity.MEDIUM,
    requires=("cases",),
    params=("gradual_exit_max_months_any",),
    optional=(
        "gradual_exit_max_months_civil_service",
        "gradual_exit_max_months_employment",
        "single_person_route_multiple",
    ),
    explain_zh="{case_id}{what}",
)
def gradual_exit_too_long(ctx: AuditContext) -> Iterator[Finding]:
    """Gradual exit longer than allowed for its reason, or full payouts after income passed the standard.

    渐退期：公职录用、务工就业等按原因设上限；家庭人均收入超过低保标准仍足额发放且无渐退记录的，予以提示。
    Evidence: reason, start, months, max_months, or per_capita_income and standard.
    Profile parameters: gradual_exit_max_months_any (gradual_exit_max_months_civil_service and
    gradual_exit_max_months_employment where set), standard_urban_monthly / standard_rural_monthly,
    single_person_route_multiple (the line for a single-person-route case).
    """
    c = _active(ctx)
    as_of = pd.Timestamp(ctx.as_of)
    limits = {
        "公职录用": ctx.profile.get("gradual_exit_max_months_civil_service"),
        "务工就业": ctx.profile.get("gradual_exit_max_months_employment"),
        "公益性岗位": ctx.profile.get("gradual_exit_max_months_employment"),
        "产业增收": ctx.profile.get("gradual_exit_max_months_employment"),
    }
    any_max = ctx.profile.int("gradual_exit_max_months_any")
    for r in rows(c[c.status == "渐退"]):
        if pd.isna(r.gradual_exit_start):
            continue
        limit = int(limits.get(r.gradual_exit_reason) or any_max)
        end = pd.Timestamp(r.gradual_exit_start) + pd.DateOffset(months=limit)
        if end >= as_of:
            continue
        months = (as_of.year - r.gradual_exit_start.year) * 12 + as_of.month - r.gradual_exit_start.month
        what = (
            f"渐退（{r.gradual_exit_reason or '未注明原因'}）自{r.gradual_exit_start:%Y-%m-%d}起"
            f"已{months}个月，超过{limit}个月上限"
        )
        yield Finding(
            rule="RCK-03",
            severity=Severity.MEDIUM,
            **_where(r),
            evidence={
                "case_id": r.case_id,
                "what": what,
                "reason": r.gradual_exit_reason,
                "start": f"{r.gradual_exit_start:%Y-%m-%d}",
                "months": months,
                "max_months": limit,
            },
            explanation=f"{r.case_id}{what}。",
        )
    line = income_line(ctx, c)
    over = c[(c.status == "在保") & (c.per_capita_income.astype(float) > line)]
    for r, s in zip(rows(over), line[over.index]):
        which = "单人保倍数标准" if r.single_person_route == "是" else "低保标准"
        what = f"家庭人均收入{r.per_capita_income:.0f}元已超过{which}{s:.0f}元，仍足额发放且无渐退记录"
        yield Finding(
            rule="RCK-03",
            severity=Severity.MEDIUM,
            **_where(r),
            evidence={
                "case_id": r.case_id,
                "what": what,
                "per_capita_income": float(r.per_capita_income),
                "line": float(s),
                "single_person_route": r.single_person_route == "是",
            },
            key_extra="income",
            explanation=f"{r.case_id}{what}。",
        )


@detector(
    "RCK-04",
    severity=Severity.LOW,
    requires=("cases",),
    params=("approval_limit_workdays_normal", "approval_limit_workdays_delegated", "approval_limit_workdays_extended"),
    explain_zh="{case_id}自受理至审批用了{workdays}个工作日，超过{limit}个工作日的时限",
)
def approval_too_slow(ctx: AuditContext) -> Iterator[Finding]:
    """Approval took longer than the working-day limit (normal / delegated to township / extended).

    审核确认应自受理之日起30个工作日内完成；下放乡镇的20个工作日；特殊情况可延长至45个工作日。
    工作日按国家法定节假日和调休计算。
    Evidence: accepted, approved, workdays, limit, extended_limit, exceeds_extended, calendar (法定节假日 or 仅按周末).
    Profile parameters: approval_limit_workdays_normal, approval_limit_workdays_delegated,
    approval_limit_workdays_extended.
    """
    c = ctx.table("cases")
    acc = pd.to_datetime(c.acceptance_date)
    if "workflow" in ctx.tables:
        w = ctx.table("workflow")
        first = pd.to_datetime(w[w.step == "受理"].groupby("case_id").date.min())
        acc = acc.fillna(c.case_id.map(first))
    normal = ctx.profile.int("approval_limit_workdays_normal")
    delegated = ctx.profile.int("approval_limit_workdays_delegated")
    extended = ctx.profile.int("approval_limit_workdays_extended")
    weekends_only = 0
    # a case cannot exceed its limit in working days with no more calendar days than that: only the others are
    # counted day by day
    limits = np.where((c.approval_level == "乡镇").fillna(False).to_numpy(dtype=bool), delegated, normal)
    days = (pd.to_datetime(c.approval_date) - acc).dt.days
    over = (days > limits).fillna(False).to_numpy(dtype=bool)
    for r, a, limit in zip(rows(c.loc[over, [*CASE_KEY_COLUMNS, "approval_date"]]), acc[over], limits[over].tolist()):
        n, outside = workdays_between(a.date(), r.approval_date.date())
        if n <= limit:
            continue
        cal = "仅按周末计算（超出节假日数据覆盖年份）" if outside else "按法定节假日和调休计算"
        weekends_only += bool(outside)
        yield Finding(
            rule="RCK-04",
            severity=Severity.LOW,
            **_where(r),
            evidence={
                "case_id": r.case_id,
                "accepted": f"{a:%Y-%m-%d}",
                "approved": f"{r.approval_date:%Y-%m-%d}",
                "workdays": n,
                "limit": limit,
                "extended_limit": extended,
                "exceeds_extended": n > extended,
                "calendar": cal,
            },
            explanation=f"{r.case_id}自受理（{a:%Y-%m-%d}）至审批（{r.approval_date:%Y-%m-%d}）用了{n}个工作日，"
            f"超过{limit}个工作日的时限{f'（也超过{extended}个工作日的延长时限）' if n > extended else ''}；{cal}。",
        )
    if weekends_only:
        ctx.warn(
            f"有{weekends_only}个案件的受理或审批日期超出法定节假日数据覆盖的年份，"
            f"其工作日仅按周末计算（RCK-04 线索中已注明）。"
        )


@detector(
    "RCK-05",
    severity=Severity.MEDIUM,
    requires=("cases", "notices"),
    params=("notice_min_days", "notice_stages_required", "notice_link_window_days"),
    optional=("emergency_skip_steps",),
    explain_zh="{case_id}{what}",
)
def notice_too_short(ctx: AuditContext) -> Iterator[Finding]:
    """A public notice shorter than the minimum days, or a required notice stage missing.

    公示时间不少于规定天数（首尾两天都计入）；三榜公示地区须有一榜（村）、二榜（乡镇）、三榜（县审批后）。
    公示没有低保编号时（实际公示只列姓名），按村、公示日期与审批日期的先后和公示中列出的户主姓名对应到案件。
    先行救助（紧急救助）案件按政策可免公示的，不提示缺少公示。
    Evidence: stage, start, end, days, min_days; or missing_stages.
    Profile parameters: notice_min_days, notice_stages_required, notice_link_window_days (notices without
    低保编号), emergency_skip_steps (where set).
    """
    n = notice_links(ctx)
    n["days"] = (pd.to_datetime(n.end_date) - pd.to_datetime(n.start_date)).dt.days + 1
    min_days = ctx.profile.int("notice_min_days")
    required = ctx.profile.require("notice_stages_required")
    c = ctx.table("cases")
    cases = c.set_index("case_id")
    for r in rows(n[n.days < min_days]):
        if r.case_id not in cases.index:
            continue
        row = cases.loc[r.case_id]
        what = f"{r.stage}公示{r.start_date:%Y-%m-%d}至{r.end_date:%Y-%m-%d}仅{r.days}天，少于{min_days}天"
        yield Finding(
            rule="RCK-05",
            severity=Severity.MEDIUM,
            case_id=r.case_id,
            household_id=row.household_id,
            village_code=row.village_code,
            township=row.township,
            key_extra=f"short:{r.stage}",
            evidence={
                "case_id": r.case_id,
                "what": what,
                "stage": r.stage,
                "start": f"{r.start_date:%Y-%m-%d}",
                "end": f"{r.end_date:%Y-%m-%d}",
                "days": int(r.days),
                "min_days": min_days,
            },
            explanation=f"{r.case_id}{what}。",
        )
    stages = sets_by(n.case_id, n.stage)
    exempt = emergency_exempt(ctx, "公示")
    for r in rows(c[~c.case_id.isin(exempt)]):
        missing = [s for s in required if s not in stages.get(r.case_id, set())]
        if not missing:
            continue
        what = f"缺少{'、'.join(missing)}公示"
        yield Finding(
            rule="RCK-05",
            severity=Severity.MEDIUM,
            **_where(r),
            key_extra="missing",
            evidence={"case_id": r.case_id, "what": what, "missing_stages": missing},
            explanation=f"{r.case_id}{what}。",
        )


def notice_links(ctx: AuditContext) -> pd.DataFrame:
    """Every (notice, case) pair: by the notice's 低保编号 list where it has one; otherwise — real notices
    carry names, not case ids — by village, by the stage's dates around the case's approval and, where the
    notice text lists names, by the head's name. Columns of notices plus case_id and linked_by."""
    days = ctx.profile.int("notice_link_window_days")
    n = ctx.table("notices")
    has = n.case_ids.notna() & (n.case_ids.astype(str).str.strip() != "")
    listed = n[has].assign(case_id=n[has].case_ids.str.replace("；", ";").str.split(";")).explode("case_id")
    listed["case_id"] = listed.case_id.str.strip()
    listed = listed[listed.case_id != ""].assign(linked_by="低保编号")
    rest = n[~has]
    if rest.empty:
        return listed.reset_index(drop=True)
    window = {"一榜": (-days, 0), "二榜": (-days, 0), "三榜": (0, days)}  # a stage's start against approval
    c = ctx.table("cases")[["case_id", "village_code", "head_id", "approval_date"]]
    names = ctx.person_names if "persons" in ctx.tables else pd.Series(dtype=object)
    j = rest.merge(c, on="village_code")
    lo = j.stage.map(lambda s: window.get(s, (-days, days))[0])
    hi = j.stage.map(lambda s: window.get(s, (-days, days))[1])
    gap = (pd.to_datetime(j.start_date) - pd.to_datetime(j.approval_date)).dt.days
    j = j[(gap >= lo) & (gap <= hi)]
    head = j.head_id.map(names)
    text = j.text.fillna("").astype(str)
    named = pd.Series([isinstance(h, str) and len(h) >= 2 and h in t for h, t in zip(head, text)], index=j.index)
    # a notice whose text lists names links only the cases it names; one without text links by village and date
    lists_names = text.str.len() > 0
    j = j[named | ~lists_names].assign(linked_by=["姓名" if x else "村与日期" for x in named[named | ~lists_names]])
    return pd.concat([listed, j.drop(columns=["head_id", "approval_date"])], ignore_index=True)


def _rank(step: str) -> int:
    for i, s in enumerate(STEP_ORDER):
        if step == s or (isinstance(s, tuple) and step in s):
            return i
    return -1


@detector(
    "RCK-06",
    severity=Severity.MEDIUM,
    requires=("cases", "workflow"),
    params=("five_steps_required",),
    optional=("emergency_skip_steps",),
    explain_zh="{case_id}{what}",
)
def procedure_gap(ctx: AuditContext) -> Iterator[Finding]:
    """An approved case lacks a required step, or the steps are out of order (back-filled records).

    审核审批须经入户调查、信息核对（或公示）、民主评议、乡镇审核、县级审批等环节；评议、公示日期晚于审批，
    或审批早于受理，提示补做记录。
    先行救助（紧急救助）案件可免政策允许免除的环节（如经济状况核对、民主评议、公示）。
    Evidence: missing_steps, or out_of_order (pairs of steps with dates).
    Profile parameters: five_steps_required, emergency_skip_steps (where set).
    """
    need = ctx.profile.require("five_steps_required")
    cases = ctx.table("cases")
    w = ctx.table("workflow")
    w = w[(w.step != "复核") & isin(w.case_id, cases.case_id)]
    first = w.groupby(["case_id", "step"], as_index=False).date.min()
    first["rank"] = first.step.map(_rank)
    first = first.merge(cases[["case_id", "approval_date"]], on="case_id")
    late = first[(first.step != "县级审批/审核确认") & (first.date > first.approval_date)]
    # only cases whose dated steps, in procedural order, go back in time somewhere can hold a pair out of order
    # (an inversion exists only where some neighbour in that order is earlier): the self-join is of those alone
    seq = first[(first["rank"] >= 0) & first.date.notna()].sort_values(["case_id", "rank", "date"], kind="stable")
    back = (seq.case_id.to_numpy() == np.roll(seq.case_id.to_numpy(), 1)) & (
        seq.date.diff() < pd.Timedelta(0)
    ).to_numpy()
    some = first[isin(first.case_id, seq.case_id[back])]
    pairs = some.merge(some, on="case_id", suffixes=("_a", "_b"))
    pairs = pairs[
        (pairs.rank_a >= 0)
        & (pairs.rank_a < pairs.rank_b)
        & (pairs.date_a > pairs.date_b)
        & ~((pairs.step_b == "县级审批/审核确认") & (pairs.date_a > pairs.approval_date_a))
    ]
    have = sets_by(first.case_id, first.step)
    bad: dict[str, list[str]] = {}
    for r in rows(late):
        bad.setdefault(r.case_id, []).append(f"{r.step}（{r.date:%Y-%m-%d}）晚于审批（{r.approval_date:%Y-%m-%d}）")
    for r in rows(pairs.sort_values(["case_id", "rank_a", "rank_b"])):
        bad.setdefault(r.case_id, []).append(f"{r.step_a}（{r.date_a:%Y-%m-%d}）晚于{r.step_b}（{r.date_b:%Y-%m-%d}）")
    exempt = {s: emergency_exempt(ctx, s) for s in need}
    for r in rows(cases[CASE_KEY_COLUMNS]):  # the keys alone: not every date of every case as a Python object
        steps = have.get(r.case_id, set())
        missing = [s for s in need if s not in steps and r.case_id not in exempt[s]]
        out_of_order = bad.get(r.case_id, [])
        if not missing and not out_of_order:
            continue
        parts = ([f"缺少{'、'.join(missing)}记录"] if missing else []) + (
            ["环节倒置：" + "；".join(out_of_order[:3])] if out_of_order else []
        )
        what = "，".join(parts)
        yield Finding(
            rule="RCK-06",
            severity=Severity.MEDIUM,
            **_where(r),
            evidence={"case_id": r.case_id, "what": what, "missing_steps": missing, "out_of_order": out_of_order},
            explanation=f"{r.case_id}{what}。",
        )
