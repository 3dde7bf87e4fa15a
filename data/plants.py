"""Planted anomalies, one function per RULES.md code: ``plant_<family>_<nn>(county, i)``.

Each plant changes the clean county so that its rule fires, and writes the rule and keys to
truth.csv. Where a pattern legitimately triggers a second rule too (a death that goes
unprocessed is both CARD-06 and RCK-02), the second rule is written to truth.csv as well.
"""

from __future__ import annotations

import datetime as dt
import math

from data.generate import AS_OF, PAY_START, Case, County, Household, Person, add_months, month_start

# ---------------------------------------------------------------- helpers


def _during(c: County, case: Case, months_after: int = 2) -> dt.date:
    start = max(case.approval_date, PAY_START) + dt.timedelta(days=30 * months_after)
    return min(start, AS_OF - dt.timedelta(days=30))


def _adult_member(case: Case) -> Person:
    adults = [p for p in case.enrolled if p.age() >= 18]
    return adults[-1] if adults else case.enrolled[0]


def _official(c: County, roles=("村民小组长",), need=lambda o: True) -> Person:
    """An unused village official of the given roles whose kin component has other households."""
    pool = [
        o
        for v in c.all_villages()
        for o in v.officials
        if o.role in roles
        and o.pid not in c.used_people
        and o.hh.origin == "son"
        and any(h is not o.hh and h.members for h in o.unit.households)
        and need(o)
    ]
    o = c.rng.choice(pool)
    c.used_people.add(o.pid)
    return o


def _siblings_household(o: Person) -> Household | None:
    """A household of the official's brother or sister (not lineal)."""
    sib = [h for h in o.unit.households if h is not o.hh and h.origin in ("son", "daughter")]
    return sib[0] if sib else None


def _kin_case(c: County, o: Person, hh: Household) -> Case:
    case = c.add_case(hh, approval=c.rand_date(dt.date(2018, 1, 1), dt.date(2023, 6, 1)), single=False)
    return case


def _file(c: County, o: Person, case: Case) -> None:
    for p in case.enrolled:
        c.filings.add(official_id=o.pid, relative_id=p.pid, filed_date=case.app_date, case_id=case.case_id)


def _recent_recheck(c: County, case: Case) -> None:
    staff = case.village.town.staff[0]
    case.rechecks.append((AS_OF - dt.timedelta(days=40), staff.pid))


def _plain_adult(c: County, village=None) -> Person:
    """An unused adult of a household with no case and no office (in ``village`` or a random one)."""
    villages = [village] if village else c.rng.sample(c.all_villages(), len(c.all_villages()))
    for v in villages:
        pool = [
            p
            for u in v.units
            if u.kind == "plain"
            for h in u.households
            for p in h.members
            if 25 <= p.age() <= 65 and p.pid not in c.used_people and not p.death and h.hid not in c.case_hids
        ]
        if pool:
            p = c.rng.choice(pool)
            c.used_people.add(p.pid)
            return p
    raise RuntimeError("no unused adult left for a plant")


def _computed(c: County, case: Case) -> float:
    """The policy award: top-up (the single-person route's own line where it applies) plus the add-on."""
    if case.single_route:
        mult = float(c.prof.get("single_person_route_multiple") or 1)
        return round(mult * case.standard - case.income) + case.addon
    n = len(case.enrolled)
    return round((case.standard - case.income) * n) + case.addon


def _set_members(c: County, case: Case, enrolled_flags) -> None:
    case.members = [(p, e) for (p, _), e in zip(case.members, enrolled_flags)]
    case.amount = float(_computed(c, case))


def _withdraw(
    c: County,
    acct: str,
    t: dt.datetime,
    amount: float,
    channel: str,
    terminal: str,
    operator: str | None = None,
    counterparty: str | None = None,
    direction: str = "支出",
) -> None:
    c.extra_withdrawals.add(
        account_no=acct,
        time=t.strftime("%Y-%m-%d %H:%M:%S"),
        amount=amount,
        direction=direction,
        channel=channel,
        terminal_id=terminal,
        operator_id=operator,
        counterparty_account=counterparty,
    )


# ---------------------------------------------------------------- KIN
def plant_kin_01(c: County, i: int) -> None:
    o = _official(c)
    hh = _siblings_household(o) if i % 2 else next(h for h in o.unit.households if h.origin == "elder")
    hh = hh or next(h for h in o.unit.households if h is not o.hh)
    case = _kin_case(c, o, hh)
    c.plant("KIN-01", "村民小组长的父母或兄弟姐妹家享受低保，未备案", case_id=case.case_id, official_id=o.pid)


def plant_kin_02(c: County, i: int) -> None:
    o = _official(c)
    hh = _siblings_household(o) or next(h for h in o.unit.households if h is not o.hh)
    case = _kin_case(c, o, hh)
    case.benefit_type, case.labour_unstable = "常补", False
    c.schedule(case)
    months = int(c.prof.get("kin_strict_recheck_months") or 6)
    cutoff = add_months(AS_OF, -months - 1)
    case.rechecks = [r for r in case.rechecks if r[0] < cutoff]
    if not case.rechecks or case.rechecks[-1][0] < add_months(AS_OF, -11):
        case.rechecks.append((add_months(AS_OF, -months - 2), case.village.town.staff[0].pid))
    _file(c, o, case)
    c.plant("KIN-02", "已备案的近亲属案件，从严复核间隔内无复核", case_id=case.case_id, official_id=o.pid)


def plant_kin_03(c: County, i: int) -> None:
    o = _official(c, roles=("村委委员", "村委会主任"), need=lambda o: _siblings_household(o) is not None)
    hh = _siblings_household(o)
    case = _kin_case(c, o, hh)  # the official sits on the appraisal panel that votes on it
    d, _ = case.steps["入户调查"]
    case.steps["入户调查"] = (d, o.pid)
    _file(c, o, case)
    _recent_recheck(c, case)
    c.plant("KIN-03", "村委委员参与兄弟姐妹家的入户调查和民主评议，未回避", case_id=case.case_id, official_id=o.pid)


def plant_kin_04(c: County, i: int) -> None:
    o = _official(c)
    case = _kin_case(c, o, o.hh)
    c.plant("KIN-04", "村民小组长本人户享受低保", case_id=case.case_id, official_id=o.pid)
    c.plant("KIN-01", "（同一案件）配偶、子女为干部近亲属且未备案", case_id=case.case_id, official_id=o.pid)


def plant_kin_05(c: County, i: int) -> None:
    villages = [v for v in c.all_villages() if v.code not in c.used_villages]
    v = max(villages, key=lambda v: sum(len(o.unit.households) for o in v.officials if o.role == "村民小组长"))
    c.used_villages.add(v.code)
    for o in [o for o in v.officials if o.role == "村民小组长" and o.pid not in c.used_people]:
        c.used_people.add(o.pid)
        for hh in [h for h in o.unit.households if h is not o.hh and h.members]:
            case = _kin_case(c, o, hh)
            _file(c, o, case)
            _recent_recheck(c, case)
    c.plant("KIN-05", "村干部近亲属（均已备案）在本村低保中明显集中", village_code=v.code)


# ---------------------------------------------------------------- CARD
def plant_card_01(c: County, i: int) -> None:
    a = c.fresh_case()
    b = c.fresh_case(lambda x: x.hh.unit is not a.hh.unit)
    b.account = a.account
    c.plant("CARD-01", "两个无亲属关系的低保户使用同一发放账户", account_no=a.account)
    c.plant("CARD-02", "（同一账户）户名不是乙户成员", case_id=b.case_id, account_no=a.account)


def plant_card_02(c: County, i: int) -> None:
    case = c.fresh_case()
    if i % 2:
        holder = _official(c, roles=("村民小组长", "社会救助协理员"))
        case.account = c.new_account(holder)
        c.plant("CARD-02", "发放账户户名为村干部（高）", case_id=case.case_id, account_no=case.account)
        c.plant("CARD-03", "（同一账户）预留手机号为村干部本人", account_no=case.account)
    else:
        holder = _plain_adult(c, case.village)
        case.account = c.new_account(holder)
        c.plant("CARD-02", "发放账户户名不是本户保障成员", case_id=case.case_id, account_no=case.account)


def plant_card_03(c: County, i: int) -> None:
    case = c.fresh_case()
    o = _official(c, roles=("村民小组长", "社会救助协理员", "村委委员"))
    c.accounts.data["reserved_phone"][c.acct_index[case.account]] = o.phone
    c.plant("CARD-03", "发放账户预留手机号属于村干部", account_no=case.account)


def plant_card_04(c: County, i: int) -> None:
    by_village: dict[str, list[Case]] = {}
    for x in c.cases:
        if (
            x.case_id not in c.used_cases
            and x.status == "在保"
            and x.approval_date < dt.date(2023, 12, 1)
            and x.village.code not in c.used_villages
        ):
            by_village.setdefault(x.village.code, []).append(x)
    code = max(by_village, key=lambda k: len(by_village[k]))
    c.used_villages.add(code)
    cases = by_village[code][:5]
    terminal = f"ATM{code[-6:]}X"
    c.card04_terminals = getattr(c, "card04_terminals", []) + [(terminal, code)]
    for case in cases:
        c.used_cases.add(case.case_id)
        case.custom_withdrawals = True
        c.plant("CARD-04", f"同一终端{terminal}每月10分钟内集中支取5户低保金", account_no=case.account)
    for m in range(3, 13):
        base = dt.datetime(2024, m, 12, 14, 0)
        for j, case in enumerate(cases):
            _withdraw(c, case.account, base + dt.timedelta(minutes=2 * j), case.amount, "ATM", terminal)


def plant_card_05(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.approval_date < dt.date(2023, 12, 1))
    o = _official(c, roles=("村民小组长", "社会救助协理员", "村委委员"))
    case.custom_withdrawals = True
    for m in range(1, 13):
        _withdraw(
            c,
            case.account,
            dt.datetime(2024, m, 13 + i % 12, 9 + i % 8, 20),
            case.amount,
            "柜台",
            f"WD{case.village.town.code}",
            operator=o.pid,
        )
    c.plant("CARD-05", "村干部作为代办人在柜台逐月支取低保金", account_no=case.account, official_id=o.pid)


def plant_card_06(c: County, i: int) -> None:
    donor = next(
        h
        for h in (hh for v in c.all_villages() for u in v.units if u.kind == "plain" for hh in u.households)
        if any(p.age() >= 75 and p.rel in ("母亲", "父亲") for p in h.members)
        and h.hid not in c.case_hids
        and h.hid not in c.used_people
    )
    c.used_people.add(donor.hid)
    old = next(p for p in donor.members if p.age() >= 75 and p.rel in ("母亲", "父亲"))
    donor.members.remove(old)
    hh = c.new_household(donor.unit, "split")
    hh.members.append(old)
    old.hh, old.rel = hh, "户主"
    c.relate(old, donor.head, "子" if donor.head.sex == "男" else "女")
    case = c.add_case(hh, approval=dt.date(2019, 5, 1), single=False)
    death = dt.date(2024, 3, 15)
    c.x["deaths"].add(person_id=old.pid, death_date=death, source="殡葬")
    old.death = True
    c.plant("CARD-06", "唯一保障成员死亡后仍发放并被支取", case_id=case.case_id, account_no=case.account)
    c.plant("RCK-02", "（同一案件）死亡后超过停发期限仍发放", case_id=case.case_id)
    c.plant("ELIG-06", "（同一案件）死亡成员仍计入保障", case_id=case.case_id, person_id=old.pid)


def plant_card_07(c: County, i: int) -> None:
    terminals = getattr(c, "card04_terminals", [])
    terminal, code = terminals[i % len(terminals)]
    case = c.fresh_case(lambda x: x.approval_date < dt.date(2023, 6, 1))
    case.custom_withdrawals = True
    for m in range(1, 13):
        _withdraw(c, case.account, dt.datetime(2024, m, 10, 9 + i % 6, 5), case.amount, "ATM", terminal)
    c.plant("CARD-07", f"每月到账当日在批量取款终端{terminal}全额支取", account_no=case.account)


def plant_card_08(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.approval_date < dt.date(2023, 6, 1))
    o = _official(c, roles=("村民小组长", "社会救助协理员", "村委委员"))
    acct = c.new_account(o)
    share = round(case.amount * 0.3)
    for m in range(3, 13):
        _withdraw(c, case.account, dt.datetime(2024, m, 10, 16, 40), share, "转账", None, counterparty=acct)
        _withdraw(
            c, acct, dt.datetime(2024, m, 10, 16, 40), share, "转账", None, counterparty=case.account, direction="存入"
        )
    c.plant("CARD-08", "低保金到账当日按月转入村干部个人账户", account_no=case.account, official_id=o.pid)


# ---------------------------------------------------------------- RCK
def plant_rck_01(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.approval_date < dt.date(2021, 1, 1))
    gap = c.interval(case) + 4 + 3 * i
    case.rechecks = [r for r in case.rechecks if r[0] < add_months(AS_OF, -gap)]
    c.plant("RCK-01", f"最近一次复核距基准日超过{gap}个月", case_id=case.case_id)


def plant_rck_02(c: County, i: int) -> None:
    death = dt.date(2024, 3, 10)
    case = c.fresh_case(
        lambda x: (
            len(x.enrolled) >= 2
            and x.approval_date < dt.date(2023, 6, 1)
            and x.enrolled[-1].birth < death - dt.timedelta(days=365)
        )
    )
    p = case.enrolled[-1]
    c.x["deaths"].add(person_id=p.pid, death_date=death, source="公安户籍注销")
    p.death = True
    case.rechecks = [r for r in case.rechecks if not death <= r[0] <= add_months(death, 3)]
    c.plant("RCK-02", "保障成员死亡后未复核，停发期限后仍全额发放", case_id=case.case_id)
    last = max([case.approval_date] + [r[0] for r in case.rechecks])
    if add_months(last, c.interval(case)) < AS_OF:
        c.plant("RCK-01", "（同一案件）删去死亡后的复核后已逾期", case_id=case.case_id)
    c.plant("ELIG-06", "（同一案件）死亡成员仍计入保障", case_id=case.case_id, person_id=p.pid)


def plant_rck_03(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.approval_date < dt.date(2022, 1, 1))
    case.status, case.ge_reason = "渐退", "务工就业"
    case.ge_start = add_months(AS_OF, -14 - i).replace(day=1)
    c.plant("RCK-03", "渐退期已超过上限仍在发放", case_id=case.case_id)


def plant_rck_04(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.approval_date < dt.date(2024, 3, 1))
    c.solo_batch(case)
    d0 = case.app_date
    approval = d0 + dt.timedelta(days=75)
    case.approval_date = approval
    case.steps["县级审批/审核确认"] = (approval, case.steps["县级审批/审核确认"][1])
    case.batch.notices[2][1:3] = [approval + dt.timedelta(days=1), approval + dt.timedelta(days=8)]
    c.plant("RCK-04", "受理至审批约75个自然日，超过工作日时限", case_id=case.case_id)


def plant_rck_05(c: County, i: int) -> None:
    case = c.fresh_case()
    c.solo_batch(case)
    if i % 2:
        case.batch.notices = case.batch.notices[:2]
        c.plant("RCK-05", "缺少三榜公示", case_id=case.case_id)
    else:
        n = case.batch.notices[0]
        n[2] = n[1] + dt.timedelta(days=2)
        c.plant("RCK-05", "一榜公示只有3天", case_id=case.case_id)


def plant_rck_06(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.approval_date < dt.date(2024, 6, 1))
    c.solo_batch(case)
    late = case.approval_date + dt.timedelta(days=12)
    case.steps["民主评议"] = (late, None)
    case.batch.date = late
    c.plant("RCK-06", "民主评议日期晚于审批日期（补做记录）", case_id=case.case_id)


def plant_rck_07(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.approval_date < dt.date(2023, 6, 1))
    if i % 2:
        case.extra_pay_months = [dt.date(2023, 12, 1)] if False else []
        case.status, case.exit_date, case.exit_reason = "停保", dt.date(2024, 6, 30), "收入超标"
        case.extra_pay_months = [dt.date(2024, m, 1) for m in (8, 9, 10)]
        c.plant("RCK-07", "停保后仍发放3个月", case_id=case.case_id)
    else:
        for m in (4, 5, 6):
            case.pay_override[dt.date(2024, m, 1)] = case.amount + 200
        c.plant("RCK-07", "3个月发放金额比核定金额多200元", case_id=case.case_id)


# ---------------------------------------------------------------- AWD
def plant_awd_01(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.amount > 250)
    case.amount -= 120
    c.plant("AWD-01", "核定金额比补差计算结果少120元", case_id=case.case_id)


def plant_awd_02(c: County, i: int) -> None:
    need = int(c.prof.get("flat_rate_min_cases") or 8)
    by_village = c.cases_by_village()
    villages = [v for v in c.all_villages() if v.code not in c.used_villages]
    clean = [v for v in villages if not any(x.case_id in c.used_cases for x in by_village.get(v.code, ()))]
    v = max(
        clean or villages, key=lambda v: sum(1 for x in by_village.get(v.code, ()) if x.case_id not in c.used_cases)
    )
    c.used_villages.add(v.code)
    free = [
        h
        for u in v.units
        if u.kind == "plain"
        for h in u.households
        if h.members and h.hid not in c.used_people and h.hid not in c.case_hids
    ]
    cases = [x for x in by_village.get(v.code, ()) if x.status == "在保" and x.case_id not in c.used_cases]
    others = sum(1 for x in by_village.get(v.code, ()) if x.status == "在保") - len(cases)
    while (len(cases) < need + 2 or len(cases) < 6 * others) and free:
        cases.append(
            c.add_case(free.pop(), approval=c.rand_date(dt.date(2017, 1, 1), dt.date(2022, 12, 31)), single=False)
        )
    amounts = sorted(_computed(c, x) for x in cases)
    flat = float(round(amounts[len(amounts) // 2], -2) or 300)
    for x in cases:
        c.used_cases.add(x.case_id)
        x.amount = flat
        comp = _computed(c, x)
        if abs(comp - flat) > float(c.prof.get("award_tolerance_yuan") or 1):
            c.plant("AWD-01", "（平均分配村）核定金额偏离补差", case_id=x.case_id)
        # AWD-07 may flag a case paid well above the formula (its reference is at least the formula, and
        # the model's expectation, which no plant can know): such a finding is explained, not required
        share = float(c.prof.get("award_model_min_excess_share") or 0.5)
        yuan = float(c.prof.get("award_model_min_excess_yuan") or 100)
        if flat - comp > max(yuan, share * comp):
            c.plant("AWD-07", "（平均分配村）金额远高于同类家庭（可能命中）", case_id=x.case_id, optional="是")
    c.plant("AWD-02", f"全村低保金一律按{flat:.0f}元发放", village_code=v.code)


def plant_awd_03(c: County, i: int) -> None:
    case = c.fresh_case()
    case.income = round(case.standard * 1.25)
    c.plant("AWD-03", "人均收入高于低保标准且无渐退", case_id=case.case_id)
    c.plant("RCK-03", "（同一案件）收入超标仍足额发放、无渐退记录", case_id=case.case_id)
    c.plant("AWD-01", "（同一案件）收入超标，补差应为0", case_id=case.case_id)
    c.plant("AWD-07", "（同一案件）同等收入的家庭得不到补差", case_id=case.case_id)


def plant_awd_04(c: County, i: int) -> None:
    if i % 2 == 0:
        case = c.fresh_case(lambda x: len(x.members) >= 3 and not x.addon)
        flags = [True] * len(case.members)
        flags[-1] = False
        _set_members(c, case, flags)
        c.plant("AWD-04", "户内部分成员未纳入保障且非单人保", case_id=case.case_id)
        return
    donor = next(
        h
        for h in (hh for v in c.all_villages() for u in v.units if u.kind == "plain" for hh in u.households)
        if any(p.rel in ("母亲", "父亲") for p in h.members) and h.hid not in c.case_hids and h.hid not in c.used_people
    )
    c.used_people.add(donor.hid)
    old = next(p for p in donor.members if p.rel in ("母亲", "父亲"))
    donor.members.remove(old)
    hh = c.new_household(donor.unit, "split")
    hh.members.append(old)
    old.hh, old.rel = hh, "户主"
    c.relate(old, donor.head, "子" if donor.head.sex == "男" else "女")
    case = c.add_case(hh, approval=dt.date(2022, 9, 1), single=False)
    hh.split_date = case.app_date - dt.timedelta(days=75)
    c.plant("AWD-04", "申请前2个多月分户为单人户后申请（拆户保）", case_id=case.case_id)


def _similar_household(c: County, v, size: int) -> Household | None:
    for u in v.units:
        if u.kind != "plain":
            continue
        for h in u.households:
            if (
                len(h.members) == size
                and h.hid not in c.used_people
                and h.hid not in c.case_hids
                and not any(p.disability in ("一级", "二级") or p.illness for p in h.members)
            ):
                c.used_people.add(h.hid)
                return h
    return None


def plant_awd_05(c: County, i: int) -> None:
    villages = [v for v in c.all_villages() if v.code not in c.used_villages]
    c.rng.shuffle(villages)
    by_village = c.cases_by_village()
    for v in villages:
        olds = [
            x
            for x in by_village.get(v.code, ())
            if x.case_id not in c.used_cases
            and x.status == "在保"
            and not x.addon
            and not x.single_route
            and x.approval_date < dt.date(2022, 1, 1)
        ][:2]
        if len(olds) < 2:
            continue
        c.used_villages.add(v.code)
        rounds = [(dt.date(2024, 3, 31), dt.date(2024, 4, 22)), (dt.date(2024, 7, 31), dt.date(2024, 8, 22))]
        current = olds
        for exit_date, approval in rounds:
            new = []
            for x in current:
                c.used_cases.add(x.case_id)
                hh = _similar_household(c, v, len(x.enrolled))
                if hh is None:
                    continue
                x.status, x.exit_date, x.exit_reason = "停保", exit_date, "收入超标"
                y = c.add_case(hh, approval=approval, single=False)
                y.income, y.addon, y.addon_reasons = x.income, 0.0, ""
                y.amount = float(_computed(c, y))
                new.append(y)
            current = new
        c.plant("AWD-05", "同村连续两期停保与新增户数、金额一一对应（轮流坐庄）", village_code=v.code)
        return


def plant_awd_06(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: not x.addon)
    case.addon = round(case.standard * 0.45)
    case.addon_reasons = "重度残疾;重病"
    case.amount = float(_computed(c, case))
    c.plant("AWD-06", "分类施保按45%增发且两类叠加", case_id=case.case_id)
    c.plant("AWD-01", "（同一案件）超过允许的增发", case_id=case.case_id)


def plant_awd_07(c: County, i: int) -> None:
    case = c.fresh_case(lambda x: x.amount > 150)
    case.amount = float(round(_computed(c, case) * 2.2))
    c.plant("AWD-07", "金额为同类家庭预期的2.2倍", case_id=case.case_id)
    c.plant("AWD-01", "（同一案件）核定金额偏离补差", case_id=case.case_id)


def plant_awd_08(c: County, i: int) -> None:
    case = c.fresh_case()
    stranger = _plain_adult(c)
    case.members.append((stranger, True))
    case.amount = float(_computed(c, case))
    c.plant("AWD-08", "保障成员来自无亲属关系的另一户（拼户保）", case_id=case.case_id)


# ---------------------------------------------------------------- VOTE
def _solo(c: County, pred=lambda x: True) -> Case:
    case = c.fresh_case(pred)
    c.solo_batch(case)
    return case


def _reps_covering_groups(attendees):
    """Representatives ordered so that the first ones cover every village group."""
    reps = [a for a in attendees if a[1] == "村民代表"]
    seen, first, rest = set(), [], []
    for a in reps:
        (rest if a[2] in seen else first).append(a)
        seen.add(a[2])
    return first + rest


def _retally(b) -> None:
    n = len(b.attendees)
    for cid in b.votes:
        b.votes[cid] = (n, 0, 0, "通过")


def plant_vote_01(c: County, i: int) -> None:
    case = _solo(c)
    b = case.batch
    keep = math.ceil(b.members_total * 2 / 3) - 3
    cadres = [a for a in b.attendees if a[1] != "村民代表"]
    reps = _reps_covering_groups(b.attendees)
    b.attendees = (reps + cadres[: max(keep - len(reps), 1)])[:keep]
    _retally(b)
    c.plant("VOTE-01", "参会人数不足评议小组的三分之二", meeting_id=b.meeting_id)


def plant_vote_02(c: County, i: int) -> None:
    case = _solo(c)
    b = case.batch
    n = len(b.attendees)
    yes = math.ceil(n * 2 / 3) - 2
    b.votes[case.case_id] = (yes, n - yes, 0, "通过")
    c.plant("VOTE-02", "同意票不足参会人数三分之二仍判为通过", meeting_id=b.meeting_id, case_id=case.case_id)


def plant_vote_03(c: County, i: int) -> None:
    case = _solo(c)
    b = case.batch
    b.members_total = 16
    cadres = [a for a in b.attendees if a[1] != "村民代表"][:4]
    reps = _reps_covering_groups(b.attendees)[: 12 - len(cadres)]
    b.attendees = cadres + reps
    _retally(b)
    c.plant("VOTE-03", "评议小组只有16人（少于20人）", meeting_id=b.meeting_id)


def plant_vote_04(c: County, i: int) -> None:
    case = _solo(c)
    b = case.batch
    n = len(b.attendees)
    b.votes[case.case_id] = (n + 2, 1, 0, "通过")
    c.plant("VOTE-04", "票数合计比参会人数多3票", meeting_id=b.meeting_id, case_id=case.case_id)


def plant_vote_05(c: County, i: int) -> None:
    case = _solo(
        c,
        lambda x: (
            x.hh.origin == "elder" and any(h.origin == "son" and h.head.age() >= 25 for h in x.hh.unit.households)
        ),
    )
    son = next(h.head for h in case.hh.unit.households if h.origin == "son" and h.head.age() >= 25)
    b = case.batch
    idx = next(j for j, a in enumerate(b.attendees) if a[1] == "村民代表")
    b.attendees[idx] = (son, "村民代表", b.attendees[idx][2])
    c.plant(
        "VOTE-05",
        "申请人的儿子作为村民代表参加评议未回避",
        meeting_id=b.meeting_id,
        case_id=case.case_id,
        person_id=son.pid,
    )


def plant_vote_06(c: County, i: int) -> None:
    if i % 2 == 0:
        case = _solo(c)
        b = case.batch
        safe = [
            x
            for x in c.batches
            if x.village is b.village and x is not b and x.cases and all(cs.case_id in c.used_cases for cs in x.cases)
        ]  # no later plant moves these cases
        other = safe[0] if safe else _solo(c, lambda x: x.village is b.village).batch
        b.attendees = list(other.attendees)
        _retally(b)
        c.plant("VOTE-06", "与同村另一次会议的参会名单完全相同", meeting_id=b.meeting_id)
        c.plant("VOTE-06", "（被复制的会议）", meeting_id=other.meeting_id)
    else:
        case = _solo(c)
        b = case.batch
        ghost = _plain_adult(c, b.village)
        c.x["deaths"].add(person_id=ghost.pid, death_date=b.date - dt.timedelta(days=60), source="殡葬")
        ghost.death = True
        idx = next(j for j, a in enumerate(b.attendees) if a[1] == "村民代表")
        b.attendees[idx] = (ghost, "村民代表", b.attendees[idx][2])
        c.plant("VOTE-06", "已死亡人员被记为参会", meeting_id=b.meeting_id, person_id=ghost.pid)


def plant_vote_07(c: County, i: int) -> None:
    case = _solo(c)
    case.no_vote = True
    c.plant("VOTE-07", "已审批案件没有民主评议表决记录", case_id=case.case_id)


# ---------------------------------------------------------------- ELIG
def _elig(c: County, rule: str, table: str, detail: str, **row) -> None:
    case = c.fresh_case(lambda x: any(p.age() >= 18 for p in x.enrolled))
    p = _adult_member(case)
    when = _during(c, case)
    row = {k: (when if v == "WHEN" else v) for k, v in row.items()}
    c.x[table].add(person_id=p.pid, **row)
    c.plant(rule, detail, case_id=case.case_id, person_id=p.pid)


def plant_elig_01(c, i):
    _elig(
        c,
        "ELIG-01",
        "vehicles",
        "保障期间登记小型汽车",
        plate=f"贵J8{i:04d}",
        vehicle_type="小型汽车",
        registered_date="WHEN",
    )


def plant_elig_02(c, i):
    _elig(
        c,
        "ELIG-02",
        "businesses",
        "保障期间担任企业法定代表人",
        role="法定代表人",
        entity_name=f"三都县某某建材有限公司{i}",
        registered_capital=500000,
        employees=8,
        start_date="WHEN",
    )


def plant_elig_03(c: County, i: int) -> None:
    case = c.fresh_case()
    mult = int(c.prof.get("asset_ceiling_months") or 24)
    amount = round(len(case.enrolled) * mult * case.standard * 1.6)
    c.x["assets"].add(person_id=case.enrolled[-1].pid, as_of_date=dt.date(2024, 6, 30), amount=amount)
    c.plant("ELIG-03", f"家庭金融资产{amount}元，人均超过{mult}倍月低保标准", case_id=case.case_id)


def plant_elig_04(c, i):
    _elig(c, "ELIG-04", "properties", "保障期间购买商业用房", property_type="商业", area=120, purchase_date="WHEN")


def plant_elig_05(c, i):
    _elig(
        c,
        "ELIG-05",
        "salaried",
        "保障期间在事业单位领取工资",
        employer="三都县某事业单位",
        employer_type="事业单位",
        start_date="WHEN",
        monthly_salary=4300,
    )


def plant_elig_06(c: County, i: int) -> None:
    case = c.fresh_case(
        lambda x: (
            len(x.enrolled) >= 2
            and x.approval_date > dt.date(2019, 1, 1)
            and x.enrolled[-1].birth < x.approval_date - dt.timedelta(days=400)
        )
    )
    p = case.enrolled[-1]
    c.x["deaths"].add(person_id=p.pid, death_date=case.approval_date - dt.timedelta(days=40), source="殡葬")
    p.death = True
    c.plant("ELIG-06", "审批前已死亡的成员仍计入保障", case_id=case.case_id, person_id=p.pid)
    c.plant("RCK-02", "（同一案件）死亡后仍发放", case_id=case.case_id)


def plant_elig_07(c, i):
    _elig(c, "ELIG-07", "detentions", "保障期间服刑在押", start_date="WHEN", end_date=None)


def plant_elig_08(c, i):
    _elig(
        c,
        "ELIG-08",
        "insurance",
        "保障期间购买商业养老保险",
        product="某人寿养老年金",
        start_date="WHEN",
        annual_premium=12000,
    )


def plant_elig_09(c: County, i: int) -> None:
    case = c.fresh_case()
    p = case.enrolled[0]
    if i % 2:
        c.x["other_rolls"].add(person_id=p.pid, program="低保", county="荔波县", start_date=dt.date(2020, 1, 1))
        c.plant("ELIG-09", "同时在外县低保名册", case_id=case.case_id, person_id=p.pid)
    else:
        c.x["other_rolls"].add(person_id=p.pid, program="特困", county="三都水族自治县", start_date=dt.date(2021, 5, 1))
        c.plant("ELIG-09", "同时享受低保和特困供养", case_id=case.case_id, person_id=p.pid)


def plant_elig_10(c, i):
    _elig(c, "ELIG-10", "travel", "保障期间乘坐飞机", date="WHEN", mode="飞机")


# ---------------------------------------------------------------- COVER
def _severe(h: Household) -> bool:
    return any(p.disability in ("一级", "二级") or p.illness == "是" for p in h.members)


def _free_household(c: County, pred=lambda h: True, severe_ok: bool = False) -> Household:
    """An untouched plain household; without a severely disabled or ill member unless ``severe_ok``
    (such a member makes a poor household a COVER-03 case too)."""
    hh = c.first_plain_household(lambda h: pred(h) and (severe_ok or not _severe(h)))
    c.used_people.add(hh.hid)
    c.used_people.update(p.pid for p in hh.members)
    return hh


def plant_cover_01(c: County, i: int) -> None:
    hh = _free_household(c)
    std = c.standard_for(hh.village)
    d = c.rand_date(dt.date(2024, 2, 1), dt.date(2024, 10, 1))
    if i % 2:
        c.x["monitoring"].add(
            household_id=hh.hid,
            person_id=hh.head.pid,
            monitor_type="突发严重困难户",
            identified_date=d,
            risk="因意外事故",
            per_capita_income=round(12 * std * 1.3),
            risk_status="未消除",
        )
        c.plant("COVER-01", "突发严重困难户未申请、未纳入", household_id=hh.hid)
    else:
        c.x["monitoring"].add(
            household_id=hh.hid,
            person_id=hh.head.pid,
            monitor_type=("脱贫不稳定户", "边缘易致贫户")[i % 4 // 2],
            identified_date=d,
            risk="因病",
            per_capita_income=round(12 * std * 0.7),
            risk_status="未消除",
        )
        c.plant("COVER-01", "监测户人均纯收入低于低保年标准，未纳入", household_id=hh.hid)
    # near miss: a poor monitored household whose application was decided two months ago
    near = _free_household(c)
    std = c.standard_for(near.village)
    c.x["monitoring"].add(
        household_id=near.hid,
        person_id=near.head.pid,
        monitor_type="脱贫不稳定户",
        identified_date=dt.date(2024, 3, 1),
        risk="因病",
        per_capita_income=round(12 * std * 0.8),
        risk_status="未消除",
    )
    c.refused(near, add_months(AS_OF, -3), "经家庭经济状况核对，家庭人均月收入超过低保标准")
    c.check(near, add_months(AS_OF, -3) + dt.timedelta(days=6), std * 1.8, source="入户调查")
    c.check(near, add_months(AS_OF, -3) + dt.timedelta(days=10), std * 1.8)


def plant_cover_02(c: County, i: int) -> None:
    hh = _free_household(c)
    std = c.standard_for(hh.village)
    d = c.rand_date(dt.date(2023, 6, 1), dt.date(2024, 9, 1))
    kind = i % 4
    if kind == 0:  # refused on income, checked on the platform, nobody went to the house
        aid = c.refused(hh, d, "家庭人均收入高于当地低保标准", steps=("信息核对",))
        c.check(hh, d + dt.timedelta(days=10), std * 1.1)
        what = "以收入超标不予批准，有核对无入户调查"
    elif kind == 1:  # refused for having children: a relative, not income
        aid = c.refused(hh, d, ("申请人有子女，应由子女赡养", "子女有赡养能力，不予纳入")[i % 2])
        c.check(hh, d + dt.timedelta(days=6), std * 0.6, source="入户调查")
        c.check(hh, d + dt.timedelta(days=10), std * 0.6)
        what = "以有子女为由不予批准，核对收入低于标准"
    elif kind == 2:  # an occupation
        aid = c.refused(hh, d, "户主为村小学代课教师，不予纳入")
        c.check(hh, d + dt.timedelta(days=10), std * 0.7)
        what = "以职业为由不予批准"
    else:  # no quota, no survey, no check
        aid = c.refused(hh, d, ("本村低保名额已满", "经村两委研究，不符合条件")[i % 2], steps=())
        what = "未经调查核实、以名额为由不予批准"
    c.plant("COVER-02", what, household_id=hh.hid)
    _ = aid


def plant_cover_03(c: County, i: int) -> None:
    hh = _free_household(c, lambda h: len(h.members) >= 2, severe_ok=True)
    std = c.standard_for(hh.village)
    p = hh.members[1]
    if i % 2:
        p.disability = ("一级", "二级")[i % 4 // 2]
    else:
        p.illness = "是"
    c.check(
        hh, c.rand_date(dt.date(2024, 1, 1), dt.date(2024, 10, 1)), std * (1.2 if i % 3 else 0.8), source="入户调查"
    )
    c.plant("COVER-03", "重度残疾或重病成员所在家庭收入低于1.5倍标准，无人纳入", household_id=hh.hid)
    # near miss: the same, but the household is assessed above the 1.5x line
    near = _free_household(c, lambda h: len(h.members) >= 2, severe_ok=True)
    near.members[1].disability = "一级"
    c.check(near, dt.date(2024, 5, 1), c.standard_for(near.village) * 1.7, source="入户调查")


def plant_cover_04(c: County, i: int) -> None:
    case = c.fresh_case()
    exit_date = month_start(add_months(AS_OF, -4)) - dt.timedelta(days=1)
    case.status, case.exit_date = "停保", exit_date
    kind = i % 3
    if kind == 0:
        case.exit_reason = ("自愿申请退出", "本人申请退出")[i % 2]
    elif kind == 1:
        case.exit_reason = ("低保指标调整", "经村两委研究，取消低保资格")[i % 2]
    else:
        case.exit_reason = "家庭经营性收入增加"
        c.check(case.hh, exit_date - dt.timedelta(days=15), case.standard * 0.8, source="复核")
    c.plant("COVER-04", f"停保理由“{case.exit_reason}”，家庭仍困难", household_id=case.hh.hid)
    # near miss: stopped for income, the exit check above the standard
    near = c.fresh_case()
    near.status, near.exit_date, near.exit_reason = "停保", exit_date, "家庭人均收入超过低保标准"
    c.check(near.hh, exit_date - dt.timedelta(days=15), near.standard * 1.4, source="复核")


def _elderly_alone(c: County, age: int, couple: bool) -> tuple[Household, Person]:
    v = c.rng.choice(c.all_villages())
    unit = next(u for u in v.units if u.kind == "plain")
    hh = c.new_household(unit, "elder")
    birth = AS_OF.replace(year=AS_OF.year - age) - dt.timedelta(days=40)
    p = c.person(hh, "户主", "女", birth)
    p.disability, p.illness = None, "否"
    if couple:
        spouse = c.person(hh, "配偶", "男", birth - dt.timedelta(days=700))
        c.x["deaths"].add(person_id=spouse.pid, death_date=add_months(AS_OF, -3), source="殡葬")
        spouse.death = True
        c.relate(p, spouse, "夫")
        c.used_people.add(spouse.pid)
    c.used_people.update({p.pid, hh.hid})
    return hh, p


def plant_cover_05(c: County, i: int) -> None:
    hh, p = _elderly_alone(c, 72 + i % 15, couple=bool(i % 2))
    c.plant(
        "COVER-05",
        "独居老人未纳入任何救助" + ("（配偶已去世，户籍仍为两人户）" if i % 2 else ""),
        household_id=hh.hid,
        person_id=p.pid,
    )
    _elderly_alone(c, 59, couple=False)  # near miss: 59, below the age


def plant_cover_06(c: County, i: int) -> None:
    hh = _free_household(c)
    std = c.standard_for(hh.village)
    since = c.rand_date(dt.date(2022, 1, 1), dt.date(2023, 12, 1))
    c.x["other_rolls"].add(person_id=hh.head.pid, program="低保边缘", county="三都水族自治县", start_date=since)
    checked = c.rand_date(dt.date(2024, 3, 1), dt.date(2024, 10, 1))
    c.check(hh, checked, std * 0.7)
    c.plant("COVER-06", "低保边缘户收入已低于标准，未及时纳入低保", household_id=hh.hid)
    # near miss: an edge household moved to 低保 within 20 days of its check
    near = _free_household(c)
    c.x["other_rolls"].add(person_id=near.head.pid, program="低保边缘", county="三都水族自治县", start_date=since)
    check_day = dt.date(2024, 4, 2)
    c.check(near, check_day, c.standard_for(near.village) * 0.7)
    case = c.add_case(near, approval=check_day + dt.timedelta(days=20), single=False)
    _ = case


# ---------------------------------------------------------------- PRIV
def plant_priv_01(c: County, i: int) -> None:
    case = _solo(c)
    head = case.hh.head
    notice = case.batch.notices[0]
    if i % 2:
        notice[4] += f"；发放账号{case.account}"
        c.plant("PRIV-01", "公示内容含完整银行账号", account_no=case.account)
    else:
        notice[4] += f"；{head.name} 身份证号{head.pid}"
        c.plant("PRIV-01", "公示内容含完整身份证号", person_id=head.pid)


# ---------------------------------------------------------------- DATA
def plant_data_01(c: County, i: int) -> None:
    p = _plain_adult(c)
    base = {
        "person_id": p.pid,
        "name": p.name,
        "sex": p.sex,
        "birth_date": p.birth.isoformat(),
        "household_id": p.hh.hid,
        "relation_to_head": "其他",
        "village_code": p.village.code,
        "village_name": p.village.name,
        "township": p.village.town.name,
        "county": "三都水族自治县",
    }
    if i % 3 == 0:
        bad = p.pid[:17] + ("0" if p.pid[17] != "0" else "1")
        c.raw_rows.setdefault("persons", []).append(
            {**base, "person_id": bad, "name": p.name + "某", "_truth": ("DATA-01", "身份证号校验位错误", {})}
        )
    elif i % 3 == 1:
        c.raw_rows.setdefault("persons", []).append({**base, "_truth": ("DATA-01", "重复的身份证号", {})})
    else:
        acct = c.cases[i].account
        c.raw_rows.setdefault("withdrawals", []).append(
            {
                "account_no": acct,
                "time": "2024年13月5日 10:00",
                "amount": 100,
                "direction": "支出",
                "channel": "ATM",
                "_truth": ("DATA-01", "交易时间无法识别", {}),
            }
        )


def plant_data_02(c: County, i: int) -> None:
    ghost = f"LB522732{990000 + i:06d}"
    if i % 2:
        c.raw_rows.setdefault("payments", []).append(
            {
                "case_id": ghost,
                "period": "2024-05",
                "amount": 500,
                "account_no": f"62179999{i:011d}",
                "paid_date": "2024-05-10",
                "_truth": ("DATA-02", "发放给不存在的低保编号", {"case_id": ghost}),
            }
        )
    else:
        b = next(b for b in c.batches if b.cases)
        c.raw_rows.setdefault("votes", []).append(
            {
                "meeting_id": b.meeting_id,
                "case_id": ghost,
                "yes": len(b.attendees),
                "no": 0,
                "abstain": 0,
                "result": "通过",
                "_truth": ("DATA-02", "评议了不存在的低保编号", {"case_id": ghost}),
            }
        )


def plant_data_03(c: County, i: int) -> None:
    p = _plain_adult(c)
    if i % 3 == 0:
        c.birth_override[p.pid] = (p.birth + dt.timedelta(days=400)).isoformat()
        c.plant("DATA-03", "出生日期与身份证号不符", person_id=p.pid)
    elif i % 3 == 1:
        head = p.hh.head
        kid = c.person(p.hh, "子", "男", head.birth + dt.timedelta(days=365 * 12), head.name[0])
        c.used_people.add(kid.pid)
        c.plant("DATA-03", "户主仅比儿子年长12岁", person_id=kid.pid)
    else:
        c.x["deaths"].add(person_id=p.pid, death_date=p.birth - dt.timedelta(days=200), source="殡葬")
        p.death = True
        c.plant("DATA-03", "死亡日期早于出生日期", person_id=p.pid)
