"""VOTE family: democratic appraisal meetings (VOTE-01..VOTE-07).

Shares are compared as exact fractions (14 of 21 is exactly 2/3): no float rounding at the boundary.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterator

import duckdb
import numpy as np
import pandas as pd

from audit.context import AuditContext, isin, rows, sets_by
from audit.ids import mask_id
from audit.parse import map_distinct, norm_group
from audit.policy import emergency_exempt, present
from detectors.base import Finding, Severity, detector
from graphs.kinship import path_of

__all__ = ["quorum", "approval_share", "composition", "tally", "lineal_voter", "fabricated_minutes", "no_appraisal"]

TABLES = ("meetings", "meeting_attendance", "votes")
LINEAL = ("配偶", "父母", "子女", "祖父母", "外祖父母", "孙子女", "外孙子女")


def _attendance(ctx: AuditContext) -> pd.DataFrame:
    return present(ctx.table("meeting_attendance"))


def _copied_lists(a: pd.DataFrame, m: pd.DataFrame, cut: Fraction) -> list[tuple[str, str, int, int, int]]:
    """(meeting, other meeting, attendees in common, size of each list) for every pair of meetings anywhere
    in the county whose attendee lists are at least ``cut`` alike (Jaccard), leaving out a village's full
    panel attending twice. One self-join on the person in DuckDB (an inverted index, not all pairs)."""
    con = duckdb.connect()
    con.register("a", a[["meeting_id", "person_id"]].drop_duplicates())
    con.register("m", m.reset_index()[["meeting_id", "village_code", "members_total"]])
    got = con.execute(
        """WITH n AS (SELECT meeting_id, count(*) AS n FROM a GROUP BY 1),
           pairs AS (SELECT x.meeting_id AS x, y.meeting_id AS y, count(*) AS common FROM a x JOIN a y
                     ON x.person_id = y.person_id AND x.meeting_id < y.meeting_id GROUP BY 1, 2)
           SELECT p.x, p.y, p.common, n1.n, n2.n
           FROM pairs p JOIN n n1 ON n1.meeting_id = p.x JOIN n n2 ON n2.meeting_id = p.y
           LEFT JOIN m m1 ON m1.meeting_id = p.x LEFT JOIN m m2 ON m2.meeting_id = p.y
           WHERE p.common * $den >= $num * (n1.n + n2.n - p.common)
             AND NOT (m1.village_code IS NOT DISTINCT FROM m2.village_code
                      AND n1.n >= coalesce(CAST(m1.members_total AS BIGINT), 0)
                      AND n2.n >= coalesce(CAST(m2.members_total AS BIGINT), 0))
           ORDER BY 1, 2""",
        {"num": cut.numerator, "den": cut.denominator},
    ).fetchall()
    con.close()
    return got


def _overlapping_sign_ins(t: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(person, meeting, other meeting) for each pair of one person's sign-ins on the same day whose times
    overlap, in the order of the person, the day and the rows (one self-join, not a loop over groups)."""
    con = duckdb.connect()
    con.register("t", t[["person_id", "date", "start", "end", "meeting_id"]].assign(_pos=np.arange(len(t))))
    got = con.execute(
        """SELECT a.person_id, a.meeting_id, b.meeting_id FROM t a JOIN t b
           ON a.person_id = b.person_id AND a.date = b.date AND a._pos < b._pos
           WHERE a.start < b."end" AND b.start < a."end"
           ORDER BY a.person_id, a.date, a._pos, b._pos"""
    ).fetchall()
    con.close()
    return got


def _meetings(ctx: AuditContext) -> pd.DataFrame:
    m = ctx.table("meetings")
    n = _attendance(ctx).groupby("meeting_id").size()
    return m.assign(attendees=m.meeting_id.map(n).fillna(0).astype(int))


def _place(ctx: AuditContext, village_code: str) -> dict:
    towns = ctx.villages.township
    return {"village_code": village_code, "township": towns.get(village_code)}


def _frac(f: Fraction) -> str:
    return f"{f.numerator}/{f.denominator}"


@detector(
    "VOTE-01",
    severity=Severity.MEDIUM,
    requires=TABLES,
    params=("appraisal_quorum_share",),
    explain_zh="会议{meeting_id}应到{members_total}人，实到{attendees}人，不足{required}",
)
def quorum(ctx: AuditContext) -> Iterator[Finding]:
    """Attendees below the required share of the appraisal group's members.

    民主评议小组会议须有三分之二以上小组成员参加方为有效。
    Evidence: meeting_id, date, members_total, attendees, required (fraction), share.
    Profile parameters: appraisal_quorum_share.
    """
    need = ctx.profile.fraction("appraisal_quorum_share")
    for r in rows(_meetings(ctx)):
        total, att = int(r.members_total), int(r.attendees)
        if total <= 0 or Fraction(att, total) >= need:
            continue
        ev = {
            "meeting_id": r.meeting_id,
            "date": f"{r.date:%Y-%m-%d}",
            "members_total": total,
            "attendees": att,
            "required": _frac(need),
            "share": _frac(Fraction(att, total)),
        }
        yield Finding(
            rule="VOTE-01",
            severity=Severity.MEDIUM,
            meeting_id=r.meeting_id,
            **_place(ctx, r.village_code),
            evidence=ev,
            explanation=f"评议会议{r.meeting_id}（{r.date:%Y-%m-%d}）评议小组{total}人，"
            f"实到{att}人，不足{_frac(need)}，会议无效。",
        )


@detector(
    "VOTE-02",
    severity=Severity.HIGH,
    requires=TABLES,
    params=("appraisal_approval_share",),
    explain_zh="{case_id}同意{yes}票/参会{attendees}人，不足{required}仍判通过",
)
def approval_share(ctx: AuditContext) -> Iterator[Finding]:
    """A case passed although "yes" votes are below the required share of attendees.

    评议结果须有三分之二以上参会人员同意方为有效。
    Evidence: meeting_id, case_id, yes, attendees, required (fraction), share.
    Profile parameters: appraisal_approval_share.
    """
    need = ctx.profile.fraction("appraisal_approval_share")
    v = ctx.table("votes").merge(_meetings(ctx), on="meeting_id")
    for r in rows(v[v.result == "通过"]):
        att = int(r.attendees)
        if att <= 0 or Fraction(int(r.yes), att) >= need:
            continue
        ev = {
            "meeting_id": r.meeting_id,
            "case_id": r.case_id,
            "yes": int(r.yes),
            "attendees": att,
            "required": _frac(need),
            "share": _frac(Fraction(int(r.yes), att)),
        }
        yield Finding(
            rule="VOTE-02",
            severity=Severity.HIGH,
            meeting_id=r.meeting_id,
            case_id=r.case_id,
            **_place(ctx, r.village_code),
            evidence=ev,
            explanation=f"{r.case_id}在评议会议{r.meeting_id}获同意{int(r.yes)}票，参会{att}人，"
            f"不足{_frac(need)}，却判为通过。",
        )


@detector(
    "VOTE-03",
    severity=Severity.LOW,
    requires=TABLES,
    params=("appraisal_min_members", "appraisal_rep_min_share", "appraisal_every_group"),
    optional=("appraisal_secret_ballot",),
    explain_zh="会议{meeting_id}：{problems_text}",
)
def composition(ctx: AuditContext) -> Iterator[Finding]:
    """Fewer members than required, villager representatives below their share, or a group unrepresented.

    评议小组总人数不少于20人，村民代表不少于二分之一，每个村民小组都有代表（小组名称归一后比较：
    第1村民小组、1组、一组、第一组视为同一组）；政策要求无记名投票的，会议记录为非无记名的也予提示。
    Evidence: meeting_id, members_total, representatives, attendees, missing_groups, problems.
    Profile parameters: appraisal_min_members, appraisal_rep_min_share, appraisal_every_group,
    appraisal_secret_ballot (where set).
    """
    min_members = ctx.profile.int("appraisal_min_members")
    rep_share = ctx.profile.fraction("appraisal_rep_min_share")
    every = bool(ctx.profile.get("appraisal_every_group"))
    secret = bool(ctx.profile.get("appraisal_secret_ballot"))
    a = _attendance(ctx)
    reg = ctx.table("persons")
    # group labels are written many ways (第1村民小组, 1组, 一组): compare them normalised, show the register's
    g_all = map_distinct(reg.group, norm_group) if "group" in reg else None
    p = reg[[c for c in ("person_id", "village_code", "group") if c in reg]]
    p = p.assign(g=g_all).dropna(subset=["group"]) if g_all is not None else p.iloc[:0].assign(group=None, g=None)
    # each village's groups and the register's first spelling of each, from its distinct (village, group) rows
    vg = p[["village_code", "g", "group"]].drop_duplicates(["village_code", "g"])
    groups = vg.groupby("village_code").g.agg(set)
    shown = vg.set_index(["village_code", "g"]).group
    # a person's group by the register's one hashed index of ids (not a second index of a million ids)
    person_group = ctx.by_person(g_all) if g_all is not None else pd.Series(dtype=object)
    a = a.assign(g=map_distinct(a.group, norm_group).fillna(a.person_id.map(person_group)))
    n_att = a.groupby("meeting_id").size()
    reps = a[a.role == "村民代表"]
    n_rep = reps.groupby("meeting_id").size()
    named = reps.dropna(subset=["g"])
    rep_groups = sets_by(named.meeting_id, named.g)
    # the meetings with some problem, found for all at once; only they are looked at one by one
    meet = _meetings(ctx)
    att_n = meet.meeting_id.map(n_att).fillna(0).astype(int).to_numpy()
    rep_n = meet.meeting_id.map(n_rep).fillna(0).astype(int).to_numpy()
    look = (meet.members_total.astype(float) < min_members).to_numpy(dtype=bool, copy=True)
    look |= (att_n > 0) & (rep_n * rep_share.denominator < rep_share.numerator * att_n)
    if secret:
        look |= (meet.secret_ballot == "否").to_numpy(dtype=bool)
    if every:  # a village group with no representative at the meeting: fewer of its groups covered than it has
        held = meet[["meeting_id", "village_code"]]
        covered = reps[["meeting_id", "g"]].dropna().drop_duplicates().merge(held, on="meeting_id")
        covered = covered.merge(vg[["village_code", "g"]], on=["village_code", "g"]).groupby("meeting_id").size()
        need = meet.village_code.map(groups.map(len))
        look |= (need.notna() & (meet.meeting_id.map(covered).fillna(0) < need.fillna(0))).to_numpy(dtype=bool)
    for r in rows(meet[look]):
        att, rep = int(n_att.get(r.meeting_id, 0)), int(n_rep.get(r.meeting_id, 0))
        problems = []
        if int(r.members_total) < min_members:
            problems.append(f"评议小组{int(r.members_total)}人，少于{min_members}人")
        if att and Fraction(rep, att) < rep_share:
            problems.append(f"参会村民代表{rep}人，不足参会人数的{_frac(rep_share)}")
        missing = []
        if every and r.village_code in groups.index:
            gone = groups[r.village_code] - rep_groups.get(r.meeting_id, set())
            missing = [shown[(r.village_code, g)] for g in sorted(gone, key=lambda g: (len(g), g))]
            if missing:
                problems.append(f"{'、'.join(missing)}没有村民代表")
        if secret and r.secret_ballot == "否":
            problems.append("未实行无记名投票")
        if not problems:
            continue
        ev = {
            "meeting_id": r.meeting_id,
            "members_total": int(r.members_total),
            "attendees": att,
            "representatives": rep,
            "missing_groups": missing,
            "problems": problems,
            "problems_text": "；".join(problems),
        }
        yield Finding(
            rule="VOTE-03",
            severity=Severity.LOW,
            meeting_id=r.meeting_id,
            **_place(ctx, r.village_code),
            evidence=ev,
            explanation=f"评议会议{r.meeting_id}：{'；'.join(problems)}。",
        )


@detector(
    "VOTE-04",
    severity=Severity.HIGH,
    requires=TABLES,
    params=(),
    explain_zh="{case_id}：同意{yes}、反对{no}、弃权{abstain}，合计{ballots}票，参会{attendees}人",
)
def tally(ctx: AuditContext) -> Iterator[Finding]:
    """yes + no + abstain exceeds the attendees, or ballots differ from attendees.

    票数合计与签到参会人数不一致，表明评议记录可能不实。
    Evidence: meeting_id, case_id, yes, no, abstain, ballots, attendees.
    Profile parameters: none.
    """
    v = ctx.table("votes").merge(_meetings(ctx), on="meeting_id")
    ballots = v.yes.astype(int) + v.no.astype(int) + v.abstain.fillna(0).astype(int)
    for r, b in zip(rows(v), ballots):
        if b == int(r.attendees):
            continue
        ab = 0 if pd.isna(r.abstain) else int(r.abstain)
        ev = {
            "meeting_id": r.meeting_id,
            "case_id": r.case_id,
            "yes": int(r.yes),
            "no": int(r.no),
            "abstain": ab,
            "ballots": int(b),
            "attendees": int(r.attendees),
        }
        more = "多于" if b > r.attendees else "少于"
        yield Finding(
            rule="VOTE-04",
            severity=Severity.HIGH,
            meeting_id=r.meeting_id,
            case_id=r.case_id,
            **_place(ctx, r.village_code),
            evidence=ev,
            explanation=f"{r.case_id}在评议会议{r.meeting_id}：同意{int(r.yes)}、反对{int(r.no)}、弃权{ab}，"
            f"合计{int(b)}票，{more}签到参会的{int(r.attendees)}人。",
        )


@detector(
    "VOTE-05",
    severity=Severity.HIGH,
    requires=(*TABLES, "persons", "cases"),
    params=("appraisal_recuse_lineal", "appraisal_approval_share"),
    explain_zh="{voter_name}是申请人的{kinship_term}，参加了{case_id}的评议",
)
def lineal_voter(ctx: AuditContext) -> Iterator[Finding]:
    """An attendee who is a lineal relative or spouse of the applicant voted on that case.

    评议小组成员与申请人家庭有直系亲属关系的，应当回避。
    Evidence: meeting_id, case_id, voter (masked), kinship_term (voter's view of the applicant's member),
    path, conflicted, would_pass_without (removing the conflicted voters and, at worst, their yes votes).
    Profile parameters: appraisal_recuse_lineal, appraisal_approval_share.
    """
    if not ctx.profile.get("appraisal_recuse_lineal"):
        return
    need = ctx.profile.fraction("appraisal_approval_share")
    a = _attendance(ctx)
    votes = ctx.table("votes")
    members = (
        ctx.table("case_members")
        if "case_members" in ctx.tables
        else ctx.table("cases")[["case_id", "head_id"]].rename(columns={"head_id": "person_id"}).assign(enrolled="是")
    )
    applicants = pd.concat(
        [
            members[["case_id", "person_id"]],
            ctx.table("cases")[["case_id", "head_id"]].rename(columns={"head_id": "person_id"}),
        ]
    )
    voters = a.person_id[isin(a.meeting_id, votes.meeting_id)]
    # only relatives who are applicants can matter
    rel = ctx.kinship.relatives(voters, LINEAL, with_path=False, targets=applicants.person_id)
    # votes x attendees x relatives x applicants in one DuckDB join, rows in the order pandas' merges give
    con = duckdb.connect()
    con.register("v", votes.assign(_v=np.arange(len(votes))))
    con.register("a", a[["meeting_id", "person_id"]].assign(_a=np.arange(len(a))))
    con.register("rel", rel.assign(_r=np.arange(len(rel))))
    con.register("ap", applicants.drop_duplicates().rename(columns={"person_id": "y"}))
    cols = ", ".join(f'v."{c}"' for c in votes.columns)
    rcols = ", ".join(f'rel."{c}"' for c in rel.columns)
    j = con.execute(
        f"""SELECT {cols}, a.person_id, {rcols} FROM v JOIN a USING (meeting_id)
            JOIN rel ON rel.x = a.person_id SEMI JOIN ap ON ap.case_id = v.case_id AND ap.y = rel.y
            ORDER BY v._v, a._a, rel._r"""
    ).df()
    con.close()
    if j.empty:
        return
    j["path"] = [path_of(r) for r in rows(j)]  # only for the pairs kept
    meet = _meetings(ctx).set_index("meeting_id")
    names = ctx.person_names
    # each meeting and case's rows closest relation first; one group-by each for the counts and the voters
    j = j.sort_values(["meeting_id", "case_id", "degree"], kind="stable")
    case_keys = ["meeting_id", "case_id"]
    conflicted = j.groupby(case_keys).x.nunique()
    yes_votes = j.groupby(case_keys).head(1).set_index(case_keys).yes
    for (mid, cid, x), first in j.groupby([*case_keys, "x"]).first().iterrows():
        k = int(conflicted[(mid, cid)])
        att = int(meet.loc[mid, "attendees"])
        yes = int(yes_votes[(mid, cid)])
        would = att - k > 0 and Fraction(max(yes - k, 0), att - k) >= need
        ev = {
            "meeting_id": mid,
            "case_id": cid,
            "voter": mask_id(x),
            "voter_name": str(names.get(x, ""))[:1] + "某某",
            "kinship_term": first.kinship_term,
            "path": list(first.path),
            "conflicted": k,
            "would_pass_without": bool(would),
        }
        yield Finding(
            rule="VOTE-05",
            severity=Severity.HIGH,
            meeting_id=mid,
            case_id=cid,
            person_id=x,
            **_place(ctx, meet.loc[mid, "village_code"]),
            evidence=ev,
            explanation=f"{ev['voter_name']}与{cid}申请人家庭成员为直系亲属（对方是其{first.kinship_term}），"
            f"参加了评议会议{mid}未回避；剔除{k}名应回避人员后该案"
            f"{'仍能' if would else '不能'}达到{_frac(need)}同意。",
        )


@detector(
    "VOTE-06",
    severity=Severity.HIGH,
    requires=(*TABLES, "persons"),
    params=("minutes_copy_min_jaccard", "unanimous_min_meetings", "unanimous_min_votes"),
    explain_zh="会议{meeting_id}：{what}",
)
def fabricated_minutes(ctx: AuditContext) -> Iterator[Finding]:
    """Fabricated minutes: copied attendee lists (compared county-wide), one person at two overlapping
    meetings, the dead or detained recorded as present, a villager representative from another
    village, or identical unanimous tallies for every case of a village.

    A list counts as copied when its similarity reaches the profile's threshold, unless both meetings
    are the same village's and were attended by the whole group (the same full group twice is normal).

    评议弄虚作假：参会名单雷同（全县范围比对，含抄用其他村的名单）、同一人同时出现在两场会议、
    已死亡或在押人员签到、村民代表不是本村村民、各次会议全票一致。
    Evidence: meeting_id, kind, and the other meeting / person / dates behind it.
    Profile parameters: minutes_copy_min_jaccard, unanimous_min_meetings, unanimous_min_votes.
    """
    cut = ctx.profile.fraction("minutes_copy_min_jaccard")
    min_meetings = int(ctx.profile.require("unanimous_min_meetings"))
    min_votes = int(ctx.profile.require("unanimous_min_votes"))
    m = ctx.table("meetings").set_index("meeting_id")
    a = _attendance(ctx)
    seen = set()

    def emit(mid, kind, what, person=None, **ev):
        key = (mid, kind, person)
        if key in seen or mid not in m.index:
            return None
        seen.add(key)
        return Finding(
            rule="VOTE-06",
            severity=Severity.HIGH,
            meeting_id=mid,
            person_id=person,
            key_extra=kind,
            **_place(ctx, m.loc[mid, "village_code"]),
            evidence={"meeting_id": mid, "kind": kind, "what": what, **ev},
            explanation=f"评议会议{mid}：{what}。",
        )

    village = m.village_code.to_dict()
    for x, y, common, n1, n2 in _copied_lists(a, m, cut):
        jac = Fraction(common, n1 + n2 - common)
        same_village = village.get(x) == village.get(y)
        for me, other, vo in ((x, y, village.get(y)), (y, x, village.get(x))):
            where = "" if same_village else f"（另一村{vo}的会议）"
            f = emit(
                me,
                "copied_list",
                f"参会名单与会议{other}{where}相同（相似度{float(jac):.0%}，{n1}人）",
                other_meeting=other,
                other_village=vo,
                jaccard=_frac(jac),
            )
            if f:
                yield f
    # a villager representative who does not live in the meeting's village
    if "persons" in ctx.tables:
        home = ctx.by_person("village_code")
        reps = a[a.role == "村民代表"].assign(home=lambda d: d.person_id.map(home))
        reps = reps.assign(mv=reps.meeting_id.map(village))
        for r in rows(reps[reps.home.notna() & reps.mv.notna() & (reps.home != reps.mv)]):
            f = emit(
                r.meeting_id,
                "outside_rep",
                f"村民代表{mask_id(r.person_id)}户籍在{r.home}，不是本村村民",
                person=r.person_id,
                home_village=r.home,
            )
            if f:
                yield f
    # one person at two meetings on the same day with overlapping times
    t = a.merge(m[["date", "start_time", "end_time"]], left_on="meeting_id", right_index=True)
    t = t.assign(start=t.start_time.fillna("00:00"), end=t.end_time.fillna("23:59"))
    dup = t[t.duplicated(["person_id", "date"], keep=False)].reset_index(drop=True)
    for pid, m1, m2 in _overlapping_sign_ins(dup):
        for me, other in ((m1, m2), (m2, m1)):
            f = emit(me, "two_places", f"{mask_id(pid)}同一时间还在会议{other}签到", person=pid, other_meeting=other)
            if f:
                yield f
    # the dead or detained recorded as present
    for table, col, label in (("deaths", "death_date", "已死亡"), ("detentions", "start_date", "在押")):
        if table not in ctx.tables:
            continue
        gone = ctx.table(table)
        x = t[isin(t.person_id, gone.person_id)].merge(gone, on="person_id")  # the few sign-ins of such people
        x = x[pd.to_datetime(x[col]) < pd.to_datetime(x.date)]
        if table == "detentions":
            x = x[x.end_date.isna() | (pd.to_datetime(x.end_date) > pd.to_datetime(x.date))]
        for r in rows(x):
            f = emit(
                r.meeting_id,
                "absent_present",
                f"{mask_id(r.person_id)}于{getattr(r, col):%Y-%m-%d}{label}，却被记为参会",
                person=r.person_id,
                since=f"{getattr(r, col):%Y-%m-%d}",
            )
            if f:
                yield f
    # identical unanimous tallies for every case of every meeting of a village (enough meetings and votes)
    v = ctx.table("votes").merge(m[["village_code"]], left_on="meeting_id", right_index=True)
    v = v.assign(unanimous=(v.no.astype(int) == 0) & (v.abstain.fillna(0).astype(int) == 0))
    by = v.groupby("village_code")
    per = pd.DataFrame({"meetings": by.meeting_id.nunique(), "cases": by.size(), "all": by.unanimous.all()})
    per = per[(per.meetings >= min_meetings) & (per.cases >= min_votes) & per["all"]]  # one pass, not per village
    for vc, n_meetings, n_cases in zip(per.index, per.meetings.tolist(), per.cases.tolist()):
        for mid in sorted(v.meeting_id[v.village_code == vc].unique()):
            f = emit(
                mid,
                "all_unanimous",
                f"本村{n_meetings}次会议、{n_cases}个案件全部全票通过，无一反对或弃权",
                meetings=int(n_meetings),
                cases=int(n_cases),
            )
            if f:
                yield f


@detector(
    "VOTE-07",
    severity=Severity.MEDIUM,
    requires=("cases", "votes"),
    params=("appraisal_required",),
    optional=("emergency_skip_steps",),
    explain_zh="{case_id}已审批，但没有民主评议表决记录",
)
def no_appraisal(ctx: AuditContext) -> Iterator[Finding]:
    """An approved case with no appraisal vote, where the profile requires one.

    经民主评议后方可审批；已审批案件无评议表决记录的，予以提示。
    先行救助（紧急救助）案件按政策可免民主评议的，不提示。
    Evidence: case_id, approval_date.
    Profile parameters: appraisal_required, emergency_skip_steps (where set).
    """
    if not ctx.profile.get("appraisal_required"):
        return
    voted = set(ctx.table("votes").case_id) | emergency_exempt(ctx, "民主评议")
    c = ctx.table("cases")
    for r in rows(c[~c.case_id.isin(voted) & c.approval_date.notna()]):
        yield Finding(
            rule="VOTE-07",
            severity=Severity.MEDIUM,
            case_id=r.case_id,
            household_id=r.household_id,
            village_code=r.village_code,
            township=r.township,
            evidence={"case_id": r.case_id, "approval_date": f"{r.approval_date:%Y-%m-%d}"},
            explanation=f"{r.case_id}于{r.approval_date:%Y-%m-%d}审批，但没有民主评议表决记录。",
        )
