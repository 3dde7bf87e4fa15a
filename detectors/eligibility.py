"""ELIG family: cross-checks of enrolled members against other registers (ELIG-01..ELIG-10).

A record counts only while it overlaps the member's enrolment (approval to exit, or the reference
date); findings give the overlapping months and the payouts in them (应追缴金额).
"""

from __future__ import annotations

from typing import Callable, Iterator

import numpy as np
import pandas as pd

from audit.context import AuditContext, rows
from audit.ids import mask_id
from detectors.base import Finding, Severity, detector

__all__ = [
    "vehicles",
    "businesses",
    "financial_assets",
    "properties",
    "state_salary",
    "dead_members",
    "detained",
    "pension_insurance",
    "duplicates",
    "travel",
]


def _enrolment(ctx: AuditContext) -> pd.DataFrame:
    """case_id, person_id, start, end (exit date or the reference date), monthly_amount, keys."""
    c = ctx.table("cases")
    m = (
        ctx.table("case_members")
        if "case_members" in ctx.tables
        else c[["case_id", "head_id"]].rename(columns={"head_id": "person_id"}).assign(enrolled="是")
    )
    m = m[m.enrolled == "是"][["case_id", "person_id"]]
    e = m.merge(
        c[
            [
                "case_id",
                "household_id",
                "village_code",
                "township",
                "approval_date",
                "exit_date",
                "monthly_amount",
                "status",
                "enrolled_count",
            ]
        ],
        on="case_id",
    )
    e["start"] = pd.to_datetime(e.approval_date)
    e["end"] = pd.to_datetime(e.exit_date).fillna(pd.Timestamp(ctx.as_of))
    return e


def _paid(ctx: AuditContext, case_id: str, start: pd.Timestamp, end: pd.Timestamp) -> tuple[int, float]:
    """Payouts of the case from the month of ``start`` to ``end``: how many and how much, read by the positions
    of the case's rows from arrays built once per run (not a frame of the payments per finding)."""
    if "payments" not in ctx.tables:
        return 0, 0.0
    pos = ctx.positions("payments", "case_id").get(case_id)
    if pos is None:
        return 0, 0.0
    period, amount = ctx.shared("elig.payment_arrays", lambda: _payment_arrays(ctx))
    when = period[pos]
    keep = (when >= start.to_period("M").to_timestamp().to_datetime64()) & (when <= end.to_datetime64())
    paid = amount[pos[keep]]
    # as pandas sums a float column: blanks count as zero
    return int(keep.sum()), round(float(np.where(np.isnan(paid), 0.0, paid).sum()), 2)


def _payment_arrays(ctx: AuditContext) -> tuple[np.ndarray, np.ndarray]:
    p = ctx.table("payments")
    return pd.to_datetime(p.period).to_numpy(), p.amount.to_numpy(dtype=float, na_value=np.nan)


def _overlap(
    ctx: AuditContext,
    table: str,
    start_col: str,
    end_col: str | None,
    keep: Callable[[pd.DataFrame], pd.Series] | None = None,
) -> pd.DataFrame:
    x = ctx.table(table)
    if keep is not None:
        x = x[keep(x)]
    j = _enrolment(ctx).merge(x, on="person_id", suffixes=("", "_x"))
    s = pd.to_datetime(j[start_col])
    e = pd.to_datetime(j[end_col]) if end_col and end_col in j else pd.Series(pd.NaT, index=j.index)
    j["o_start"] = s.where(s > j.start, j.start)
    j["o_end"] = e.where(e.notna() & (e < j.end), j.end)
    return j[(s <= j.end) & (e.isna() | (e >= j.start))]


def _emit(
    ctx: AuditContext, rule: str, sev: Severity, j: pd.DataFrame, what: Callable, names=None
) -> Iterator[Finding]:
    names = ctx.person_names if names is None else names
    for r in rows(j.drop_duplicates(["case_id", "person_id"])):
        months = max(1, (r.o_end.year - r.o_start.year) * 12 + r.o_end.month - r.o_start.month + 1)
        n, amount = _paid(ctx, r.case_id, r.o_start, r.o_end)
        who = str(names.get(r.person_id, ""))[:1] + "某"
        desc = what(r)
        ev = {
            "member": mask_id(r.person_id),
            "member_name": who,
            "what": desc,
            "overlap": f"{r.o_start:%Y-%m}至{r.o_end:%Y-%m}",
            "overlap_months": months,
            "payouts_in_overlap": n,
            "overpaid_amount": amount,
        }
        yield Finding(
            rule=rule,
            severity=sev,
            case_id=r.case_id,
            person_id=r.person_id,
            household_id=r.household_id,
            village_code=r.village_code,
            township=r.township,
            evidence=ev,
            explanation=f"{r.case_id}保障成员{who}{desc}，与保障期重叠{months}个月（{ev['overlap']}），"
            f"期间发放{amount:.0f}元应核查追缴。",
        )


@detector(
    "ELIG-01",
    severity=Severity.MEDIUM,
    requires=("cases", "vehicles"),
    params=("disqualifying_vehicle_types",),
    explain_zh="{member_name}{what}",
)
def vehicles(ctx: AuditContext) -> Iterator[Finding]:
    """An enrolled member owns a car, large farm vehicle, construction machinery or vessel during enrolment.

    七不保：拥有机动车辆（残疾人功能性补偿代步机动车除外）、大型农机具、工程机械、船舶的家庭不予纳入。
    Evidence: member (masked), what, overlap, overlap_months, payouts_in_overlap, overpaid_amount.
    Profile parameters: disqualifying_vehicle_types.
    """
    types = set(ctx.profile.require("disqualifying_vehicle_types"))
    j = _overlap(ctx, "vehicles", "registered_date", "deregistered_date", lambda x: x.vehicle_type.isin(types))
    yield from _emit(ctx, "ELIG-01", Severity.MEDIUM, j, lambda r: f"名下有{r.vehicle_type}（{r.plate or '无号牌'}）")


@detector(
    "ELIG-02",
    severity=Severity.MEDIUM,
    requires=("cases", "businesses"),
    params=(),
    explain_zh="{member_name}{what}",
)
def businesses(ctx: AuditContext) -> Iterator[Finding]:
    """A member runs a registered business (legal representative, shareholder, proprietor).

    七不保：雇佣他人从事经营活动的家庭；工商登记比对。
    Evidence: member (masked), what, overlap, overlap_months, payouts_in_overlap, overpaid_amount.
    Profile parameters: none.
    """
    j = _overlap(ctx, "businesses", "start_date", "end_date")
    yield from _emit(ctx, "ELIG-02", Severity.MEDIUM, j, lambda r: f"是{r.entity_name or '企业'}的{r.role}")


@detector(
    "ELIG-03",
    severity=Severity.MEDIUM,
    requires=("cases", "assets"),
    params=("asset_ceiling_months",),
    explain_zh="{case_id}人均金融资产{per_capita}元，超过{ceiling}元",
)
def financial_assets(ctx: AuditContext) -> Iterator[Finding]:
    """Per-capita financial assets above the profile multiple of the monthly standard.

    家庭人均金融资产超过当地月低保标准24倍的不予纳入。
    Evidence: total, per_capita, ceiling, multiple, standard, members.
    Profile parameters: asset_ceiling_months (standard from the profile or the roll).
    """
    from audit.policy import standard as _standard

    mult = ctx.profile.int("asset_ceiling_months")
    e = _enrolment(ctx)
    a = ctx.table("assets")
    a = a.sort_values("as_of_date").drop_duplicates("person_id", keep="last")
    j = e.merge(a, on="person_id")
    c = ctx.table("cases").set_index("case_id")
    std = _standard(ctx, c.reset_index()).set_axis(c.index)
    per_case = j.groupby("case_id").agg(total=("amount", "sum"), rows=("amount", "size"), last=("as_of_date", "max"))
    counted = pd.to_numeric(c.enrolled_count.reindex(per_case.index), errors="coerce").fillna(0)
    per_case["n"] = counted.where(counted > 0, per_case.rows).astype(int)
    per_case["per"] = per_case.total / per_case.n.clip(lower=1)
    per_case["ceiling"] = mult * std.reindex(per_case.index).astype(float)
    for case_id, x in per_case[per_case.per > per_case.ceiling].iterrows():  # only the cases above the ceiling
        n, total, per, ceiling = int(x.n), float(x.total), float(x.per), float(x.ceiling)
        r = c.loc[case_id]
        ev = {
            "case_id": case_id,
            "total": round(total, 2),
            "per_capita": round(per, 2),
            "ceiling": round(ceiling, 2),
            "multiple": mult,
            "standard": float(std[case_id]),
            "members": n,
            "as_of_date": f"{x['last']:%Y-%m-%d}",
        }
        yield Finding(
            rule="ELIG-03",
            severity=Severity.MEDIUM,
            case_id=case_id,
            household_id=r.household_id,
            village_code=r.village_code,
            township=r.township,
            evidence=ev,
            explanation=f"{case_id}家庭金融资产{total:.0f}元，人均{per:.0f}元，超过{mult}倍月低保标准"
            f"（{ceiling:.0f}元）。",
        )


@detector(
    "ELIG-04",
    severity=Severity.MEDIUM,
    requires=("cases", "properties"),
    params=("disqualifying_property_types",),
    explain_zh="{member_name}{what}",
)
def properties(ctx: AuditContext) -> Iterator[Finding]:
    """A member bought commercial / high-end / non-residential property.

    七不保：购买商业用房、高档住房的家庭。
    Evidence: member (masked), what, overlap, overlap_months, payouts_in_overlap, overpaid_amount.
    Profile parameters: disqualifying_property_types.
    """
    types = set(ctx.profile.require("disqualifying_property_types"))
    j = _overlap(ctx, "properties", "purchase_date", None, lambda x: x.property_type.isin(types))
    yield from _emit(
        ctx,
        "ELIG-04",
        Severity.MEDIUM,
        j,
        lambda r: (
            f"于{r.purchase_date:%Y-%m-%d}登记{r.property_type}用房{'' if pd.isna(r.area) else f'{r.area:.0f}平方米'}"
        ),
    )


@detector(
    "ELIG-05",
    severity=Severity.HIGH,
    requires=("cases", "salaried"),
    params=("state_salary_employer_types",),
    explain_zh="{member_name}{what}",
)
def state_salary(ctx: AuditContext) -> Iterator[Finding]:
    """A member is paid by government, a public institution or a state enterprise.

    四从严：财政供养人员；信息核对：机关事业单位、国有企业工资。
    Evidence: member (masked), what, overlap, overlap_months, payouts_in_overlap, overpaid_amount.
    Profile parameters: state_salary_employer_types.
    """
    types = set(ctx.profile.require("state_salary_employer_types"))
    j = _overlap(ctx, "salaried", "start_date", "end_date", lambda x: x.employer_type.isin(types))
    yield from _emit(
        ctx,
        "ELIG-05",
        Severity.HIGH,
        j,
        lambda r: (
            f"在{r.employer or r.employer_type}（{r.employer_type}）领取工资"
            f"{'' if pd.isna(r.monthly_salary) else f'{r.monthly_salary:.0f}元/月'}"
        ),
    )


@detector(
    "ELIG-06",
    severity=Severity.HIGH,
    requires=("cases", "deaths"),
    params=(),
    explain_zh="{member_name}{what}",
)
def dead_members(ctx: AuditContext) -> Iterator[Finding]:
    """A member died before or during enrolment but is still counted as enrolled.

    信息核对：死亡人员仍在低保名册中计入保障人数。
    Evidence: member (masked), what, overlap, overlap_months, payouts_in_overlap, overpaid_amount.
    Profile parameters: none.
    """
    e = _enrolment(ctx)
    e = e[e.status.isin(["在保", "渐退"])]
    d = ctx.table("deaths")
    j = e.merge(d, on="person_id")
    j = j[pd.to_datetime(j.death_date) <= j.end]
    j["o_start"] = pd.to_datetime(j.death_date).where(pd.to_datetime(j.death_date) > j.start, j.start)
    j["o_end"] = j.end
    yield from _emit(
        ctx,
        "ELIG-06",
        Severity.HIGH,
        j,
        lambda r: f"已于{r.death_date:%Y-%m-%d}死亡{'（早于审批）' if r.death_date < r.start else ''}，仍计入保障人数",
    )


@detector(
    "ELIG-07",
    severity=Severity.MEDIUM,
    requires=("cases", "detentions"),
    params=(),
    explain_zh="{member_name}{what}",
)
def detained(ctx: AuditContext) -> Iterator[Finding]:
    """A member was in prison or detention during enrolment.

    信息核对：服刑在押人员不计入家庭保障人数。
    Evidence: member (masked), what, overlap, overlap_months, payouts_in_overlap, overpaid_amount.
    Profile parameters: none.
    """
    j = _overlap(ctx, "detentions", "start_date", "end_date")
    yield from _emit(
        ctx,
        "ELIG-07",
        Severity.MEDIUM,
        j,
        lambda r: f"自{r.start_date_x if 'start_date_x' in r._fields else r.start_date:%Y-%m-%d}起服刑在押",
    )


@detector(
    "ELIG-08",
    severity=Severity.LOW,
    requires=("cases", "insurance"),
    params=(),
    explain_zh="{member_name}{what}",
)
def pension_insurance(ctx: AuditContext) -> Iterator[Finding]:
    """A member holds commercial pension insurance.

    四从严：购买商业养老保险的家庭从严审核。
    Evidence: member (masked), what, overlap, overlap_months, payouts_in_overlap, overpaid_amount.
    Profile parameters: none.
    """
    j = _overlap(ctx, "insurance", "start_date", None)
    yield from _emit(
        ctx,
        "ELIG-08",
        Severity.LOW,
        j,
        lambda r: (
            f"投保商业养老保险（{r.product or '未注明产品'}，"
            f"年缴{0 if pd.isna(r.annual_premium) else r.annual_premium:.0f}元）"
        ),
    )


@detector(
    "ELIG-09",
    severity=Severity.HIGH,
    requires=("cases",),
    params=(),
    explain_zh="{member_name}{what}",
)
def duplicates(ctx: AuditContext) -> Iterator[Finding]:
    """Duplicate enrolment: one person in two active cases, in another county's roll, or in 低保 and 特困 at once.

    防止重复纳入：同一人在两个低保户中，或同时在外县低保、特困供养名册中。
    Evidence: member (masked), what, overlap, overlap_months, payouts_in_overlap, overpaid_amount.
    Profile parameters: none.
    """
    e = _enrolment(ctx)
    active = e[e.status.isin(["在保", "渐退"])]
    twice = active[active.duplicated("person_id", keep=False)]
    if len(twice):
        others = twice.groupby("person_id").case_id.agg(lambda s: sorted(set(s)))
        j = twice.assign(o_start=twice.start, o_end=twice.end, others=twice.person_id.map(others))
        yield from _emit(
            ctx,
            "ELIG-09",
            Severity.HIGH,
            j,
            lambda r: f"同时是{'、'.join(c for c in r.others if c != r.case_id)}的保障成员",
        )
    if "other_rolls" in ctx.tables:
        own = set(ctx.table("persons").county.dropna().unique())
        j = _overlap(
            ctx,
            "other_rolls",
            "start_date",
            "end_date",
            lambda x: (x.program == "特困") | ((x.program == "低保") & ~x.county.isin(own)),
        )
        yield from _emit(ctx, "ELIG-09", Severity.HIGH, j, lambda r: f"同时在{r.county}{r.program}名册中")


@detector(
    "ELIG-10",
    severity=Severity.LOW,
    requires=("cases", "travel"),
    params=("travel_alert_modes",),
    explain_zh="{member_name}{what}",
)
def travel(ctx: AuditContext) -> Iterator[Finding]:
    """Flights or first-class high-speed rail during enrolment: a prompt to check, not a proof.

    建立救助对象购车、乘坐飞机出行预警机制。出行本身不是停保或追缴的依据：提示入户核实出行费用来源
    （子女、单位、医疗转诊等）和家庭收入；只有核实不符合条件时，才涉及出行以后的低保金。
    Evidence: member (masked), what, trips, first, last, amount_at_risk (payouts from the first trip on, only
    if the check finds the household ineligible), overpaid_amount (0: nothing is due on a trip alone).
    Profile parameters: travel_alert_modes.
    """
    modes = set(ctx.profile.require("travel_alert_modes"))
    t = ctx.table("travel")
    t = (
        t[t["mode"].isin(modes)]
        .groupby(["person_id", "mode"])
        .agg(first=("date", "min"), last=("date", "max"), n=("date", "size"))
        .reset_index()
    )
    j = _enrolment(ctx).merge(t, on="person_id")
    j = j[(j["first"] >= j.start) & (j["first"] <= j.end)]
    names = ctx.person_names
    for r in (
        j.sort_values(["case_id", "person_id", "mode"])
        .drop_duplicates(["case_id", "person_id"])
        .itertuples(index=False)
    ):
        n, amount = _paid(ctx, r.case_id, r.first, r.end)
        who = str(names.get(r.person_id, ""))[:1] + "某"
        what = f"保障期间乘坐{r.mode}{r.n}次（首次{r.first:%Y-%m-%d}）"
        ev = {
            "member": mask_id(r.person_id),
            "member_name": who,
            "what": what,
            "trips": int(r.n),
            "first": f"{r.first:%Y-%m-%d}",
            "last": f"{r.last:%Y-%m-%d}",
            "amount_at_risk": amount,
            "payouts_since_first_trip": n,
            "overpaid_amount": 0.0,
        }
        yield Finding(
            rule="ELIG-10",
            severity=Severity.LOW,
            case_id=r.case_id,
            person_id=r.person_id,
            household_id=r.household_id,
            village_code=r.village_code,
            township=r.township,
            evidence=ev,
            score=round(min(0.6, 0.2 + 0.1 * int(r.n)), 2),
            explanation=f"{r.case_id}保障成员{who}{what}，属消费预警：请入户核实出行费用来源和家庭收入；"
            f"仅在核实不符合条件时，才涉及首次出行以来发放的{amount:.0f}元。",
        )
