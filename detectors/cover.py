"""COVER family: who should be covered but is not (主动发现、应保尽保), COVER-01..COVER-06.

These findings go to the civil-affairs bureau as households to visit (潜在救助对象清单), not to
discipline inspection as misconduct. Every finding names the household, who lives there, the
assessed income against the standard and what the household appears to qualify for.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Iterator

import numpy as np
import pandas as pd

from audit.context import AuditContext, isin, rows
from audit.ids import mask_id
from audit.policy import area_standard
from detectors.base import Finding, Severity, detector

__all__ = [
    "monitored_not_covered",
    "refusal_without_grounds",
    "single_person_route_open",
    "stopped_still_poor",
    "alone_on_no_roll",
    "edge_household_not_moved",
]

ROLLS_COVERING = ("低保", "特困", "孤儿")


# ---------------------------------------------------------------- household facts shared by the rules
def _living(ctx: AuditContext) -> pd.DataFrame:
    """Register rows of people alive at the reference date (built once per run)."""
    return ctx.shared("cover.living", lambda: _alive(ctx))


# the register's columns a finding shows of a household's members
MEMBER_COLUMNS = [
    "person_id",
    "name",
    "relation_to_head",
    "birth_date",
    "disability_grade",
    "serious_illness",
    "village_code",
    "township",
]
Member = namedtuple("Member", MEMBER_COLUMNS)


def _household_members(ctx: AuditContext, household: str, alive: bool = True) -> list[Member]:
    """The register rows of one household in person-id order (only those alive at the reference date unless
    ``alive`` is False), taken from the register's columns by the positions of an index built once per run:
    no scan of the register, and no frame of all its columns, per finding."""
    pos = ctx.positions("persons", "household_id").get(household)
    if pos is None:
        return []
    if alive and "deaths" in ctx.tables:
        pos = pos[ctx.shared("cover.alive_mask", lambda: _alive_mask(ctx))[pos]]
    p = ctx.table("persons")
    cols = [p[c].array.take(pos).to_numpy(dtype=object) for c in MEMBER_COLUMNS]
    return sorted(map(Member._make, zip(*cols)), key=lambda m: m.person_id)


def _alive_mask(ctx: AuditContext) -> np.ndarray:
    d = ctx.table("deaths")
    dead = d.person_id[pd.to_datetime(d.death_date) <= pd.Timestamp(ctx.as_of)]
    return ~isin(ctx.table("persons").person_id, dead).to_numpy(dtype=bool)


# the register's columns the rules read of the living (kept once for the run: not every column of a million rows)
LIVING_COLUMNS = ["person_id", "household_id", "birth_date", "disability_grade", "serious_illness"]


def _alive(ctx: AuditContext) -> pd.DataFrame:
    p = ctx.table("persons")
    p = p[[c for c in LIVING_COLUMNS if c in p]]
    return p[ctx.shared("cover.alive_mask", lambda: _alive_mask(ctx))] if "deaths" in ctx.tables else p


def _covered_households(ctx: AuditContext) -> frozenset[str]:
    """Households with someone on 低保 (an active case) or on a covering roll (特困/孤儿) at the reference date
    (built once per run)."""
    return ctx.shared("cover.covered", lambda: frozenset(_build_covered_households(ctx)))


def _build_covered_households(ctx: AuditContext) -> set[str]:
    as_of = pd.Timestamp(ctx.as_of)
    c = ctx.table("cases")
    active = c[c.status.isin(["在保", "渐退"])]
    out = set(active.household_id)
    hh = ctx.person_household
    if "case_members" in ctx.tables:
        m = ctx.table("case_members")
        m = m[(m.enrolled == "是") & isin(m.case_id, active.case_id)]
        out |= set(m.person_id.map(hh).dropna())
    else:
        out |= set(active.head_id.map(hh).dropna())
    if "other_rolls" in ctx.tables:
        r = ctx.table("other_rolls")
        on = r[
            r.program.isin(ROLLS_COVERING)
            & (pd.to_datetime(r.start_date) <= as_of)
            & (r.end_date.isna() | (pd.to_datetime(r.end_date) >= as_of))
        ]
        out |= set(on.person_id.map(hh).dropna())
    return out


def _household_standard(ctx: AuditContext, households: pd.Series) -> pd.Series:
    """Monthly standard per household: the profile's for its area type, else the roll's median for that type."""
    area = ctx.shared("cover.household_area", lambda: _household_area(ctx))
    return area_standard(
        ctx, households.map(area).astype(object).fillna("农村")
    )  # no area type recorded: rural, the lower line


def _household_area(ctx: AuditContext) -> pd.Series:
    """household_id -> the first area type recorded among its register rows."""
    area = ctx.table("persons").area_type
    codes, households = ctx.codes("persons", "household_id")
    written = np.flatnonzero(area.notna().to_numpy(dtype=bool))
    # the first row with an area of each household (what dropping repeated households gives), by the shared
    # codes; a blank household is one key, as before
    key = np.where(codes[written] >= 0, codes[written], len(households))
    _, first = np.unique(key, return_index=True)
    at = written[first]
    blank = codes[at] < 0
    index = pd.Index(households.take(np.where(blank, 0, codes[at]))).where(~blank)
    return pd.Series(area.array.take(at), index=index)


def _latest_check(ctx: AuditContext) -> pd.DataFrame:
    """Latest income check per household (household_id index): check_date, per_capita_income, source.

    A check older than a later stop of the household's case is superseded by that decision (the exit was
    judged on newer facts) and is not used; COVER-04 judges stopped cases on their own."""
    if "income_checks" not in ctx.tables:
        return pd.DataFrame(columns=["check_date", "per_capita_income", "source"])
    k = ctx.table("income_checks").dropna(subset=["per_capita_income"])
    k = k[pd.to_datetime(k.check_date) <= pd.Timestamp(ctx.as_of)]
    latest = k.sort_values(["household_id", "check_date", "per_capita_income"]).groupby("household_id").last()
    c = ctx.table("cases")
    exits = c[c.exit_date.notna()].groupby("household_id").exit_date.max()
    later = pd.to_datetime(exits.reindex(latest.index)) > pd.to_datetime(latest.check_date)
    return latest[~later.to_numpy(dtype=bool)]


def _latest_check_during(ctx: AuditContext, cases: pd.DataFrame) -> dict[str, tuple[float, pd.Timestamp]]:
    """case_id -> (per-capita income, date) of the household's latest income check after the case's approval
    and up to the reference date, by one join (not a lookup per case)."""
    if "income_checks" not in ctx.tables or cases.empty:
        return {}
    k = ctx.table("income_checks")[["household_id", "check_date", "per_capita_income"]]
    k = k[isin(k.household_id, cases.household_id)]
    j = cases[["case_id", "household_id", "approval_date"]].merge(k, on="household_id")
    when = pd.to_datetime(j.check_date)
    j = j[(when > pd.to_datetime(j.approval_date)) & (when <= pd.Timestamp(ctx.as_of))]
    j = j.sort_values(["case_id", "check_date"], kind="stable").drop_duplicates("case_id", keep="last")
    return {
        c: (float(v), pd.Timestamp(t)) for c, v, t in zip(j.case_id, j.per_capita_income.astype(float), j.check_date)
    }


def _members_text(ctx: AuditContext, members: list[Member]) -> list[dict]:
    as_of = pd.Timestamp(ctx.as_of)
    out = []
    for r in members:
        age = None if pd.isna(r.birth_date) else int((as_of - pd.Timestamp(r.birth_date)).days // 365.2425)
        notes = [
            x
            for x in (
                r.disability_grade if isinstance(r.disability_grade, str) and r.disability_grade != "无" else None,
                "重病" if r.serious_illness == "是" else None,
            )
            if x
        ]
        out.append(
            {
                "person": mask_id(r.person_id),
                "name": (str(r.name)[:1] + "某") if isinstance(r.name, str) else "某",
                "relation": r.relation_to_head,
                "age": age,
                "notes": "、".join(notes),
            }
        )
    return out


def _qualifies(income: float | None, standard: float, line: float, severe: bool) -> str:
    if income is None or np.isnan(income):
        return "待核对（未做经济状况核对）"
    if income < standard:
        return "低保"
    if severe and income < line:
        return "单人保（重度残疾或重病成员单独纳入）"
    return "低保边缘（临时救助等）"


def _finding(
    ctx: AuditContext,
    rule: str,
    severity: Severity,
    household: str,
    what: str,
    *,
    person: str | None = None,
    income: float | None = None,
    standard: float | None = None,
    line: float | None = None,
    severe: bool = False,
    key_extra: str | None = None,
    case_id: str | None = None,
    **ev,
) -> Finding:
    living_members = _household_members(ctx, household)
    place = living_members or _household_members(ctx, household, alive=False)
    first = next((m for m in place if m.relation_to_head == "户主"), place[0] if place else None)
    std = float(standard) if standard is not None and not np.isnan(standard) else None
    inc = None if income is None or (isinstance(income, float) and np.isnan(income)) else round(float(income), 2)
    # a household with a grade 1–2 disabled or seriously ill member may take the single-person route
    severe = severe or any(m.disability_grade in ("一级", "二级") or m.serious_illness == "是" for m in place)
    mult = float(ctx.profile.get("edge_line_multiple") or 1)
    line = line or ((std or 0.0) * mult)
    qualifies = _qualifies(inc if inc is not None else np.nan, std or 0.0, line, severe) if std else "待核对"
    evidence = {
        "household_id": household,
        "what": what,
        "members": _members_text(ctx, living_members),
        "per_capita_income": inc,
        "standard": std,
        "qualifies_for": qualifies,
        **ev,
    }
    income_txt = (
        f"核对人均月收入{inc:.0f}元，低保标准{std:.0f}元" if inc is not None and std else "未见经济状况核对结果"
    )
    return Finding(
        rule=rule,
        severity=severity,
        household_id=household,
        case_id=case_id,
        person_id=person or (first.person_id if first is not None else None),
        village_code=first.village_code if first is not None else None,
        township=first.township if first is not None else None,
        key_extra=key_extra,
        evidence=evidence,
        explanation=f"户{household}：{what}（{income_txt}），疑似符合{qualifies.split('（')[0]}条件，建议入户走访。",
    )


def _decided_within(ctx: AuditContext, months: int) -> set[str]:
    """Households with an application decided (or filed) within the look-back window before the reference date."""
    if "applications" not in ctx.tables:
        return set()
    a = ctx.table("applications")
    when = pd.to_datetime(a.decision_date).fillna(pd.to_datetime(a.application_date))
    since = pd.Timestamp(ctx.as_of) - pd.DateOffset(months=months)
    recent = (when >= since) & a.decision.isin(["批准", "不予批准", "办理中"])
    return set(a.household_id[recent])


# ---------------------------------------------------------------- the rules
@detector(
    "COVER-01",
    severity=Severity.HIGH,
    requires=("persons", "cases", "monitoring"),
    params=("cover_lookback_months",),
    optional=("edge_line_multiple",),
    explain_zh="户{household_id}：{what}",
)
def monitored_not_covered(ctx: AuditContext) -> Iterator[Finding]:
    """A monitored household (防止返贫监测对象) below the standard, or in sudden severe hardship, not covered.

    “三同步”识别：防止返贫监测户人均纯收入（元/年）低于低保年标准，或属突发严重困难户，既未纳入低保或特困，
    在回溯期内也没有已办结或在办的申请。
    Evidence: household_id, members, monitor_type, risk, identified_date, annual_income, per_capita_income
    (monthly), standard, qualifies_for, what.
    Profile parameters: cover_lookback_months (standards from the profile or the roll).
    """
    months = ctx.profile.int("cover_lookback_months")
    as_of = pd.Timestamp(ctx.as_of)
    m = ctx.table("monitoring")
    m = m[
        (pd.to_datetime(m.identified_date) <= as_of)
        & ~((m.risk_status == "已消除") & (pd.to_datetime(m.removed_date).fillna(as_of) <= as_of))
    ]
    m = m.sort_values(["household_id", "identified_date", "person_id"]).groupby("household_id", as_index=False).last()
    covered, decided = _covered_households(ctx), _decided_within(ctx, months)
    m = m[~m.household_id.isin(covered | decided)]
    std = _household_standard(ctx, m.household_id)
    for r, s in zip(rows(m), std):
        monthly = None if pd.isna(r.per_capita_income) else float(r.per_capita_income) / 12
        poor = monthly is not None and not np.isnan(s) and monthly < s
        sudden = r.monitor_type == "突发严重困难户"
        if not (poor or sudden):
            continue
        why = f"{r.monitor_type}（{r.risk or '风险类型未注明'}，{pd.Timestamp(r.identified_date):%Y-%m-%d}识别）"
        what = (
            f"防止返贫监测对象{why}，人均纯收入{float(r.per_capita_income):.0f}元/年"
            if monthly is not None
            else f"防止返贫监测对象{why}"
        ) + f"，未纳入低保或特困，近{months}个月没有办结的申请"
        yield _finding(
            ctx,
            "COVER-01",
            Severity.HIGH,
            r.household_id,
            what,
            person=r.person_id,
            income=monthly,
            standard=s,
            monitor_type=r.monitor_type,
            risk=r.risk,
            identified_date=f"{pd.Timestamp(r.identified_date):%Y-%m-%d}",
            annual_income=None if monthly is None else float(r.per_capita_income),
        )


def _steps_on_record(ctx: AuditContext, apps: pd.DataFrame) -> tuple[set, set]:
    """Application ids with a home survey, and with an economic-status check, on record: workflow rows
    under the application id, or an income check of the household between application and decision."""
    surveyed, checked = set(), set()
    if "workflow" in ctx.tables:
        w = ctx.table("workflow")
        surveyed |= set(w.case_id[w.step == "入户调查"])
        checked |= set(w.case_id[w.step == "信息核对"])
    if "income_checks" in ctx.tables:
        k = ctx.table("income_checks")
        j = apps[["application_id", "household_id", "application_date", "decision_date"]].merge(k, on="household_id")
        end = pd.to_datetime(j.decision_date).fillna(pd.Timestamp(ctx.as_of))
        j = j[
            (pd.to_datetime(j.check_date) >= pd.to_datetime(j.application_date)) & (pd.to_datetime(j.check_date) <= end)
        ]
        surveyed |= set(j.application_id[j.source == "入户调查"])
        checked |= set(j.application_id[j.source.isin(["核对平台", "复核"]) | j.source.isna()])
    return surveyed, checked


@detector(
    "COVER-02",
    severity=Severity.HIGH,
    requires=("persons", "cases", "applications"),
    params=("cover_refusal_grounds",),
    optional=("edge_line_multiple",),
    explain_zh="户{household_id}：{what}",
)
def refusal_without_grounds(ctx: AuditContext) -> Iterator[Finding]:
    """A refused application without a home survey or an economic-status check on record, or refused for a
    reason that is not assessed income or assets (an occupation, an identity, a relative, a quota).

    不得随意以特定职业、特殊身份等为由，或者未经家庭经济状况调查核实直接认定申请家庭不符合条件（003）。
    理由中没有收入、财产等依据的（如“有子女”“代课教师”“名额已满”“经村两委研究”），或没有入户调查、
    没有经济状况核对记录的不予批准，予以提示。
    Evidence: application_id, application_date, decision_date, reason, missing (steps), grounds_ok,
    per_capita_income (latest check), standard, qualifies_for, members, what.
    Profile parameters: cover_refusal_grounds.
    """
    grounds = ctx.profile.require("cover_refusal_grounds")
    a = ctx.table("applications")
    refused = a[a.decision == "不予批准"].sort_values("application_id")
    if refused.empty:
        return
    surveyed, checked = _steps_on_record(ctx, refused)
    std = _household_standard(ctx, refused.household_id)
    checks = ctx.table("income_checks") if "income_checks" in ctx.tables else None
    for r, s in zip(rows(refused), std):
        reason = r.reason if isinstance(r.reason, str) else ""
        grounds_ok = any(g in reason for g in grounds)
        missing = [
            n
            for n, ok in (("入户调查", r.application_id in surveyed), ("经济状况核对", r.application_id in checked))
            if not ok
        ]
        income = None
        if checks is not None:
            k = ctx.rows_of("income_checks", "household_id", r.household_id)
            k = k[pd.to_datetime(k.check_date) <= pd.to_datetime(r.decision_date or ctx.as_of)]
            if len(k):
                income = float(k.sort_values("check_date").per_capita_income.iloc[-1])
        # an income-based refusal contradicted by the household's own check (an asset test stands on its own)
        income_based = "收入" in reason and not any(
            g in reason for g in grounds if g not in ("收入", "经济状况", "工资")
        )
        below = income_based and income is not None and not np.isnan(s) and income < s
        if grounds_ok and not missing and not below:
            continue
        parts = []
        if not grounds_ok:
            parts.append(f"不予批准的理由“{reason or '（未填写）'}”不是收入或财产状况")
        elif below:
            parts.append(f"以“{reason}”不予批准，但核对的人均收入低于标准")
        if missing:
            parts.append(f"没有{'、'.join(missing)}记录")
        what = f"申请{r.application_id}（{pd.Timestamp(r.application_date):%Y-%m-%d}）被不予批准：" + "，".join(parts)
        yield _finding(
            ctx,
            "COVER-02",
            Severity.HIGH,
            r.household_id,
            what,
            person=r.applicant_id,
            income=income,
            standard=s,
            key_extra=r.application_id,
            application_id=r.application_id,
            application_date=f"{pd.Timestamp(r.application_date):%Y-%m-%d}",
            decision_date=None if pd.isna(r.decision_date) else f"{pd.Timestamp(r.decision_date):%Y-%m-%d}",
            reason=reason,
            missing=missing,
            grounds_ok=grounds_ok,
        )


@detector(
    "COVER-03",
    severity=Severity.MEDIUM,
    requires=("persons", "cases", "income_checks"),
    params=("edge_line_multiple",),
    explain_zh="户{household_id}：{what}",
)
def single_person_route_open(ctx: AuditContext) -> Iterator[Finding]:
    """A member with a grade 1–2 disability or a serious illness, in a household assessed below the
    single-person-route line, and nobody in the household on 低保 or 特困.

    低收入家庭（人均收入低于低保标准的倍数，004：1.5倍）中的重度残疾人、重病患者可参照单人户纳入低保。
    Evidence: household_id, members, severe (masked members with grade/illness), per_capita_income, line,
    standard, check_date, qualifies_for, what.
    Profile parameters: edge_line_multiple (standards from the profile or the roll).
    """
    mult = float(ctx.profile.require("edge_line_multiple"))
    living = _living(ctx)
    severe = living[living.disability_grade.isin(["一级", "二级"]) | (living.serious_illness == "是")]
    hh = pd.Series(sorted(set(severe.household_id) - _covered_households(ctx)), dtype=object)
    if hh.empty:
        return
    latest = _latest_check(ctx)
    std = _household_standard(ctx, hh).to_numpy(dtype=float)
    # the households without a check, or whose check is not below the line, set aside at once
    incomes = latest.per_capita_income.reindex(hh.to_numpy()).to_numpy(dtype=float)
    checked = latest.check_date.reindex(hh.to_numpy()).to_numpy()
    below = ~np.isnan(std) & ~np.isnan(incomes) & (incomes < mult * std)
    members = severe.groupby("household_id", sort=False).indices  # positions of each household's rows
    for h, s, income, when in zip(hh[below], std[below], incomes[below].tolist(), checked[below]):
        who = severe.iloc[members[h]].sort_values("person_id")
        names = "、".join(
            f"{mask_id(x.person_id)}（{x.disability_grade if x.disability_grade in ('一级', '二级') else ''}"
            f"{'残疾' if x.disability_grade in ('一级', '二级') else ''}{'重病' if x.serious_illness == '是' else ''}）"
            for x in rows(who)
        )
        what = (
            f"家有重度残疾或重病成员{names}，{pd.Timestamp(when):%Y-%m-%d}核对人均收入低于"
            f"{mult:g}倍低保标准（{mult * s:.0f}元），全户无人享受低保或特困"
        )
        yield _finding(
            ctx,
            "COVER-03",
            Severity.MEDIUM,
            h,
            what,
            person=who.person_id.iloc[0],
            income=income,
            standard=s,
            line=mult * s,
            severe=True,
            line_value=round(mult * s, 2),
            check_date=f"{pd.Timestamp(when):%Y-%m-%d}",
            severe_members=[mask_id(x) for x in who.person_id],
        )


@detector(
    "COVER-04",
    severity=Severity.MEDIUM,
    requires=("persons", "cases"),
    params=("cover_exit_grounds",),
    optional=("edge_line_multiple",),
    explain_zh="户{household_id}：{what}",
)
def stopped_still_poor(ctx: AuditContext) -> Iterator[Finding]:
    """A case stopped although the remaining household's latest assessment is still below the standard, or
    for a reason that is not a change of income, assets or membership, and no new application since.

    应退则退，也须应保尽保：停保理由不是收入、财产或家庭成员变化（如“自愿退出”“指标调整”“经村两委研究”），
    或停保时（享受期间）最近一次核对的人均收入仍低于标准，且此后未再申请、未重新纳入的，予以提示。
    Evidence: case_id, exit_date, exit_reason, grounds_ok, per_capita_income (latest check during enrolment),
    check_date, standard, qualifies_for, members, what.
    Profile parameters: cover_exit_grounds (standards from the profile or the roll).
    """
    grounds = ctx.profile.require("cover_exit_grounds")
    c = ctx.table("cases")
    stopped = c[c.status.isin(["停保", "注销"]) & c.exit_date.notna()].sort_values("case_id")
    if stopped.empty:
        return
    living = _living(ctx)
    covered = _covered_households(ctx)
    # households still covered, no longer living, or that applied again after the stop: set aside at once
    stopped = stopped[~isin(stopped.household_id, list(covered)) & isin(stopped.household_id, living.household_id)]
    if "applications" in ctx.tables:
        a = ctx.table("applications")
        a = a[isin(a.household_id, stopped.household_id)]
        last_app = pd.to_datetime(a.application_date).groupby(a.household_id).max()
        stopped = stopped[~(pd.to_datetime(stopped.household_id.map(last_app)) > stopped.exit_date).to_numpy(bool)]
    latest = _latest_check_during(ctx, stopped)
    std = _household_standard(ctx, stopped.household_id)
    for r, s in zip(rows(stopped), std):
        reason = r.exit_reason if isinstance(r.exit_reason, str) else ""
        grounds_ok = any(g in reason for g in grounds)
        income, when = latest.get(r.case_id, (None, None))
        below = income is not None and not np.isnan(s) and income < s
        if grounds_ok and not below:
            continue
        parts = []
        if not grounds_ok:
            parts.append(f"停保理由“{reason or '（未填写）'}”不是收入、财产或家庭成员变化")
        if below:
            parts.append(f"{when:%Y-%m-%d}核对人均收入{income:.0f}元仍低于标准")
        what = f"低保{r.case_id}于{r.exit_date:%Y-%m-%d}停保，" + "，".join(parts) + "，此后未再申请"
        yield _finding(
            ctx,
            "COVER-04",
            Severity.MEDIUM,
            r.household_id,
            what,
            person=r.head_id,
            income=income,
            standard=s,
            case_id=r.case_id,
            exit_date=f"{r.exit_date:%Y-%m-%d}",
            exit_reason=reason,
            grounds_ok=grounds_ok,
            check_date=None if when is None else f"{when:%Y-%m-%d}",
        )


@detector(
    "COVER-05",
    severity=Severity.MEDIUM,
    requires=("persons", "cases"),
    params=("cover_elderly_age",),
    optional=("edge_line_multiple",),
    explain_zh="户{household_id}：{what}",
)
def alone_on_no_roll(ctx: AuditContext) -> Iterator[Finding]:
    """A person living alone at or above the profile's age, or a minor whose parents are all dead or in
    detention, with no assessed income above the standard and on no roll (低保/特困/孤儿).

    独居老人（户内在世者仅本人）、父母双亡或服刑的未成年人，没有收入高于标准的核对结果，也不在低保、特困、
    孤儿名册中的，列入主动发现走访名单（曾享受低保后停保的户由 COVER-04 判断）。
    Evidence: household_id, kind (elderly_alone / orphan), age, parents (masked, with date), per_capita_income,
    standard, qualifies_for, members, what.
    Profile parameters: cover_elderly_age (standards from the profile or the roll).
    """
    age_min = ctx.profile.int("cover_elderly_age")
    as_of = pd.Timestamp(ctx.as_of)
    living = _living(ctx)
    c = ctx.table("cases")
    # a household whose case was stopped is COVER-04's to judge, not an unknown one
    covered = _covered_households(ctx) | set(c.household_id[c.status.isin(["停保", "注销"])])
    on_roll = set()
    if "other_rolls" in ctx.tables:
        r = ctx.table("other_rolls")
        on_roll = set(
            r.person_id[r.program.isin(ROLLS_COVERING) & (r.end_date.isna() | (pd.to_datetime(r.end_date) >= as_of))]
        )
    latest = _latest_check(ctx)
    age = (as_of - pd.to_datetime(living.birth_date)).dt.days / 365.2425
    living = living.assign(age=age)
    size = living.groupby("household_id").person_id.transform("size")
    candidates = []
    alone = living[(size == 1) & (living.age >= age_min)]
    for r in rows(alone):
        candidates.append((r, "elderly_alone", f"{int(r.age)}岁老人独自居住（户内无其他在世成员）", {}))
    minors = living[living.age < 18]
    gone = {}
    if "deaths" in ctx.tables:
        d = ctx.table("deaths")
        d = d[pd.to_datetime(d.death_date) <= as_of]
        gone.update({p: f"{t:%Y-%m-%d}死亡" for p, t in zip(d.person_id, pd.to_datetime(d.death_date))})
    if "detentions" in ctx.tables:
        t = ctx.table("detentions")
        t = t[(pd.to_datetime(t.start_date) <= as_of) & (t.end_date.isna() | (pd.to_datetime(t.end_date) >= as_of))]
        gone.update({p: "服刑在押" for p in t.person_id if p not in gone})
    # a minor whose recorded parents are all gone is a child of one of them: only those minors' parents are read
    minors = minors[isin(minors.person_id, ctx.kinship.children_of(list(gone)).b)] if gone else minors.iloc[:0]
    if len(minors):
        par = ctx.kinship.parents_of(minors.person_id)
        par = par.assign(gone=par.a.isin(list(gone)))
        orphaned = par.groupby("b").gone.all()
        first_row = minors.drop_duplicates("person_id").set_index("person_id")
        for kid in orphaned.index[orphaned.to_numpy(dtype=bool)]:  # only the kids whose parents are all gone
            parents = sorted(set(par.a[par.b == kid]))
            if parents:
                r = first_row.loc[[kid]].reset_index().iloc[0]
                detail = [f"{mask_id(p)}{gone[p]}" for p in parents]
                candidates.append(
                    (r, "orphan", f"未成年人（{int(r.age)}岁）父母" + "、".join(detail), {"parents": detail})
                )
    std = _household_standard(ctx, pd.Series([r.household_id for r, *_ in candidates], dtype=object))
    for (r, kind, what, extra), s in zip(candidates, std):
        if r.person_id in on_roll or r.household_id in covered:
            continue
        income = float(latest.loc[r.household_id].per_capita_income) if r.household_id in latest.index else None
        if income is not None and not np.isnan(s) and income >= s:
            continue
        roll = "孤儿或特困" if kind == "orphan" else "低保或特困"
        yield _finding(
            ctx,
            "COVER-05",
            Severity.MEDIUM,
            r.household_id,
            f"{what}，不在低保、特困、孤儿名册中（可能符合{roll}）",
            person=r.person_id,
            income=income,
            standard=s,
            key_extra=kind,
            kind=kind,
            age=int(r.age),
            **extra,
        )


@detector(
    "COVER-06",
    severity=Severity.LOW,
    requires=("persons", "cases", "other_rolls", "income_checks"),
    params=("cover_edge_days",),
    optional=("edge_line_multiple",),
    explain_zh="户{household_id}：{what}",
)
def edge_household_not_moved(ctx: AuditContext) -> Iterator[Finding]:
    """A 低保边缘 household whose latest check fell below the 低保 standard, not moved to 低保 within the
    profile's number of days.

    低保边缘家庭经核对人均收入已低于低保标准的，应在规定天数内纳入低保。
    Evidence: household_id, edge_since, check_date, per_capita_income, standard, days (to approval or to the
    reference date), moved (approval date or None), qualifies_for, members, what.
    Profile parameters: cover_edge_days (standards from the profile or the roll).
    """
    days_max = ctx.profile.int("cover_edge_days")
    as_of = pd.Timestamp(ctx.as_of)
    r = ctx.table("other_rolls")
    edge = r[(r.program == "低保边缘") & (pd.to_datetime(r.start_date) <= as_of)]
    hh = ctx.person_household
    edge = edge.assign(household_id=edge.person_id.map(hh)).dropna(subset=["household_id"])
    edge = edge.sort_values(["household_id", "start_date", "person_id"]).groupby("household_id", as_index=False).first()
    if edge.empty:
        return
    std = _household_standard(ctx, edge.household_id)
    first, moved = _edge_first_below(ctx, edge, std.to_numpy(dtype=float))
    for i, (e, s) in enumerate(zip(rows(edge), std)):
        if i not in first:
            continue
        when, income = first[i]
        case_id, moved_on = moved.get(i, (None, None))
        days = int(((moved_on if moved_on is not None else as_of) - when).days)
        if days <= days_max:
            continue
        tail = (
            f"{days}天后（{moved_on:%Y-%m-%d}）才纳入低保"
            if moved_on is not None
            else f"至核查基准日已{days}天仍未纳入低保"
        )
        what = (
            f"低保边缘户（{pd.Timestamp(e.start_date):%Y-%m-%d}起），{when:%Y-%m-%d}核对人均收入"
            f"{income:.0f}元已低于低保标准，{tail}（时限{days_max}天）"
        )
        yield _finding(
            ctx,
            "COVER-06",
            Severity.LOW,
            e.household_id,
            what,
            person=e.person_id,
            income=income,
            standard=s,
            case_id=case_id,
            edge_since=f"{pd.Timestamp(e.start_date):%Y-%m-%d}",
            check_date=f"{when:%Y-%m-%d}",
            days=days,
            moved=None if moved_on is None else f"{moved_on:%Y-%m-%d}",
        )


def _edge_first_below(
    ctx: AuditContext, edge: pd.DataFrame, std: np.ndarray
) -> tuple[dict[int, tuple[pd.Timestamp, float]], dict[int, tuple[str, pd.Timestamp]]]:
    """For each edge household (by row position): its first income check since it became edge that fell below
    the standard (date, income), and the first case approved on or after that date (case id, date) — by joins
    of the edge households with their checks and cases, not a scan of both tables per household. Ties keep the
    tables' order."""
    as_of = pd.Timestamp(ctx.as_of)
    e = pd.DataFrame(
        {
            "_e": np.arange(len(edge)),
            "household_id": edge.household_id.to_numpy(dtype=object),
            "start": pd.to_datetime(edge.start_date).to_numpy(),
            "std": std,
        }
    )
    k = ctx.table("income_checks")[["household_id", "check_date", "per_capita_income"]]
    k = k.assign(_k=np.arange(len(k)), check_date=pd.to_datetime(k.check_date))
    k = k[(k.check_date <= as_of) & isin(k.household_id, e.household_id)]
    j = e.merge(k.astype({"household_id": object}), on="household_id")
    j = j[(j.check_date >= j.start) & (j.per_capita_income.astype(float) < j["std"])]
    j = j.sort_values(["_e", "check_date", "_k"], kind="stable").drop_duplicates("_e")
    first = {
        int(i): (pd.Timestamp(t), float(v)) for i, t, v in zip(j._e, j.check_date, j.per_capita_income.astype(float))
    }
    c = ctx.table("cases")[["case_id", "household_id", "approval_date"]]
    c = c.assign(_c=np.arange(len(c)), approval_date=pd.to_datetime(c.approval_date))
    c = c[isin(c.household_id, j.household_id)]
    m = j[["_e", "household_id", "check_date"]].merge(c.astype({"household_id": object}), on="household_id")
    m = m[m.approval_date >= m.check_date].sort_values(["_e", "approval_date", "_c"], kind="stable")
    m = m.drop_duplicates("_e")
    moved = {int(i): (cid, pd.Timestamp(t)) for i, cid, t in zip(m._e, m.case_id, m.approval_date)}
    return first, moved
