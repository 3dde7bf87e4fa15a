"""CARD-01..08 and RCK-07 on literal accounts and statements: positives with near misses."""

from __future__ import annotations

import datetime as dt

from tests.factory import make_ctx, person, pid, run_rule

V = "522732001001"
A, B, C, D, E = (pid("19500101", 1), pid("19520101", 3), pid("19540101", 5), pid("19560101", 7), pid("19580101", 9))
OFF = pid("19700101", 11)
ACC = {k: f"62179900000000{i:05d}" for i, k in enumerate("ABCDEFG")}


def _people():
    return [person(p, f"H{i}", name=f"户主{i}", phone=f"1390000000{i}") for i, p in enumerate((A, B, C, D, E))] + [
        person(OFF, "H9", name="李会计", phone="13900000099")
    ]


def _cases(n=5):
    return [
        {
            "case_id": f"LB{i}",
            "household_id": f"H{i}",
            "head_id": p,
            "village_code": V,
            "township": "大河镇",
            "area_type": "农村",
            "benefit_type": "常补",
            "enrolled_count": "1",
            "monthly_amount": "300",
            "approval_date": "2022-01-10",
            "status": "在保",
            "account_no": ACC["ABCDE"[i]],
        }
        for i, p in enumerate((A, B, C, D, E)[:n])
    ]


def _members(n=5):
    return [{"case_id": f"LB{i}", "person_id": p, "enrolled": "是"} for i, p in enumerate((A, B, C, D, E)[:n])]


def _accounts(**holders):
    base = {k: p for k, p in zip("ABCDE", (A, B, C, D, E))}
    base.update(holders)
    return [
        {"account_no": ACC[k], "holder_id": h, "holder_type": "个人", "reserved_phone": None} for k, h in base.items()
    ]


def _payments(n=5, months=range(1, 13), account_of=None):
    return [
        {
            "case_id": f"LB{i}",
            "period": f"2024-{m:02d}",
            "amount": "300",
            "account_no": (account_of or {}).get(i, ACC["ABCDE"[i]]),
            "paid_date": f"2024-{m:02d}-10",
        }
        for i in range(n)
        for m in months
    ]


def _ctx(**more):
    tables = dict(
        persons=_people(),
        cases=_cases(),
        case_members=_members(),
        accounts=_accounts(),
        payments=_payments(),
        officials=[
            {
                "person_id": OFF,
                "role": "村委委员",
                "level": "村",
                "village_code": V,
                "township": "大河镇",
                "start_date": "2015-01-01",
            }
        ],
    )
    tables.update(more)
    return make_ctx(**tables)


def test_card01_two_unrelated_households_on_one_card():
    [f] = run_rule("CARD-01", _ctx(payments=_payments(account_of={1: ACC["A"]})))
    assert f.account_no == ACC["A"] and f.evidence["cases"] == ["LB0", "LB1"]


def test_card01_parent_and_child_sharing_is_not_flagged():
    rel = [{"person_id": B, "relative_id": A, "relation": "父"}]
    assert run_rule("CARD-01", _ctx(payments=_payments(account_of={1: ACC["A"]}), relations=rel)) == []


def test_card02_holder_is_an_official():
    [f] = run_rule("CARD-02", _ctx(accounts=_accounts(C=OFF)))
    assert f.case_id == "LB2" and f.official_id == OFF and f.severity.value == "high"


def test_card02_holder_from_the_same_household_is_fine():
    kid = pid("19800101", 13)
    people = _people() + [person(kid, "H2", "子", name="子")]
    assert run_rule("CARD-02", _ctx(persons=people, accounts=_accounts(C=kid))) == []


def test_card03_reserved_phone_of_an_official():
    acc = _accounts()
    acc[3]["reserved_phone"] = "13900000099"
    [f] = run_rule("CARD-03", _ctx(accounts=acc))
    assert f.account_no == ACC["D"] and f.official_id == OFF


def test_card03_own_phone_is_clean():
    acc = _accounts()
    acc[3]["reserved_phone"] = "13900000003"
    assert run_rule("CARD-03", _ctx(accounts=acc)) == []


def _batch(months, gap_minutes=2, accounts="ABCD", terminal="T9", day=12):
    rows = []
    for m in months:
        t0 = dt.datetime(2024, m, day, 14, 0)
        for j, k in enumerate(accounts):
            rows.append(
                {
                    "account_no": ACC[k],
                    "time": f"{t0 + dt.timedelta(minutes=gap_minutes * j):%Y-%m-%d %H:%M}",
                    "amount": "300",
                    "channel": "ATM",
                    "terminal_id": terminal,
                }
            )
    return rows


def test_card04_same_four_cards_every_month():
    found = run_rule("CARD-04", _ctx(withdrawals=_batch(range(3, 11))))
    assert {f.account_no for f in found} == {ACC[k] for k in "ABCD"}
    assert found[0].evidence["months"] == 8


def test_card04_spread_over_an_hour_is_clean():
    assert run_rule("CARD-04", _ctx(withdrawals=_batch(range(3, 11), gap_minutes=25))) == []


def test_card04_payday_crowd_of_changing_people_is_clean():
    rows = []
    for m in range(1, 13):  # a different trio each month at the village service point
        trio = ["ABC", "BDE", "ACE", "CDA", "EAB", "DBC"][m % 6]
        rows += _batch([m], accounts=trio, terminal="ZN1", day=10)
    assert run_rule("CARD-04", _ctx(withdrawals=rows)) == []


def test_card05_official_as_agent():
    rows = [
        {
            "account_no": ACC["B"],
            "time": f"2024-{m:02d}-13 10:20",
            "amount": "300",
            "channel": "柜台",
            "terminal_id": "WD1",
            "operator_id": OFF,
        }
        for m in range(1, 7)
    ]
    [f] = run_rule("CARD-05", _ctx(withdrawals=rows))
    assert f.official_id == OFF and f.evidence["n"] == 6


def test_card05_household_member_as_agent_is_clean():
    kid = pid("19800101", 13)
    rows = [
        {"account_no": ACC["B"], "time": "2024-03-13 10:20", "amount": "300", "channel": "柜台", "operator_id": kid}
    ]
    assert run_rule("CARD-05", _ctx(persons=_people() + [person(kid, "H1", "子")], withdrawals=rows)) == []


def test_card06_payouts_and_withdrawals_after_the_only_member_died():
    wd = [{"account_no": ACC["E"], "time": "2024-06-11 09:00", "amount": "300", "channel": "ATM"}]
    [f] = run_rule("CARD-06", _ctx(deaths=[{"person_id": E, "death_date": "2024-04-20"}], withdrawals=wd))
    assert f.case_id == "LB4" and f.evidence["n_payments"] == 8 and f.evidence["n_withdrawals"] == 1


def test_card06_stopped_the_month_of_death_is_clean():
    pays = [p for p in _payments() if not (p["case_id"] == "LB4" and p["period"] > "2024-04")]
    assert run_rule("CARD-06", _ctx(deaths=[{"person_id": E, "death_date": "2024-04-20"}], payments=pays)) == []


def test_card07_sweeps_at_a_batch_terminal():
    sweep = [
        {
            "account_no": ACC["E"],
            "time": f"2024-{m:02d}-10 09:05",
            "amount": "300",
            "channel": "ATM",
            "terminal_id": "T9",
        }
        for m in range(1, 13)
    ]
    [f] = run_rule("CARD-07", _ctx(withdrawals=_batch(range(3, 11)) + sweep))
    assert f.account_no == ACC["E"] and f.evidence["months"] == 12


def test_card07_sweeps_elsewhere_are_clean():
    sweep = [
        {
            "account_no": ACC["E"],
            "time": f"2024-{m:02d}-10 09:05",
            "amount": "300",
            "channel": "ATM",
            "terminal_id": "ZN1",
        }
        for m in range(1, 13)
    ]
    assert run_rule("CARD-07", _ctx(withdrawals=_batch(range(3, 11)) + sweep)) == []


def test_card08_monthly_transfer_to_the_officials_account():
    acc = _accounts() + [{"account_no": ACC["F"], "holder_id": OFF, "holder_type": "个人"}]
    wd = [
        {
            "account_no": ACC["C"],
            "time": f"2024-{m:02d}-10 16:40",
            "amount": "90",
            "channel": "转账",
            "counterparty_account": ACC["F"],
        }
        for m in range(3, 9)
    ]
    [f] = run_rule("CARD-08", _ctx(accounts=acc, withdrawals=wd))
    assert f.official_id == OFF and f.evidence["n"] == 6 and f.evidence["total"] == 540


def test_card08_transfer_to_a_shop_is_clean():
    acc = _accounts() + [{"account_no": ACC["F"], "holder_id": pid("19900101", 15), "holder_type": "个人"}]
    wd = [
        {
            "account_no": ACC["C"],
            "time": "2024-03-10 16:40",
            "amount": "90",
            "channel": "转账",
            "counterparty_account": ACC["F"],
        }
    ]
    assert run_rule("CARD-08", _ctx(accounts=acc, withdrawals=wd)) == []


def test_rck07_overpaid_months_and_payouts_after_exit():
    cases = _cases()
    cases[1] |= {"status": "停保", "exit_date": "2024-06-30"}
    pays = _payments()
    for p in pays:
        if p["case_id"] == "LB0" and p["period"] in ("2024-04", "2024-05"):
            p["amount"] = "500"
    found = {f.case_id: f for f in run_rule("RCK-07", _ctx(cases=cases, payments=pays))}
    assert set(found) == {"LB0", "LB1"}
    assert found["LB0"].evidence["overpaid_amount"] == 400 and found["LB1"].evidence["outside_months"][0] == "2024-07"


def test_rck07_one_yuan_rounding_is_tolerated():
    pays = _payments()
    pays[0]["amount"] = "300.6"
    assert run_rule("RCK-07", _ctx(payments=pays)) == []


def test_rck07_case_on_the_roll_never_paid_and_a_gap_in_payouts():
    pays = [
        p
        for p in _payments()
        if p["case_id"] != "LB2"  # LB2: never paid at all
        and not (p["case_id"] == "LB3" and p["period"] in ("2024-05", "2024-06"))
    ]  # LB3: two months missing
    found = {f.case_id: f for f in run_rule("RCK-07", _ctx(payments=pays))}
    assert set(found) == {"LB2", "LB3"}
    assert len(found["LB2"].evidence["unpaid_months"]) == 12 and "从未发放" in found["LB2"].explanation
    assert found["LB3"].evidence["unpaid_months"] == ["2024-05", "2024-06"]
    assert found["LB2"].account_no == ACC["C"] and found["LB2"].evidence["payments_span"] == "2024-01至2024-12"


def test_rck07_boundary_months_and_months_outside_the_records_are_not_judged():
    cases = _cases()
    cases[0] |= {"approval_date": "2024-03-20"}  # first paid in April: fine
    cases[1] |= {"status": "注销", "exit_date": "2024-10-06"}  # last paid in September: fine
    cases[2] |= {"status": "停保"}  # stopped, exit date unknown: not judged
    pays = [
        p
        for p in _payments(months=range(3, 13))
        if not (p["case_id"] == "LB0" and p["period"] == "2024-03")
        and not (p["case_id"] == "LB1" and p["period"] >= "2024-10")
        and p["case_id"] != "LB2"
    ]
    assert run_rule("RCK-07", _ctx(cases=cases, payments=pays)) == []  # Jan–Feb are before the records begin


def test_rck07_one_mistyped_future_period_does_not_make_every_case_unpaid():
    pays = _payments() + [
        {"case_id": "LB0", "period": "2042-01", "amount": "300", "account_no": ACC["A"], "paid_date": "2024-12-10"}
    ]
    found = run_rule("RCK-07", _ctx(payments=pays))  # as_of 2024-12-31: 2025-01..2042-01 is not coverage
    assert [f.case_id for f in found] == []
