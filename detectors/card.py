"""CARD family: bank-card custody and the money trail (CARD-01..CARD-08), and RCK-07 (payout vs approval).

Payout accounts are those in payments (or the roll's 发放账号). Heavy scans run in DuckDB: the batch
withdrawal windows use ``count(DISTINCT) OVER (RANGE …)`` over the whole statement table.
"""

from __future__ import annotations

from typing import Iterator

import duckdb
import networkx as nx
import numpy as np
import pandas as pd

from audit.context import AuditContext, isin, rows, sets_by
from audit.ids import mask_account, mask_id
from detectors.base import Finding, Severity, detector

__all__ = [
    "shared_account",
    "holder_not_member",
    "reserved_phone",
    "batch_withdrawals",
    "agent_withdrawals",
    "after_death",
    "sweeps",
    "flow_back",
    "payout_mismatch",
    "custody_groups",
]


def _payout_accounts(ctx: AuditContext) -> pd.DataFrame:
    """(account_no, case_id) pairs that carried payouts (payments, else the roll's account)."""
    parts = []
    if "payments" in ctx.tables:
        parts.append(ctx.table("payments")[["account_no", "case_id"]])
    c = ctx.table("cases")
    parts.append(c[["account_no", "case_id"]].dropna())
    return pd.concat(parts).dropna().drop_duplicates()


def _case_info(ctx: AuditContext) -> pd.DataFrame:
    """household_id, village_code, township by case_id (indexed once per run, read by every CARD rule)."""
    return ctx.shared(
        "card.case_info",
        lambda: ctx.table("cases")[["case_id", "household_id", "village_code", "township"]].set_index("case_id"),
    )


def _pairs_in(left: pd.DataFrame, on: list[str], right: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """For each row of ``left``, whether its values in ``on`` occur together as ``keys`` in a row of ``right``
    (blank values never match)."""
    right = right[keys]
    right = right[isin(right[keys[0]], left[on[0]].dropna().unique())]  # the rows that can match, first
    r = right.dropna().drop_duplicates().set_axis(on, axis=1).assign(_hit=True)
    hit = left[on].merge(r, on=on, how="left")._hit
    return (hit.fillna(False).to_numpy(dtype=bool)) & left[on].notna().all(axis=1).to_numpy()


def _kin_pairs(ctx: AuditContext, people: list[str]) -> set[frozenset]:
    """Unordered pairs among ``people`` that are close relatives (or the same household)."""
    if not people:
        return set()
    rel = ctx.kinship.relatives(people, with_path=False, targets=people)  # pairs among them only
    return {frozenset((x, y)) for x, y in zip(rel.x, rel.y)}


def _officials_and_kin(ctx: AuditContext) -> dict[str, tuple[str, str]]:
    """person -> (official id, how: 本人 or the kinship term) for officials and their close relatives
    (built once per run; several rules read it)."""
    return ctx.shared("card.officials_and_kin", lambda: _build_officials_and_kin(ctx))


def _build_officials_and_kin(ctx: AuditContext) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    if "officials" not in ctx.tables:
        return out
    rel = ctx.official_relatives
    # object arrays: zip over Arrow-backed columns makes one pandas scalar at a time
    for x, y, t in zip(*(rel[c].to_numpy(dtype=object) for c in ("x", "y", "kinship_term"))):
        out.setdefault(y, (x, t))
    for x in ctx.table("officials").person_id.to_numpy(dtype=object):
        out[x] = (x, "本人")
    return out


def _linked_sets(ctx: AuditContext, groups: dict) -> set:
    """Keys of ``groups`` (key -> case ids) whose cases are all one family: same household, or linked
    through close relatives between their members. Kinship is computed once for all members."""
    info = _case_info(ctx).household_id
    m = ctx.enrolled_members
    wanted = {c for cases in groups.values() for c in cases}
    people = m[m.case_id.isin(wanted)]
    pairs = _kin_pairs(ctx, sorted(set(people.person_id)))
    by_case = sets_by(people.case_id, people.person_id)
    out = set()
    for key, cases in groups.items():
        G = nx.Graph()
        G.add_nodes_from(cases)
        for a, b in ((a, b) for a in cases for b in cases if a < b):
            if info.get(a) == info.get(b) or any(
                frozenset((p, q)) in pairs for p in by_case.get(a, ()) for q in by_case.get(b, ())
            ):
                G.add_edge(a, b)
        if nx.is_connected(G):
            out.add(key)
    return out


@detector(
    "CARD-01",
    severity=Severity.HIGH,
    requires=("cases", "payments"),
    params=(),
    explain_zh="账户{account}领取{n_cases}户无亲属关系的低保金",
)
def shared_account(ctx: AuditContext) -> Iterator[Finding]:
    """One payout account receives money for two or more cases of unrelated households.

    同一银行卡（存折）领取两户以上、彼此无近亲属关系家庭的低保金，疑似代管、冒领。
    Evidence: account (masked), cases, households, payouts (count, total).
    Profile parameters: none.
    """
    pay = ctx.table("payments")
    per = {a: sorted(c) for a, c in sorted(sets_by(pay.account_no, pay.case_id).items()) if len(c) >= 2}
    linked = _linked_sets(ctx, per)
    known = set(ctx.table("cases").case_id)
    by_acct = pay[isin(pay.account_no, list(per))].groupby("account_no")
    for acct, cases in per.items():
        if acct in linked:
            continue
        info = _case_info(ctx).loc[[c for c in cases if c in known]]
        p = by_acct.get_group(acct)
        ev = {
            "account": mask_account(acct),
            "n_cases": len(cases),
            "cases": cases,
            "households": sorted(set(info.household_id)),
            "payouts": len(p),
            "total": round(float(p.amount.sum()), 2),
        }
        yield Finding(
            rule="CARD-01",
            severity=Severity.HIGH,
            account_no=acct,
            case_id=cases[0],
            village_code=info.village_code.iloc[0] if len(info) else None,
            township=info.township.iloc[0] if len(info) else None,
            evidence=ev,
            explanation=f"账户{mask_account(acct)}领取了{len(cases)}户彼此无亲属关系家庭的低保金"
            f"（{'、'.join(cases)}），共{len(p)}笔{ev['total']:.0f}元。",
        )


@detector(
    "CARD-02",
    severity=Severity.MEDIUM,
    requires=("cases", "accounts"),
    params=("card_custody_ban",),
    explain_zh="{case_id}的低保金发放到{holder_desc}名下的账户{account}",
)
def holder_not_member(ctx: AuditContext) -> Iterator[Finding]:
    """The account holder is not a member of the case's household; high when an official or kin.

    低保金应发放到保障对象本人或家庭成员账户；经办人员不得借用、扣留救助对象银行卡。
    Evidence: account (masked), holder (masked), holder_type, official (masked, when linked), kinship_term.
    Profile parameters: card_custody_ban.
    """
    if not ctx.profile.get("card_custody_ban"):  # the profile sets no custody ban: nothing to breach
        return
    acc = ctx.table("accounts").set_index("account_no")
    p = ctx.table("persons")[["person_id", "household_id"]]
    m = ctx.enrolled_members
    links = _officials_and_kin(ctx)
    roles = (
        ctx.table("officials").drop_duplicates("person_id").set_index("person_id").role
        if "officials" in ctx.tables
        else {}
    )
    info = _case_info(ctx)
    pay = _payout_accounts(ctx)
    pay = pay[pay.account_no.isin(acc.index) & pay.case_id.isin(info.index)]
    pay = pay.assign(holder=pay.account_no.map(acc.holder_id), hh=pay.case_id.map(info.household_id))
    # the holder lives in the case's household, or is an enrolled member of the case: no finding
    in_household = _pairs_in(pay, ["hh", "holder"], p, ["household_id", "person_id"])
    in_case = _pairs_in(pay, ["case_id", "holder"], m, ["case_id", "person_id"])
    for acct, case_id, holder, hh in rows(pay[~(in_household | in_case)][["account_no", "case_id", "holder", "hh"]]):
        a = acc.loc[acct]
        link = links.get(holder)
        high = link is not None or a.holder_type in ("村集体", "单位")
        if link:
            who = "干部本人" if link[1] == "本人" else f"干部{mask_id(link[0])}的{link[1]}"
            desc = f"{who}（{roles.get(link[0], '经办人员')}）"
        else:
            desc = {"村集体": "村集体", "单位": "单位"}.get(a.holder_type, "非本户人员")
        ev = {
            "account": mask_account(acct),
            "holder": mask_id(holder),
            "holder_type": a.holder_type,
            "holder_desc": desc,
            "case_id": case_id,
            "official": mask_id(link[0]) if link else None,
            "kinship_term": link[1] if link else None,
        }
        yield Finding(
            rule="CARD-02",
            severity=Severity.HIGH if high else Severity.MEDIUM,
            case_id=case_id,
            household_id=hh,
            account_no=acct,
            official_id=link[0] if link else None,
            village_code=info.loc[case_id, "village_code"],
            township=info.loc[case_id, "township"],
            score=1.0 if high else 0.6,
            evidence=ev,
            explanation=f"{case_id}的低保金发放到{desc}名下的账户{mask_account(acct)}，户名不是本户成员。",
        )


@detector(
    "CARD-03",
    severity=Severity.HIGH,
    requires=("cases", "accounts", "persons"),
    params=(),
    explain_zh="账户{account}的预留手机号{phone}{why}",
)
def reserved_phone(ctx: AuditContext) -> Iterator[Finding]:
    """The account's reserved phone belongs to an official, or is shared by accounts of unrelated cases.

    发放账户预留手机号为干部手机号，或多户无亲属关系家庭的账户共用一个预留手机号，疑似集中代管。
    干部本人是本户保障成员时（见 KIN-04）不在此重复提示。
    Evidence: account (masked), phone (masked), official (masked) or other accounts and cases.
    Profile parameters: none.
    """
    from audit.ids import mask_phone

    acc = ctx.table("accounts")
    pay = _payout_accounts(ctx)
    acc = acc[isin(acc.account_no, pay.account_no) & acc.reserved_phone.notna()].merge(pay, on="account_no")
    phones = ctx.table("persons")[["person_id", "phone"]].dropna(subset=["phone"])
    off_ids = set(ctx.table("officials").person_id) if "officials" in ctx.tables else set()
    off_phone = phones[phones.person_id.isin(off_ids)].drop_duplicates("phone").set_index("phone").person_id
    info = _case_info(ctx)
    enrolled = sets_by(ctx.enrolled_members.case_id, ctx.enrolled_members.person_id)
    done = set()
    for r in rows(acc):
        owner = off_phone.get(r.reserved_phone)
        own = owner is not None and owner in enrolled.get(r.case_id, set())
        if owner is not None and not own and r.account_no not in done and r.case_id in info.index:
            done.add(r.account_no)
            o = off_phone[r.reserved_phone]
            ev = {
                "account": mask_account(r.account_no),
                "phone": mask_phone(r.reserved_phone),
                "why": f"属于干部{mask_id(o)}",
                "official": mask_id(o),
                "case_id": r.case_id,
            }
            yield Finding(
                rule="CARD-03",
                severity=Severity.HIGH,
                account_no=r.account_no,
                case_id=r.case_id,
                official_id=o,
                village_code=info.loc[r.case_id, "village_code"],
                township=info.loc[r.case_id, "township"],
                evidence=ev,
                explanation=f"{r.case_id}的发放账户{mask_account(r.account_no)}预留手机号"
                f"{mask_phone(r.reserved_phone)}属于干部{mask_id(o)}。",
            )
    counts = acc.groupby("reserved_phone").agg(accounts=("account_no", "nunique"), cases=("case_id", "nunique"))
    many = counts[(counts.accounts >= 2) & (counts.cases >= 2)].index  # phones behind several cards and cases
    several = acc[isin(acc.reserved_phone, many)]
    shared = {ph: sorted(set(g.case_id)) for ph, g in several.groupby("reserved_phone")}
    linked = _linked_sets(ctx, shared)
    for phone, g in acc[isin(acc.reserved_phone, list(shared))].groupby("reserved_phone"):
        cases = shared[phone]
        if phone in linked:
            continue
        for r in rows(g.drop_duplicates("account_no")):
            if r.account_no in done or r.case_id not in info.index:
                continue
            done.add(r.account_no)
            ev = {
                "account": mask_account(r.account_no),
                "phone": mask_phone(phone),
                "why": f"与{len(cases) - 1}户无亲属关系家庭的账户共用",
                "cases": cases,
                "case_id": r.case_id,
            }
            yield Finding(
                rule="CARD-03",
                severity=Severity.HIGH,
                account_no=r.account_no,
                case_id=r.case_id,
                village_code=info.loc[r.case_id, "village_code"],
                township=info.loc[r.case_id, "township"],
                evidence=ev,
                explanation=f"{r.case_id}的发放账户{mask_account(r.account_no)}预留手机号"
                f"{mask_phone(phone)}被{len(cases)}户无亲属关系家庭共用。",
            )


def custody_groups(ctx: AuditContext) -> pd.DataFrame:
    """Groups of payout accounts drained together (see :func:`_custody_groups`), built once per run."""
    return ctx.shared("custody_groups", lambda: _custody_groups(ctx))


def _custody_groups(ctx: AuditContext) -> pd.DataFrame:
    """Groups of payout accounts drained together at one terminal, month after month.

    A custodian drains the cards one after another: at the terminal, each card's withdrawal is
    followed (within ``w`` minutes, at most one other person in between) by the next card of the same
    set, and the same set again next month. Payday crowds at a village service point also queue
    within minutes of each other, but different people each time. So candidate pairs are neighbours
    in a terminal's withdrawal sequence (a linear scan, whatever the crowd), linked when they are
    neighbours in ``card_batch_min_repeats`` or more different months; each connected set of at
    least ``k`` cards is then checked against the rule itself: at least ``k`` of its cards within
    ``w`` minutes in that many different months.

    Returns
    -------
    DataFrame
        account_no, group (int), terminals, months, partners, windows (sample start times).
    """
    k, w = ctx.profile.int("card_batch_min_accounts"), ctx.profile.int("card_batch_window_minutes")
    reps = ctx.profile.int("card_batch_min_repeats")
    pay = _payout_accounts(ctx)
    con = ctx.con
    con.register("_payout", pay[["account_no"]].drop_duplicates())
    pairs = con.execute(f"""
        WITH wd AS (
            SELECT w.account_no::VARCHAR AS account_no, w.terminal_id::VARCHAR AS terminal_id, w.time::TIMESTAMP AS time
            FROM withdrawals w SEMI JOIN _payout p USING (account_no)
            WHERE coalesce(w.direction, '支出') = '支出' AND w.channel <> '转账' AND w.terminal_id IS NOT NULL),
        seq AS (
            SELECT terminal_id, time, account_no,
                   lead(account_no, 1) OVER t AS n1, lead(time, 1) OVER t AS t1,
                   lead(account_no, 2) OVER t AS n2, lead(time, 2) OVER t AS t2
            FROM wd WINDOW t AS (PARTITION BY terminal_id ORDER BY time)),
        near AS (
            SELECT account_no AS a, n1 AS b, terminal_id, time FROM seq
            WHERE n1 <> account_no AND t1 <= time + INTERVAL {int(w)} MINUTE
            UNION ALL
            SELECT account_no, n2, terminal_id, time FROM seq
            WHERE n2 <> account_no AND t2 <= time + INTERVAL {int(w)} MINUTE),
        pairs AS MATERIALIZED (SELECT least(a, b) AS a1, greatest(a, b) AS a2, terminal_id, time FROM near),
        -- a pair seen fewer times than the months asked for cannot qualify: a plain count prunes the
        -- payday crowd's chance neighbours before the distinct months are counted
        often AS (SELECT a1, a2 FROM pairs GROUP BY 1, 2 HAVING count(*) >= {int(reps)})
        SELECT a1, a2, count(DISTINCT date_trunc('month', time)) AS months, list(DISTINCT terminal_id) AS terminals
        FROM pairs SEMI JOIN often USING (a1, a2)
        GROUP BY 1, 2 HAVING count(DISTINCT date_trunc('month', time)) >= {int(reps)}""").df()
    con.unregister("_payout")
    G = nx.Graph()
    for r in rows(pairs):
        G.add_edge(r.a1, r.a2, months=int(r.months), terminals=list(r.terminals))
    comps = sorted((c for c in nx.connected_components(G) if len(c) >= k), key=lambda c: sorted(c)[0])
    wd = ctx.table("withdrawals")
    if comps:  # one scan of the statement for every candidate set, then small frames per set
        wd = wd[isin(wd.account_no, {a for c in comps for a in c})]
    width = np.timedelta64(int(w), "m")
    group_rows = []
    for comp in comps:
        sub = G.subgraph(comp)
        terminals = sorted({t for _, _, e in sub.edges(data=True) for t in e["terminals"]})
        x = wd[wd.account_no.isin(comp) & wd.terminal_id.isin(terminals)].sort_values("time")
        # verify the rule itself: >= k of these cards within w minutes, in >= reps different months
        hits: dict[str, set] = {}
        for term, g in x.groupby("terminal_id"):
            times, accts = g.time.to_numpy(dtype="datetime64[ns]"), g.account_no.to_numpy()
            j = 0
            for i in range(len(times)):
                while times[i] - times[j] > width:
                    j += 1
                window = set(accts[j : i + 1])
                if len(window) >= k:
                    hits.setdefault(pd.Timestamp(times[i]).strftime("%Y-%m"), set()).update(window)
        if len(hits) < reps:
            continue
        members = set().union(*hits.values())
        gi = len({r["group"] for r in group_rows})
        for a in sorted(members):
            group_rows.append(
                {
                    "account_no": a,
                    "group": gi,
                    "partners": sorted(members - {a}),
                    "months": sum(a in v for v in hits.values()),
                    "terminals": terminals,
                }
            )
    out = pd.DataFrame(group_rows, columns=["account_no", "group", "partners", "months", "terminals"])
    return out[out.months >= reps].reset_index(drop=True)


@detector(
    "CARD-04",
    severity=Severity.HIGH,
    requires=("cases", "payments", "withdrawals"),
    params=("card_batch_min_accounts", "card_batch_window_minutes", "card_batch_min_repeats"),
    explain_zh="账户{account}与另外{n_partners}户的低保金在终端{terminals_text}{minutes}分钟内集中支取，共{months}个月",
)
def batch_withdrawals(ctx: AuditContext) -> Iterator[Finding]:
    """At least k payout accounts withdrawn at one terminal within w minutes, repeatedly (same accounts).

    经办人员不得借用、扣留救助对象银行卡（存折）。同一批账户每月在同一终端短时间内被集中支取，疑似统一代管。
    发薪日村助农取款点排队取款的人群每月不同，不据此报警。
    Evidence: account (masked), partners (masked), terminals, months, minutes, cases, group.
    Profile parameters: card_batch_min_accounts, card_batch_window_minutes, card_batch_min_repeats.
    """
    g = custody_groups(ctx)
    if g.empty:
        return
    pay = _payout_accounts(ctx).drop_duplicates("account_no").set_index("account_no").case_id
    info = _case_info(ctx)
    minutes = ctx.profile.int("card_batch_window_minutes")
    for r in rows(g):
        case_id = pay.get(r.account_no)
        place = info.loc[case_id] if case_id in info.index else None
        ev = {
            "account": mask_account(r.account_no),
            "partners": [mask_account(a) for a in r.partners],
            "n_partners": len(r.partners),
            "terminals": list(r.terminals),
            "terminals_text": "、".join(r.terminals),
            "months": int(r.months),
            "minutes": minutes,
            "group": int(r.group),
            "case_id": case_id,
            "partner_cases": sorted({pay.get(a) for a in r.partners if pay.get(a)}),
        }
        yield Finding(
            rule="CARD-04",
            severity=Severity.HIGH,
            account_no=r.account_no,
            case_id=case_id,
            household_id=None if place is None else place.household_id,
            village_code=None if place is None else place.village_code,
            township=None if place is None else place.township,
            evidence=ev,
            explanation=f"{case_id}的账户{mask_account(r.account_no)}与另外{len(r.partners)}户的低保金，"
            f"在终端{ev['terminals_text']}于{minutes}分钟内被集中支取，共有{int(r.months)}个月如此，疑似统一代管银行卡。",
        )


@detector(
    "CARD-05",
    severity=Severity.HIGH,
    requires=("cases", "withdrawals"),
    params=("card_custody_ban",),
    explain_zh="账户{account}由{operator_desc}代办支取{n}次",
)
def agent_withdrawals(ctx: AuditContext) -> Iterator[Finding]:
    """A counter/agent withdrawal whose operator is an official, an official's kin, or not of the household.

    代办人为干部、干部近亲属或非本户成员的柜台/代办取款。
    Evidence: account (masked), operator (masked), operator_desc, n, total, months.
    Profile parameters: card_custody_ban.
    """
    if not ctx.profile.get("card_custody_ban"):  # the profile sets no custody ban: nothing to breach
        return
    wd = ctx.table("withdrawals").dropna(subset=["operator_id"])
    if wd.empty:
        return
    pay = _payout_accounts(ctx)
    wd = wd.merge(pay, on="account_no")
    p = ctx.person_household
    info = _case_info(ctx)
    links = _officials_and_kin(ctx)
    for (acct, op, case_id), g in wd.groupby(["account_no", "operator_id", "case_id"]):
        if case_id not in info.index:
            continue
        link = links.get(op)
        same_hh = p.get(op) == info.loc[case_id, "household_id"]
        if same_hh and not link:
            continue
        if link:
            desc = "干部本人" if link[1] == "本人" else f"干部{mask_id(link[0])}的{link[1]}"
        else:
            desc = "非本户人员"
        months = sorted({f"{t:%Y-%m}" for t in g.time})
        ev = {
            "account": mask_account(acct),
            "operator": mask_id(op),
            "operator_desc": desc,
            "n": len(g),
            "total": round(float(g.amount.sum()), 2),
            "months": months,
            "case_id": case_id,
        }
        yield Finding(
            rule="CARD-05",
            severity=Severity.HIGH,
            account_no=acct,
            case_id=case_id,
            official_id=link[0] if link else None,
            person_id=op,
            household_id=info.loc[case_id, "household_id"],
            village_code=info.loc[case_id, "village_code"],
            township=info.loc[case_id, "township"],
            key_extra=op,
            evidence=ev,
            explanation=f"{case_id}的账户{mask_account(acct)}由{desc}（{mask_id(op)}）代办支取{len(g)}次，"
            f"合计{ev['total']:.0f}元（{months[0]}至{months[-1]}）。",
        )


@detector(
    "CARD-06",
    severity=Severity.HIGH,
    requires=("cases", "deaths", "payments"),
    params=(),
    explain_zh="{case_id}唯一保障成员于{death_date}死亡，此后发放{n_payments}笔、支取{n_withdrawals}笔",
)
def after_death(ctx: AuditContext) -> Iterator[Finding]:
    """Withdrawals or payouts after the death of the only enrolled member (冒领).

    单人保障户的保障对象死亡后，账户仍有发放或支取，疑似冒领。
    Evidence: person (masked), death_date, payouts after death (count, months, total), withdrawals after death.
    Profile parameters: none.
    """
    m = ctx.enrolled_members[["case_id", "person_id"]]
    d = ctx.table("deaths").set_index("person_id").death_date
    # cases whose only enrolled member died: only those are looked at one by one
    solo = m[m.groupby("case_id").person_id.transform("size").to_numpy() == 1]
    solo = solo[isin(solo.person_id, d.index)].set_index("case_id").person_id.sort_index()
    has_wd = "withdrawals" in ctx.tables
    wd = ctx.table("withdrawals") if has_wd else pd.DataFrame(columns=["account_no", "time", "amount", "direction"])
    info = ctx.table("cases").set_index("case_id")
    by_account = ctx.positions("withdrawals", "account_no") if has_wd else None
    for case_id, pid in solo.items():
        if case_id not in info.index:
            continue
        death = pd.Timestamp(d[pid])
        mine = ctx.rows_of("payments", "case_id", case_id)
        after_p = mine[pd.to_datetime(mine.period) > death.to_period("M").to_timestamp()]
        accts = set(mine.account_no)
        pos = [by_account.get(a) for a in accts if has_wd and isinstance(a, str)]
        w = wd.iloc[np.sort(np.concatenate([p for p in pos if p is not None] + [np.empty(0, dtype=np.intp)]))]
        after_w = w[(pd.to_datetime(w.time) > death) & (w.direction.fillna("支出") == "支出")]
        if after_p.empty and after_w.empty:
            continue
        acct = sorted(accts)[0] if accts else info.loc[case_id, "account_no"]
        ev = {
            "person": mask_id(pid),
            "death_date": f"{death:%Y-%m-%d}",
            "n_payments": len(after_p),
            "paid_after_death": round(float(after_p.amount.sum()), 2),
            "n_withdrawals": len(after_w),
            "withdrawn_after_death": round(float(after_w.amount.sum()), 2),
            "overpaid_amount": round(float(after_p.amount.sum()), 2),
            "case_id": case_id,
        }
        r = info.loc[case_id]
        yield Finding(
            rule="CARD-06",
            severity=Severity.HIGH,
            case_id=case_id,
            account_no=acct,
            person_id=pid,
            household_id=r.household_id,
            village_code=r.village_code,
            township=r.township,
            evidence=ev,
            explanation=f"{case_id}唯一保障成员（{mask_id(pid)}）于{death:%Y-%m-%d}死亡，此后仍发放{len(after_p)}笔"
            f"{ev['paid_after_death']:.0f}元、被支取{len(after_w)}笔{ev['withdrawn_after_death']:.0f}元，疑似冒领。",
        )


@detector(
    "CARD-07",
    severity=Severity.MEDIUM,
    requires=("cases", "payments", "withdrawals"),
    params=(
        "card_sweep_hours",
        "card_sweep_min_months",
        "card_batch_min_accounts",
        "card_batch_window_minutes",
        "card_batch_min_repeats",
    ),
    explain_zh="账户{account}有{months}个月在到账{hours}小时内被全额支取，且在批量取款终端{terminals_text}取款",
)
def sweeps(ctx: AuditContext) -> Iterator[Finding]:
    """The whole payout withdrawn within h hours of every payout for many months, at CARD-04 terminals.

    每月低保金到账后即被全额取走，且取款终端与批量代取终端相同。
    Evidence: account (masked), months, hours, terminals.
    Profile parameters: card_sweep_hours, card_sweep_min_months (and the CARD-04 parameters).
    """
    groups = custody_groups(ctx)
    if groups.empty:
        return
    bad_terminals = {t for ts in groups.terminals for t in ts}
    in_group = set(groups.account_no)
    h, need = ctx.profile.int("card_sweep_hours"), ctx.profile.int("card_sweep_min_months")
    pay = ctx.table("payments").dropna(subset=["paid_date", "amount"])
    pay = pay[["account_no", "case_id", "period", "paid_date", "amount"]]
    wd = ctx.table("withdrawals").dropna(subset=["time", "amount"])
    wd = wd[(wd.direction.fillna("支出") == "支出") & isin(wd.account_no, pay.account_no.unique())]
    # each payout's withdrawals of at least the amount within h hours: a join with the window in its
    # condition (DuckDB), not every payout of an account against every withdrawal of it
    con = duckdb.connect()
    con.register("pay", pay)
    con.register("wd", wd[["account_no", "time", "amount", "terminal_id"]])
    j = con.execute(
        """SELECT p.account_no, p.case_id, p.period, w.terminal_id FROM pay p JOIN wd w
           ON w.account_no = p.account_no AND w.time >= p.paid_date AND w.amount >= p.amount
              AND w.time <= p.paid_date + to_hours(?::BIGINT)""",
        [h],
    ).df()
    con.close()
    info = _case_info(ctx)
    j = j[~j.account_no.isin(in_group) & j.case_id.isin(info.index)]
    keys = ["account_no", "case_id"]
    month_counts = j.groupby(keys).period.nunique()
    at_bad = j[j.terminal_id.isin(bad_terminals)].groupby(keys).terminal_id.agg(lambda s: sorted(set(s)))
    month_counts = month_counts[(month_counts >= need) & month_counts.index.isin(at_bad.index)]
    for (acct, case_id), months in month_counts.items():
        terminals = at_bad.loc[(acct, case_id)]
        ev = {
            "account": mask_account(acct),
            "months": int(months),
            "hours": h,
            "terminals": terminals,
            "terminals_text": "、".join(terminals),
            "case_id": case_id,
        }
        yield Finding(
            rule="CARD-07",
            severity=Severity.MEDIUM,
            account_no=acct,
            case_id=case_id,
            village_code=info.loc[case_id, "village_code"],
            township=info.loc[case_id, "township"],
            evidence=ev,
            explanation=f"{case_id}的账户{mask_account(acct)}有{int(months)}个月在低保金到账{h}小时内被全额支取，"
            f"取款终端{ev['terminals_text']}也是批量代取低保金的终端。",
        )


@detector(
    "CARD-08",
    severity=Severity.HIGH,
    requires=("cases", "payments", "withdrawals", "accounts"),
    params=("card_flowback_hours", "card_flowback_amount_tolerance"),
    explain_zh="账户{account}的低保金{n}次转入{receiver_desc}账户，合计{total}元",
)
def flow_back(ctx: AuditContext) -> Iterator[Finding]:
    """Money flows back: transfers (or matching cash deposits) from beneficiary accounts into accounts of
    officials, their close relatives or a village collective.

    低保金被转入或存入干部、干部近亲属、村集体账户（回扣、截留、挪用）。
    Evidence: account (masked), receiver (masked), receiver_desc, n, total, months, kind (转账 / 取现后存入).
    Profile parameters: card_flowback_hours, card_flowback_amount_tolerance.
    """
    acc = ctx.table("accounts")
    links = _officials_and_kin(ctx)
    recv = {}
    for r in rows(acc):
        if r.holder_type == "村集体":
            recv[r.account_no] = (None, "村集体")
        elif r.holder_id in links:
            o, how = links[r.holder_id]
            recv[r.account_no] = (o, "干部本人" if how == "本人" else f"干部{mask_id(o)}的{how}")
    if not recv:
        return
    pay = _payout_accounts(ctx)
    ben = set(pay.account_no) - set(recv)
    wd = ctx.table("withdrawals")
    out = wd[wd.account_no.isin(ben) & (wd.direction.fillna("支出") == "支出")]
    t = out[(out.channel == "转账") & out.counterparty_account.isin(set(recv))].assign(kind="转账")
    # cash out of a beneficiary account, then a similar cash deposit into a receiver account at the same place
    hours = ctx.profile.int("card_flowback_hours")
    tol = float(ctx.profile.fraction("card_flowback_amount_tolerance"))
    cash = out[out.channel.isin(["柜台", "ATM", "助农取款点"])]
    dep = wd[wd.account_no.isin(set(recv)) & (wd.direction == "存入") & (wd.channel == "现金存入")]
    c = cash.merge(dep, on="terminal_id", suffixes=("", "_dep"))
    c = c[
        (c.time_dep >= c.time)
        & (c.time_dep <= c.time + pd.Timedelta(hours=hours))
        & ((c.amount_dep - c.amount).abs() <= tol * c.amount)
    ]
    c = c.assign(counterparty_account=c.account_no_dep, kind="取现后存入")[list(t.columns)]
    flows = pd.concat([t, c], ignore_index=True).merge(pay.drop_duplicates("account_no"), on="account_no")
    info = _case_info(ctx)
    for (acct, to, case_id), g in flows.groupby(["account_no", "counterparty_account", "case_id"]):
        o, desc = recv[to]
        months = sorted({f"{x:%Y-%m}" for x in g.time})
        ev = {
            "account": mask_account(acct),
            "receiver": mask_account(to),
            "receiver_desc": desc,
            "n": len(g),
            "total": round(float(g.amount.sum()), 2),
            "months": months,
            "kinds": sorted(set(g.kind)),
            "case_id": case_id,
        }
        place = info.loc[case_id] if case_id in info.index else None
        yield Finding(
            rule="CARD-08",
            severity=Severity.HIGH,
            account_no=acct,
            case_id=case_id,
            official_id=o,
            village_code=None if place is None else place.village_code,
            township=None if place is None else place.township,
            key_extra=to,
            evidence=ev,
            explanation=f"{case_id}的低保账户{mask_account(acct)}在{months[0]}至{months[-1]}间{len(g)}次"
            f"（{'、'.join(ev['kinds'])}）流入{desc}的账户{mask_account(to)}，合计{ev['total']:.0f}元。",
        )


def _unpaid_months(cases: pd.DataFrame, pay: pd.DataFrame, span: tuple) -> dict[str, list]:
    """case_id -> the active months inside the payment records' span with no payout at all.

    Active = the months strictly between the approval month and the exit month (or to the end of the
    span while the case is on the roll): counties start paying in the approval month or the next and
    stop in the exit month or the one before, so the two boundary months are not judged. A stopped case
    without an exit date is left out (its end is unknown)."""
    lo, hi = span
    c = cases[cases.approval_date.notna()]
    c = c[c.status.isin(["在保", "渐退"]) | c.exit_date.notna()]
    first = (c.approval_date.dt.to_period("M") + 1).dt.to_timestamp().clip(lower=lo)
    last = (c.exit_date.dt.to_period("M") - 1).dt.to_timestamp().fillna(hi).clip(upper=hi)
    # months owed and months paid inside [first, last], counted for every case at once; only cases paid
    # for fewer months than owed are walked month by month
    span_ = pd.DataFrame({"a": first, "b": last}, index=c.index)
    span_ = span_[span_.a <= span_.b]
    owed = (span_.b.dt.year - span_.a.dt.year) * 12 + span_.b.dt.month - span_.a.dt.month + 1
    p = pay[["case_id", "period"]].drop_duplicates()
    p = p[isin(p.case_id, span_.index)].join(span_, on="case_id")
    got_n = p[(p.period >= p.a) & (p.period <= p.b)].groupby("case_id").size().reindex(span_.index, fill_value=0)
    short = span_[got_n < owed]
    paid = pay[isin(pay.case_id, short.index)].groupby("case_id").period.agg(set)
    out = {}
    for case_id, a, b in zip(short.index, short.a, short.b):
        months = pd.date_range(a, b, freq="MS")
        got = paid.get(case_id, set())
        gone = [m for m in months if m not in got]
        if gone:
            out[case_id] = gone
    return out


@detector(
    "RCK-07",
    severity=Severity.HIGH,
    requires=("cases", "payments"),
    params=("award_tolerance_yuan",),
    explain_zh="{case_id}{what}",
)
def payout_mismatch(ctx: AuditContext) -> Iterator[Finding]:
    """A payout differs from the approved monthly amount, payouts fall outside the active period, or
    active months were never paid at all.

    发放金额应与审批的月保障金额一致；审批前、停保（注销）后不得发放；在保月份（在发放记录覆盖的月份内）
    一次也未发放的，提示核实（“挂名”在册、只为办证等情形）。
    Evidence: months with the amount paid and approved, months outside the active period, unpaid_months,
    overpaid_amount, payments_span (first and last month the payment records cover).
    Profile parameters: award_tolerance_yuan.
    """
    tol = float(ctx.profile.require("award_tolerance_yuan"))
    c = ctx.table("cases").set_index("case_id")
    pay = ctx.table("payments")
    pay = pay[pay.case_id.isin(c.index)].assign(period=lambda d: pd.to_datetime(d.period))
    if pay.empty:
        return
    # months the payment records cover, never past the reference month (one mistyped 2042-01 is not coverage)
    span = (pay.period.min(), min(pay.period.max(), pd.Timestamp(ctx.as_of).to_period("M").to_timestamp()))
    pay = pay.join(c[["monthly_amount", "approval_date", "exit_date", "status"]], on="case_id")
    start = pay.approval_date.dt.to_period("M").dt.to_timestamp()
    end = pay.exit_date.dt.to_period("M").dt.to_timestamp()
    outside = (pay.period < start) | (pay.exit_date.notna() & (pay.period > end))
    wrong = (pay.amount - pay.monthly_amount).abs() > tol
    unpaid = _unpaid_months(c, pay, span)
    flagged = sorted(set(pay.case_id[outside | wrong]) | set(unpaid))
    by_case = dict(tuple(pay[outside | wrong].groupby("case_id")))
    for case_id in flagged:
        r = c.loc[case_id]
        g = by_case.get(case_id, pay.iloc[:0])
        o = g[outside[g.index]]
        w = g[wrong[g.index] & ~outside[g.index]]
        missing = unpaid.get(case_id, [])
        parts, over = [], 0.0
        if len(w):
            diff = w.amount - w.monthly_amount
            parts.append(f"{len(w)}个月发放金额与审批的{r.monthly_amount:.0f}元不符（相差{diff.sum():+.0f}元）")
            over += float(diff[diff > 0].sum())
        if len(o):
            parts.append(
                f"审批期外（{'停保后' if r.exit_date is not pd.NaT and pd.notna(r.exit_date) else '审批前'}）发放"
                f"{len(o)}个月{o.amount.sum():.0f}元"
            )
            over += float(o.amount.sum())
        if missing:
            parts.append(
                f"在保{len(missing)}个月（{missing[0]:%Y-%m}至{missing[-1]:%Y-%m}）没有任何发放记录"
                + ("，整个发放记录期间从未发放" if case_id not in set(pay.case_id) else "")
            )
        what = "，".join(parts)
        ev = {
            "case_id": case_id,
            "what": what,
            "overpaid_amount": round(over, 2),
            "wrong_months": [f"{p:%Y-%m}：发{a:.0f}元" for p, a in zip(w.period, w.amount)],
            "outside_months": [f"{p:%Y-%m}" for p in o.period],
            "unpaid_months": [f"{p:%Y-%m}" for p in missing],
            "payments_span": f"{span[0]:%Y-%m}至{span[1]:%Y-%m}",
        }
        tail = f"，应追缴约{over:.0f}元" if over else "，请核实是否虚报在册或资金去向"
        yield Finding(
            rule="RCK-07",
            severity=Severity.HIGH,
            case_id=case_id,
            household_id=r.household_id,
            account_no=r.account_no if isinstance(r.account_no, str) else None,
            village_code=r.village_code,
            township=r.township,
            evidence=ev,
            explanation=f"{case_id}{what}{tail}。",
        )
