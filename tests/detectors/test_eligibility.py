"""ELIG-01..10 and PRIV-01: each positive with its near miss (out of the enrolment window, masked, …)."""

from __future__ import annotations

import pytest

from tests.factory import make_ctx, person, pid, run_rule

HEAD, WIFE = pid("19600101", 1), pid("19620101", 2)


def _ctx(**more):
    tables = dict(
        persons=[person(HEAD), person(WIFE, rel="配偶", name="李四")],
        cases=[
            {
                "case_id": "LB1",
                "household_id": "H1",
                "head_id": HEAD,
                "village_code": "522732001001",
                "township": "大河镇",
                "area_type": "农村",
                "benefit_type": "常补",
                "enrolled_count": "2",
                "monthly_amount": "600",
                "approval_date": "2022-01-10",
                "status": "在保",
            }
        ],
        case_members=[{"case_id": "LB1", "person_id": p, "enrolled": "是"} for p in (HEAD, WIFE)],
        payments=[
            {"case_id": "LB1", "period": f"2024-{m:02d}", "amount": "600", "account_no": "A"} for m in range(1, 13)
        ],
    )
    tables.update(more)
    return make_ctx(**tables)


CASES = [
    (
        "ELIG-01",
        "vehicles",
        {"person_id": WIFE, "vehicle_type": "小型汽车", "registered_date": "2024-05-01"},
        {
            "person_id": WIFE,
            "vehicle_type": "小型汽车",
            "registered_date": "2018-01-01",
            "deregistered_date": "2021-06-01",
        },
    ),
    (
        "ELIG-02",
        "businesses",
        {"person_id": HEAD, "role": "法定代表人", "start_date": "2023-02-01"},
        {"person_id": HEAD, "role": "法定代表人", "start_date": "2015-02-01", "end_date": "2020-12-31"},
    ),
    (
        "ELIG-04",
        "properties",
        {"person_id": HEAD, "property_type": "商业", "purchase_date": "2023-03-01"},
        {"person_id": HEAD, "property_type": "住宅", "purchase_date": "2023-03-01"},
    ),
    (
        "ELIG-05",
        "salaried",
        {"person_id": WIFE, "employer_type": "事业单位", "start_date": "2023-09-01"},
        {"person_id": WIFE, "employer_type": "大中型民营企业", "start_date": "2023-09-01"},
    ),
    (
        "ELIG-07",
        "detentions",
        {"person_id": HEAD, "start_date": "2024-02-01", "end_date": "2024-10-01"},
        {"person_id": HEAD, "start_date": "2019-02-01", "end_date": "2020-10-01"},
    ),
    (
        "ELIG-08",
        "insurance",
        {"person_id": HEAD, "product": "养老年金", "start_date": "2023-01-01"},
        {"person_id": HEAD, "product": "养老年金", "start_date": "2025-06-01"},
    ),
    (
        "ELIG-10",
        "travel",
        {"person_id": WIFE, "date": "2024-07-01", "mode": "飞机"},
        {"person_id": WIFE, "date": "2024-07-01", "mode": "其他"},
    ),
]
RECOVERY = [c for c in CASES if c[0] != "ELIG-10"]  # a trip alone is a prompt to check, nothing is due


@pytest.mark.parametrize("code,table,hit,miss", RECOVERY, ids=[c[0] for c in RECOVERY])
def test_cross_check_inside_enrolment(code, table, hit, miss):
    [f] = run_rule(code, _ctx(**{table: [hit]}))
    assert f.case_id == "LB1" and f.person_id == hit["person_id"]
    assert f.evidence["overlap_months"] >= 1 and f.evidence["overpaid_amount"] > 0


@pytest.mark.parametrize("code,table,hit,miss", CASES, ids=[c[0] for c in CASES])
def test_cross_check_near_miss(code, table, hit, miss):
    assert run_rule(code, _ctx(**{table: [miss]})) == []


def test_elig10_one_flight_is_a_prompt_with_the_amount_at_risk_not_a_recovery():
    [f] = run_rule("ELIG-10", _ctx(travel=[{"person_id": WIFE, "date": "2024-07-01", "mode": "飞机"}]))
    assert f.severity.value == "low" and f.evidence["overpaid_amount"] == 0
    assert f.evidence["amount_at_risk"] == 6 * 600 and "核实" in f.explanation and "追缴" not in f.explanation


def test_elig01_overlap_months_and_amount():
    [f] = run_rule("ELIG-01", _ctx(vehicles=[CASES[0][2]]))
    assert f.evidence["overlap"] == "2024-05至2024-12" and f.evidence["overlap_months"] == 8
    assert f.evidence["overpaid_amount"] == 8 * 600


def test_elig03_assets_above_24_months_per_capita():
    [f] = run_rule(
        "ELIG-03", _ctx(assets=[{"person_id": HEAD, "as_of_date": "2024-06-30", "amount": str(2 * 24 * 359 + 2)}])
    )
    assert f.evidence["per_capita"] > f.evidence["ceiling"] == 24 * 359


def test_elig03_exactly_at_the_ceiling_is_allowed():
    assert (
        run_rule("ELIG-03", _ctx(assets=[{"person_id": HEAD, "as_of_date": "2024-06-30", "amount": str(2 * 24 * 359)}]))
        == []
    )


def test_elig06_dead_member_still_enrolled():
    [f] = run_rule("ELIG-06", _ctx(deaths=[{"person_id": WIFE, "death_date": "2021-11-30"}]))
    assert "早于审批" in f.explanation


def test_elig06_exited_case_is_clean():
    ctx = _ctx(deaths=[{"person_id": WIFE, "death_date": "2024-02-01"}])
    ctx.tables["cases"]["status"] = "停保"
    assert run_rule("ELIG-06", ctx) == []


def test_elig09_tekun_and_other_county_and_two_cases():
    rolls = [
        {"person_id": HEAD, "program": "特困", "county": "三都水族自治县", "start_date": "2023-01-01"},
        {"person_id": WIFE, "program": "低保", "county": "荔波县", "start_date": "2023-01-01"},
    ]
    found = run_rule("ELIG-09", _ctx(other_rolls=rolls))
    assert {f.person_id for f in found} == {HEAD, WIFE}


def test_elig09_own_county_dibao_record_is_not_a_duplicate():
    rolls = [{"person_id": HEAD, "program": "低保", "county": "三都水族自治县", "start_date": "2023-01-01"}]
    assert run_rule("ELIG-09", _ctx(other_rolls=rolls)) == []


def _notice(text):
    return [
        {
            "village_code": "522732001001",
            "stage": "一榜",
            "start_date": "2024-03-01",
            "end_date": "2024-03-07",
            "case_ids": "LB1",
            "text": text,
        }
    ]


def _luhn_card(body="621799000000000001"):
    from audit.ids import luhn_valid

    return next(body + str(d) for d in range(10) if luhn_valid(body + str(d)))


def _not_an_id_nor_card():
    from audit.ids import luhn_valid

    return next(
        HEAD[:17] + str(d) for d in range(10) if HEAD[:17] + str(d) != HEAD and not luhn_valid(HEAD[:17] + str(d))
    )


def test_priv01_full_id_phone_and_card_exposed():
    text = f"张某 身份证{HEAD} 电话13912345678 账号{_luhn_card()}"
    kinds = {f.evidence["kind"] for f in run_rule("PRIV-01", _ctx(notices=_notice(text)))}
    assert kinds == {"id", "phone", "account"}


def test_priv01_masked_or_invalid_numbers_are_clean():
    text = f"张某 5227**********12 电话139****5678 编号{_not_an_id_nor_card()} 金额1077元"
    assert run_rule("PRIV-01", _ctx(notices=_notice(text))) == []


def test_priv01_a_blank_notice_text_does_not_stop_the_rule_for_the_others():
    notices = _notice("") + _notice("李某 电话13912345678")
    [f] = run_rule("PRIV-01", _ctx(notices=notices))
    assert f.evidence["kind"] == "phone"
