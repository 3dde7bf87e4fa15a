"""KIN family: officials' close relatives on the roll, filings and recusal (KIN-01..KIN-05).

Close relatives come from the kinship graph (graphs.kinship) with the profile's definition
(``kin_definition``, by default the list of notice 002). An official counts for a case when the
term of office overlaps the enrolment (approval to exit, or to the reference date while the case is
on the roll: an official who takes office later must file relatives already there), and only where
the post's jurisdiction covers the case (village cadres their village, township staff their
township, county staff all).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.stats import binom

from audit.context import AuditContext, isin, rows, sets_by
from audit.ids import mask_id
from detectors.base import Finding, Severity, detector
from graphs.kinship import path_of

__all__ = ["unfiled_relative", "filed_relative_not_reviewed", "no_recusal", "official_enrolled", "concentration"]

PARTICIPATION_STEPS = ("入户调查", "信息核对", "民主评议", "乡镇审核", "县级审批/审核确认", "复核")


def _mask_name(name: object, tail: str = "某某") -> str:
    return (str(name)[0] + tail) if isinstance(name, str) and name else "某某"


def _in_office(off: pd.DataFrame, when: pd.Series) -> pd.Series:
    start = pd.to_datetime(off.start_date)
    end = pd.to_datetime(off.end_date)
    when = pd.to_datetime(when)
    return (start.isna() | (start <= when)) & (end.isna() | (end >= when))


def _covers(frame: pd.DataFrame) -> pd.Series:
    """Jurisdiction: the post (level, village_code_o, township_o) covers the case (village_code, township)."""
    return (
        ((frame.level == "村") & (frame.village_code_o == frame.village_code))
        | ((frame.level == "乡镇") & (frame.township_o == frame.township))
        | (frame.level == "县")
    )


def _decision_dates(ctx: AuditContext) -> pd.DataFrame:
    """case_id, date, step: approval and every recheck, the steps at which an official decides."""
    c = ctx.table("cases")
    out = [pd.DataFrame({"case_id": c.case_id, "date": pd.to_datetime(c.approval_date), "step": "审批"})]
    if "rechecks" in ctx.tables:
        r = ctx.table("rechecks")
        out.append(pd.DataFrame({"case_id": r.case_id, "date": pd.to_datetime(r.date), "step": "复核"}))
    return pd.concat(out, ignore_index=True)


def _enrolment_end(ctx: AuditContext, cases: pd.DataFrame) -> pd.Series:
    """Last day on the roll: the exit date of a stopped case, else the reference date."""
    as_of = pd.Timestamp(ctx.as_of)
    stopped = cases.status.isin(["停保", "注销"])
    end = pd.to_datetime(cases.exit_date).where(stopped)
    return end.fillna(as_of).clip(upper=as_of)


def _related_cases(ctx: AuditContext) -> pd.DataFrame:
    """(official post, case, relative member) where the post covers the case during the enrolment.

    One row per (case_id, official_id, relative); columns include the kinship labels, the post, the
    overlap of term and enrolment (``overlap_from``/``overlap_to``) and the decision dates (approval,
    rechecks) at which the official was in office (``in_office_at``, possibly empty). Built once per
    run: KIN-01 and KIN-02 both read it (callers must not modify the frame).
    """
    return ctx.shared("kin.related_cases", lambda: _build_related_cases(ctx))


def _build_related_cases(ctx: AuditContext) -> pd.DataFrame:
    rel = ctx.official_relatives
    if rel.empty:
        return pd.DataFrame()
    j = rel.merge(ctx.enrolled_members, left_on="y", right_on="person_id")
    cases = ctx.table("cases")[
        ["case_id", "household_id", "village_code", "township", "approval_date", "status", "exit_date"]
    ]
    cases = cases.assign(enrol_end=_enrolment_end(ctx, cases))
    j = j.merge(cases, on="case_id")
    off = ctx.table("officials").rename(
        columns={"village_code": "village_code_o", "township": "township_o", "person_id": "x", "name": "official_name"}
    )
    j = j.merge(
        off[["x", "official_name", "role", "level", "village_code_o", "township_o", "start_date", "end_date"]], on="x"
    )
    j = j[_covers(j)]
    start, end = pd.to_datetime(j.start_date), pd.to_datetime(j.end_date)
    approved = pd.to_datetime(j.approval_date)
    j = j.assign(
        overlap_from=start.where(start > approved, approved).fillna(approved),
        overlap_to=end.where(end < j.enrol_end, j.enrol_end).fillna(j.enrol_end),
    )
    j = j[approved.notna() & (j.overlap_from <= j.overlap_to)]
    if j.empty:
        return pd.DataFrame()
    key = ["case_id", "x", "y"]
    d = j[key + ["start_date", "end_date"]].drop_duplicates(key).merge(_decision_dates(ctx), on="case_id")
    d = d[_in_office(d, d.date)]
    # per pair, the sorted distinct "step+date" labels: one sort and one group-by, no Python per group
    d = d.assign(label=d.step.astype(str) + d.date.dt.strftime("%Y-%m-%d"))[key + ["label"]]
    d = d.drop_duplicates().sort_values(key + ["label"])
    dates = d.groupby(key, sort=False).label.agg(list).rename("in_office_at").reset_index()
    j = j.drop_duplicates(key).merge(dates, on=key, how="left")
    j["in_office_at"] = [v if isinstance(v, list) else [] for v in j.in_office_at]
    return j


def _filings(ctx: AuditContext) -> tuple[set, set]:
    if "kin_filings" not in ctx.tables:
        return set(), set()
    f = ctx.table("kin_filings")
    return set(zip(f.official_id, f.relative_id)), set(zip(f.official_id, f.case_id.fillna("")))


def _names(ctx: AuditContext) -> pd.Series:
    return ctx.person_names


def _kin_evidence(r, names: pd.Series) -> dict:
    return {
        "official": mask_id(r.x),
        "official_name": _mask_name(names.get(r.x)),
        "official_role": r.role,
        "relative": mask_id(r.y),
        "relative_name": _mask_name(names.get(r.y), "某"),
        "kinship_term": r.kinship_term,
        "category": r.category,
        "path": path_of(r),
        "degree": int(r.degree),
    }


def _closest(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["degree", "y"]).drop_duplicates(["case_id", "x"])


def _all_relatives(frame: pd.DataFrame, names: pd.Series) -> dict[tuple[str, str], list[dict]]:
    """(case_id, official) -> every related member of the case, closest first, with term and path."""
    out: dict[tuple[str, str], list[dict]] = {}
    for r in rows(frame.sort_values(["degree", "y"])):
        out.setdefault((r.case_id, r.x), []).append(
            {
                "relative": mask_id(r.y),
                "relative_name": _mask_name(names.get(r.y), "某"),
                "kinship_term": r.kinship_term,
                "category": r.category,
                "path": path_of(r),
                "degree": int(r.degree),
            }
        )
    return out


def _term(r) -> str:
    """The official's term as Chinese text, and the part of it that overlaps the enrolment."""
    start = "" if pd.isna(r.start_date) else f"{pd.Timestamp(r.start_date):%Y-%m-%d}"
    end = "至今" if pd.isna(r.end_date) else f"{pd.Timestamp(r.end_date):%Y-%m-%d}"
    return f"{start or '任职起始不详'}—{end}"


@detector(
    "KIN-01",
    severity=Severity.HIGH,
    requires=("persons", "officials", "cases"),
    params=("kin_definition",),
    optional=("kin_filing_required",),
    explain_zh="{official_name}（{official_role}）的{kinship_term}{relative_name}家享受低保，未在近亲属备案中登记",
)
def unfiled_relative(ctx: AuditContext) -> Iterator[Finding]:
    """An enrolled member is a close relative of an official covering the case, and not filed.

    低保对象是负责该案件的干部（本村村干部、本乡镇工作人员、县民政局经办人员）的近亲属，且未在近亲属备案中登记。
    干部任期与该户享受低保期间有重叠即计入（审批后才上任的干部，也须对已在册的近亲属补办备案）。
    Evidence: official, official_role, relative, kinship_term, category, path, term, overlap, in_office_at
    (approval/recheck dates in office), relatives (every related member of the case, closest first),
    filing_required.
    Profile parameters: kin_definition, kin_filing_required (wording where the notice sets no filing duty).
    """
    j = _related_cases(ctx)
    if j.empty:
        return
    by_person, by_case = _filings(ctx)
    j = j[[(x, y) not in by_person and (x, c) not in by_case for x, y, c in zip(j.x, j.y, j.case_id)]]
    names = _names(ctx)
    everyone = _all_relatives(j, names)
    required = ctx.profile.get("kin_filing_required")
    duty = "未在近亲属备案中登记" if required else "未在近亲属备案中登记（本地政策未明确备案制度，仍须回避并从严审核）"
    for r in rows(_closest(j)):
        ev = _kin_evidence(r, names) | {
            "filing_required": bool(required),
            "in_office_at": r.in_office_at,
            "filed": False,
            "term": _term(r),
            "overlap": f"{r.overlap_from:%Y-%m-%d}至{r.overlap_to:%Y-%m-%d}",
            "relatives": everyone[(r.case_id, r.x)],
        }
        yield Finding(
            rule="KIN-01",
            severity=Severity.HIGH,
            case_id=r.case_id,
            household_id=r.household_id,
            person_id=r.y,
            official_id=r.x,
            village_code=r.village_code,
            township=r.township,
            score=round(1 - 0.1 * (r.degree - 1), 2),
            evidence=ev,
            explanation=f"{ev['official_name']}（{r.role}）的{r.kinship_term}{ev['relative_name']}家享受低保"
            f"（{r.case_id}），{duty}。",
        )


@detector(
    "KIN-02",
    severity=Severity.MEDIUM,
    requires=("persons", "officials", "cases", "kin_filings"),
    params=("kin_definition", "kin_strict_recheck_months"),
    optional=("strict_review_groups",),
    explain_zh="{official_name}（{official_role}）的{kinship_term}{relative_name}家已备案，但{gap}",
)
def filed_relative_not_reviewed(ctx: AuditContext) -> Iterator[Finding]:
    """A filed relative's case lacks a home survey or a recheck within the strict-review interval.

    已备案的干部近亲属低保户应从严审核：全部入户核查并定期复核。缺少入户调查记录，或在从严复核间隔内没有复核的，予以提示。
    Evidence: official, official_role, relative, kinship_term, category, path, term, gap, last_recheck,
    home_survey (bool), relatives (every related member of the case, closest first).
    Profile parameters: kin_definition, kin_strict_recheck_months, strict_review_groups (the basis named).
    """
    j = _related_cases(ctx)
    if j.empty:
        return
    by_person, by_case = _filings(ctx)
    j = j.assign(filed=[(x, y) in by_person or (x, c) in by_case for x, y, c in zip(j.x, j.y, j.case_id)])
    filed = j.groupby(["case_id", "x"]).filed.all()
    j = j.set_index(["case_id", "x"])[filed.reindex(j.set_index(["case_id", "x"]).index).to_numpy()].reset_index()
    j = j[j.status.isin(["在保", "渐退"])]
    if j.empty:
        return
    months = ctx.profile.int("kin_strict_recheck_months")
    cutoff = pd.Timestamp(ctx.as_of) - pd.DateOffset(months=months)
    wf = ctx.table("workflow") if "workflow" in ctx.tables else pd.DataFrame(columns=["case_id", "step"])
    surveyed = set(wf[wf.step == "入户调查"].case_id)
    rc = ctx.table("rechecks") if "rechecks" in ctx.tables else pd.DataFrame(columns=["case_id", "date"])
    last = pd.to_datetime(rc.groupby("case_id").date.max()) if len(rc) else pd.Series(dtype="datetime64[ns]")
    names = _names(ctx)
    everyone = _all_relatives(j, names)
    groups = ctx.profile.get("strict_review_groups") or []
    basis = next((g for g in groups if "干部" in g), "基层干部近亲属（从严审核）")
    for r in rows(_closest(j)):
        gaps = []
        if r.case_id not in surveyed:
            gaps.append("没有入户调查记录")
        lr = last.get(r.case_id)
        due = pd.to_datetime(r.approval_date) <= cutoff
        if due and (lr is None or pd.isna(lr) or lr < cutoff):
            gaps.append(f"近{months}个月内没有复核")
        if not gaps:
            continue
        gap = "、".join(gaps)
        ev = _kin_evidence(r, names) | {
            "gap": gap,
            "home_survey": r.case_id in surveyed,
            "term": _term(r),
            "strict_review_basis": basis,
            "last_recheck": None if lr is None or pd.isna(lr) else f"{lr:%Y-%m-%d}",
            "relatives": everyone[(r.case_id, r.x)],
        }
        yield Finding(
            rule="KIN-02",
            severity=Severity.MEDIUM,
            case_id=r.case_id,
            household_id=r.household_id,
            person_id=r.y,
            official_id=r.x,
            village_code=r.village_code,
            township=r.township,
            evidence=ev,
            explanation=f"{ev['official_name']}（{r.role}）的{r.kinship_term}{ev['relative_name']}家（{r.case_id}）"
            f"已备案，但{gap}，未落实从严审核。",
        )


@detector(
    "KIN-03",
    severity=Severity.HIGH,
    requires=("persons", "officials", "cases"),
    params=("kin_definition",),
    explain_zh="{official_name}（{official_role}）参与了其{kinship_term}{relative_name}家低保的{steps_text}，未回避",
)
def no_recusal(ctx: AuditContext) -> Iterator[Finding]:
    """An official takes part in a step of a close relative's case without recusal.

    社会救助经办人员在入户调查、民主评议、审核审批、复核等环节中涉及近亲属的，应主动申请回避。
    民主评议只计其职务管辖该村的干部（本村村干部、本乡镇工作人员、县级人员）。
    Evidence: official, official_role, relative, kinship_term, category, path, steps (step and date).
    Profile parameters: kin_definition.
    """
    rel = ctx.official_relatives
    if rel.empty:
        return
    steps = []
    if "workflow" in ctx.tables:
        w = ctx.table("workflow")
        w = w[w.step.isin(PARTICIPATION_STEPS) & w.handler_id.notna()]
        steps.append(pd.DataFrame({"case_id": w.case_id, "x": w.handler_id, "step": w.step, "date": w.date}))
    if "rechecks" in ctx.tables:
        r = ctx.table("rechecks").dropna(subset=["officer_ids"])
        # one row per officer of each recheck (split and flattened by Arrow, in the rows' order)
        officers = pc.split_pattern(pa.array(r.officer_ids, from_pandas=True), ";")
        at = pc.list_parent_indices(officers).to_numpy()
        steps.append(
            pd.DataFrame(
                {
                    "case_id": r.case_id.to_numpy(dtype=object)[at],
                    "x": pc.list_flatten(officers).to_numpy(zero_copy_only=False),
                    "step": "复核",
                    "date": r.date.to_numpy()[at],
                }
            )
        )
    if {"votes", "meeting_attendance", "meetings"} <= set(ctx.tables):
        a = ctx.table("meeting_attendance")
        a = a[a.signed.fillna("是") != "否"][["meeting_id", "person_id"]]
        a = a[isin(a.person_id, rel.x.unique())]  # only officials with relatives can be conflicted
        v = (
            ctx.table("votes")[["meeting_id", "case_id"]]
            .merge(a, on="meeting_id")
            .merge(ctx.table("meetings")[["meeting_id", "date"]], on="meeting_id")
        )
        steps.append(
            pd.DataFrame(
                {"case_id": v.case_id, "x": v.person_id, "step": "民主评议（" + v.meeting_id + "）", "date": v.date}
            )
        )
    if not steps:
        return
    s = pd.concat(steps, ignore_index=True)
    s = s[isin(s.x, rel.x)]
    members = ctx.enrolled_members
    members = members[isin(members.person_id, rel.y)]  # only members who are some official's relative
    j = s.merge(members, on="case_id").merge(rel, left_on=["x", "person_id"], right_on=["x", "y"])
    if j.empty:
        return
    j = j.merge(ctx.table("cases")[["case_id", "household_id", "village_code", "township"]], on="case_id")
    # an appraisal is a step of the official's only where the post covers the village: a cadre of another
    # village on the list took no part as an official (a copied list is VOTE-06's matter)
    posts = ctx.table("officials").rename(
        columns={"person_id": "x", "village_code": "village_code_o", "township": "township_o"}
    )[["x", "level", "village_code_o", "township_o"]]
    jp = j.reset_index().merge(posts, on="x")
    covered = set(jp.loc[_covers(jp), "index"])
    j = j[~j.step.str.startswith("民主评议") | j.index.isin(covered)]
    if j.empty:
        return
    roles = ctx.table("officials").drop_duplicates("person_id").set_index("person_id").role
    names = _names(ctx)
    for (case_id, x), g in j.groupby(["case_id", "x"], sort=True):
        r = g.sort_values(["degree", "y"]).iloc[0]
        taken = sorted({f"{st}（{pd.Timestamp(d):%Y-%m-%d}）" for st, d in zip(g.step, g.date)})
        rr = r.copy()
        rr["role"] = roles.get(x, "经办人员")
        ev = _kin_evidence(rr, names) | {"steps": taken, "steps_text": "、".join(taken)}
        yield Finding(
            rule="KIN-03",
            severity=Severity.HIGH,
            case_id=case_id,
            household_id=r.household_id,
            person_id=r.y,
            official_id=x,
            village_code=r.village_code,
            township=r.township,
            evidence=ev,
            explanation=f"{ev['official_name']}（{rr.role}）参与了其{r.kinship_term}{ev['relative_name']}家低保"
            f"（{case_id}）的{ev['steps_text']}，未回避。",
        )


@detector(
    "KIN-04",
    severity=Severity.HIGH,
    requires=("persons", "officials", "cases"),
    params=(),
    explain_zh="{official_name}（{official_role}）{who}是低保保障成员",
)
def official_enrolled(ctx: AuditContext) -> Iterator[Finding]:
    """An official, or the official's spouse, is an enrolled member of a case while in office.

    干部本人或其配偶在任职期间为低保保障成员（四从严：基层干部及其近亲属）。
    Evidence: official, official_role, who (本人/配偶), member, enrolled_from, term.
    Profile parameters: none.
    """
    off = ctx.table("officials")
    mem = ctx.enrolled_members
    rel = ctx.official_relatives
    spouses = rel[rel.pattern == "S"][["x", "y"]] if len(rel) else pd.DataFrame(columns=["x", "y"])
    links = pd.concat(
        [pd.DataFrame({"x": off.person_id, "y": off.person_id, "who": "本人"}), spouses.assign(who="配偶")],
        ignore_index=True,
    )
    j = (
        links.merge(mem, left_on="y", right_on="person_id")
        .merge(
            ctx.table("cases")[["case_id", "household_id", "village_code", "township", "approval_date", "exit_date"]],
            on="case_id",
        )
        .merge(off.rename(columns={"person_id": "x", "village_code": "vc_o", "township": "t_o"}), on="x")
    )
    end = pd.to_datetime(j.exit_date).fillna(pd.Timestamp(ctx.as_of))
    overlap = (pd.to_datetime(j.start_date).isna() | (pd.to_datetime(j.start_date) <= end)) & (
        pd.to_datetime(j.end_date).isna() | (pd.to_datetime(j.end_date) >= pd.to_datetime(j.approval_date))
    )
    j = j[overlap].assign(_own=lambda d: d.who != "本人").sort_values("_own").drop_duplicates(["case_id", "x"])
    names = _names(ctx)
    for r in rows(j):
        oname = _mask_name(names.get(r.x))
        ev = {
            "official": mask_id(r.x),
            "official_name": oname,
            "official_role": r.role,
            "who": r.who,
            "member": mask_id(r.y),
            "enrolled_from": f"{pd.Timestamp(r.approval_date):%Y-%m-%d}",
            "term": f"{'' if pd.isna(r.start_date) else f'{r.start_date:%Y-%m-%d}'}至"
            f"{'今' if pd.isna(r.end_date) else f'{r.end_date:%Y-%m-%d}'}",
        }
        if r.who == "配偶":
            ev |= {
                "kinship_term": "妻子" if names.get(r.y, "") and ctx.kinship.nodes.sex.get(r.y) == "女" else "丈夫",
                "path": [r.x, "妻" if ctx.kinship.nodes.sex.get(r.y) == "女" else "夫", r.y],
            }
        else:
            ev |= {"kinship_term": "本人", "path": [r.x]}
        yield Finding(
            rule="KIN-04",
            severity=Severity.HIGH,
            case_id=r.case_id,
            household_id=r.household_id,
            person_id=r.y,
            official_id=r.x,
            village_code=r.village_code,
            township=r.township,
            evidence=ev,
            explanation=f"{oname}（{r.role}）{'本人' if r.who == '本人' else '的配偶'}是低保（{r.case_id}）"
            f"保障成员，任职期间享受低保。",
        )


@detector(
    "KIN-05",
    severity=Severity.MEDIUM,
    requires=("persons", "officials", "cases"),
    params=(
        "kin_definition",
        "kin_concentration_max_p",
        "kin_concentration_watch_p",
        "kin_quota_min_cadres",
        "kin_concentration_min_cases",
    ),
    explain_zh="{village_name}低保户中村干部近亲属{observed}户，按人口比例应约{expected}户（纯属偶然的概率{p_value}）",
)
def concentration(ctx: AuditContext) -> Iterator[Finding]:
    """Cases linked to a village's cadres are over-represented against their share of households, or the
    roll looks shared out among the cadres (名额分配).

    关系保集中：本村低保户中与本村村干部有近亲属关系的户数，显著高于这些亲属户在全村户数中的占比
    （单侧精确二项检验：p 低于显著性水平为中风险；低于观察水平为低风险“观察”）；或本村多名村干部
    各有一两户近亲属在保（名额在干部之间分配的常见情形），也予提示。
    Evidence: households, linked_households, expected_share, cases, observed, expected, p_value, tier
    (显著/观察/名额分配), cadres, cadres_with_relatives (cadre and their cases), linked_cases.
    Profile parameters: kin_definition, kin_concentration_max_p, kin_concentration_watch_p, kin_quota_min_cadres,
    kin_concentration_min_cases.
    """
    import math

    alpha = float(ctx.profile.fraction("kin_concentration_max_p"))
    watch = float(ctx.profile.fraction("kin_concentration_watch_p"))
    quota_min = ctx.profile.int("kin_quota_min_cadres")
    min_cases = ctx.profile.int("kin_concentration_min_cases")
    rel = ctx.official_relatives
    off = ctx.table("officials")
    cadres = off[(off.level == "村") & _in_office(off, pd.Series(pd.Timestamp(ctx.as_of), index=off.index))]
    if rel.empty or cadres.empty:
        return
    p = ctx.table("persons")
    links = rel[isin(rel.x, cadres.person_id)][["x", "y"]]
    links = pd.concat([links, pd.DataFrame({"x": cadres.person_id, "y": cadres.person_id})])
    linked = ctx.on_register(links, "y", ["household_id", "village_code"]).merge(
        cadres[["person_id", "village_code", "role"]]
        .drop_duplicates("person_id")
        .rename(columns={"person_id": "x", "village_code": "cadre_village"}),
        on="x",
    )
    linked = linked[linked.village_code == linked.cadre_village]
    cases = ctx.table("cases")
    active = cases[cases.status.isin(["在保", "渐退"])]
    mem = ctx.on_register(ctx.enrolled_members, "person_id", ["household_id", "village_code"])
    # each village's first spelled name, and its households, from integer codes of the register's columns
    village, villages = ctx.codes("persons", "village_code")
    firsts = np.unique(village[village >= 0], return_index=True)[1]
    on_village = np.flatnonzero(village >= 0)
    vname = pd.Series(p.village_name.array.take(on_village[firsts]), index=villages) if "village_name" in p else None
    members_v = mem.assign(_cv=mem.case_id.map(active.drop_duplicates("case_id").set_index("case_id").village_code))
    # screen every village at once (households, linked households, active cases, linked cases and the
    # binomial tail as arrays); only villages that can yield a finding are looked at one by one
    hits = members_v.merge(
        linked[["y", "village_code"]].drop_duplicates(), left_on=["person_id", "_cv"], right_on=["y", "village_code"]
    )
    household, households = ctx.codes("persons", "household_id")
    both = (village >= 0) & (household >= 0)
    pairs = np.unique(village[both].astype(np.int64) * (len(households) + 1) + household[both])  # one int per pair
    n_hh = pd.Series(np.bincount(pairs // (len(households) + 1), minlength=len(villages)), index=villages)
    stats = pd.DataFrame({"n_hh": n_hh.sort_index()})
    stats["lk_hh"] = linked.groupby("village_code").household_id.nunique().reindex(stats.index).fillna(0)
    stats["n"] = active.groupby("village_code").size().reindex(stats.index).fillna(0)
    stats["k"] = hits.groupby("_cv").case_id.nunique().reindex(stats.index).fillna(0)
    share_v = stats.lk_hh / stats.n_hh.where(stats.n_hh > 0)
    open_ = (stats.n > 0) & (share_v > 0) & (share_v < 1) & (stats.k >= min_cases)
    tail_p = pd.Series(binom.sf(stats.k - 1, stats.n, share_v.fillna(0)), index=stats.index)
    may_quota = (stats.k > stats.n * share_v) & (stats.k >= 1)
    keep = stats.index[open_ & ((tail_p < watch) | may_quota)]
    # each table split once by the villages kept (not filtered again for every village, nor split for all)
    kept = set(keep)
    # each kept village's enrolled members who are its cadres' relatives, with the cadre (x)
    cadre_cases = members_v[members_v._cv.isin(kept)].merge(
        linked[["x", "y", "village_code"]], left_on=["person_id", "_cv"], right_on=["y", "village_code"]
    )
    by_village = {
        name: dict(tuple(t[t[col].isin(kept)].groupby(col, sort=False)))
        for name, t, col in (
            ("linked", linked, "village_code"),
            ("active", active, "village_code"),
            ("cadre_cases", cadre_cases, "_cv"),
        )
    }
    for vc, n_hh in stats.n_hh.loc[sorted(keep)].items():
        lk = by_village["linked"].get(vc, linked.iloc[0:0])
        lk_hh = set(lk.household_id)
        share = len(lk_hh) / n_hh if n_hh else 0
        vcases = by_village["active"].get(vc, active.iloc[0:0])
        n = len(vcases)
        if n == 0 or share in (0, 1):
            continue
        links = by_village["cadre_cases"].get(vc, cadre_cases.iloc[0:0])
        k = links.case_id.nunique()
        if k < min_cases:
            continue
        pval = float(binom.sf(k - 1, n, share))
        # 名额分配: several cadres, each with one or two relatives' cases on the roll
        per_cadre = {x: sorted(set(ids)) for x, ids in sets_by(links.x, links.case_id).items()}
        per_cadre = dict(sorted(per_cadre.items()))
        sharing = [x for x, ids in per_cadre.items() if 1 <= len(ids) <= 2]
        quota = len(sharing) >= quota_min and k > n * share  # and more than their share of the roll
        if pval < alpha:
            tier, sev = "显著", Severity.MEDIUM
        elif quota:
            tier, sev = "名额分配", Severity.MEDIUM
        elif pval < watch:
            tier, sev = "观察", Severity.LOW
        else:
            continue
        name = (vname.get(vc) if vname is not None else None) or vc
        who = lk.drop_duplicates("x").sort_values("x")
        roles = dict(zip(who.x, who.role))
        ev = {
            "village_name": name,
            "households": int(n_hh),
            "linked_households": len(lk_hh),
            "expected_share": round(share, 4),
            "cases": n,
            "observed": int(k),
            "expected": round(n * share, 2),
            "p_value": float(f"{pval:.3g}"),
            "test": "单侧精确二项检验",
            "tier": tier,
            "cadres": [f"{mask_id(x)}（{r}）" for x, r in zip(who.x, who.role)],
            "cadres_with_relatives": {f"{mask_id(x)}（{roles.get(x, '')}）": ids for x, ids in per_cadre.items()},
            "linked_cases": sorted(links.case_id.unique()),
        }
        head = (
            f"{name}在保{n}户中有{k}户是本村村干部的近亲属，按亲属户占全村户数{share:.1%}计应约"
            f"{n * share:.1f}户（单侧二项检验：纯属偶然的概率为{pval:.2g}）"
        )
        tail = {
            "显著": "，关系保明显集中。",
            "名额分配": f"；本村{len(sharing)}名村干部各有一两户近亲属在保，疑似在干部之间分配低保名额。",
            "观察": "，偏高但未达显著水平，列入观察。",
        }[tier]
        yield Finding(
            rule="KIN-05",
            severity=sev,
            village_code=vc,
            township=vcases.township.iloc[0],
            score=min(1.0, round(-0.1 * math.log10(max(pval, 1e-10)), 2)),
            evidence=ev,
            explanation=head + tail,
        )
