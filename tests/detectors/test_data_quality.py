"""DATA-01..03 on literal frames: each with its positive and its near miss."""

from __future__ import annotations

from audit.ids import mask_id
from tests.factory import make_ctx, person, pid, run_rule

HEAD, KID = pid("19700101", 1), pid("19960101", 3)


def test_data01_reject_becomes_a_finding_naming_file_row_reason():
    bad = HEAD[:17] + ("0" if HEAD[17] != "0" else "1")
    ctx = make_ctx(persons=[person(HEAD), person(bad, "H2", name="王五")])
    [f] = run_rule("DATA-01", ctx)
    assert f.evidence["row"] == 3 and f.evidence["reason_code"] == "BAD_ID_CHECKSUM"
    assert "persons.csv第3行" in f.explanation and bad not in f.explanation


def test_data01_clean_rows_make_no_finding():
    assert run_rule("DATA-01", make_ctx(persons=[person(HEAD)])) == []


def _case(head=HEAD):
    return {
        "case_id": "LB1",
        "household_id": "H1",
        "head_id": head,
        "village_code": "522732001001",
        "township": "大河镇",
        "area_type": "农村",
        "benefit_type": "常补",
        "enrolled_count": "1",
        "monthly_amount": "300",
        "approval_date": "2022-01-10",
        "status": "在保",
    }


def test_data02_member_and_payment_pointing_nowhere():
    stranger = pid("19850505", 5)
    ctx = make_ctx(
        persons=[person(HEAD)],
        cases=[_case()],
        case_members=[{"case_id": "LB1", "person_id": stranger, "enrolled": "是"}],
        payments=[{"case_id": "LB9", "period": "2024-01", "amount": "300", "account_no": "A1"}],
    )
    found = run_rule("DATA-02", ctx)
    assert {(f.evidence["table"], f.evidence["column"]) for f in found} == {
        ("case_members", "person_id"),
        ("payments", "case_id"),
    }
    assert next(f for f in found if f.evidence["table"] == "payments").case_id == "LB9"


def test_data02_consistent_references_are_clean():
    ctx = make_ctx(
        persons=[person(HEAD)],
        cases=[_case()],
        case_members=[{"case_id": "LB1", "person_id": HEAD, "enrolled": "是"}],
        payments=[{"case_id": "LB1", "period": "2024-01", "amount": "300", "account_no": "A1"}],
    )
    assert run_rule("DATA-02", ctx) == []


def test_data03_parent_barely_older_than_child():
    young_kid = pid("19820101", 3)  # 12 years younger than the head
    ctx = make_ctx(persons=[person(HEAD), person(young_kid, rel="子", name="张小")])
    [f] = run_rule("DATA-03", ctx)
    assert f.person_id == young_kid and f.evidence["age_gap_years"] == 12.0


def test_data03_parent_pairs_from_register_and_relations_each_once_with_its_first_source():
    """A pair recorded both in the register (a head's 子) and in relations is reported once, as the register's;
    a pair only in relations (a parent in another household, written from either side) names relations; a
    father recorded as 父亲 of the head counts the other way round; a relative off the register is no pair."""
    young_kid = pid("19820101", 3)  # 12 years younger than the head
    other_kid = pid("19830101", 5)  # 12 years younger than the mother below, in another household
    mother = pid("19710101", 4)
    father = pid("19600101", 7)  # 10 years older than the head, recorded as the head's 父亲
    ctx = make_ctx(
        persons=[
            person(HEAD),
            person(young_kid, rel="子", name="张小"),
            person(father, rel="父亲", name="张老"),
            person(mother, "H2", name="李母"),
            person(other_kid, "H3", name="王子"),
        ],
        relations=[
            {"person_id": young_kid, "relative_id": HEAD, "relation": "父"},
            {"person_id": mother, "relative_id": other_kid, "relation": "子"},
            {"person_id": other_kid, "relative_id": mother, "relation": "母"},
            {"person_id": other_kid, "relative_id": pid("19800101", 9), "relation": "父"},
        ],
    )
    got = {
        (f.person_id, f.evidence["parent"], f.evidence["source"], f.evidence["age_gap_years"])
        for f in run_rule("DATA-03", ctx)
        if f.evidence["kind"].startswith("parent_gap")
    }
    assert got == {
        (young_kid, mask_id(HEAD), "户籍（与户主关系）", 12.0),
        (HEAD, mask_id(father), "户籍（与户主关系）", 10.0),
        (other_kid, mask_id(mother), "亲属关系表", 12.0),
    }


def test_data03_fourteen_years_is_allowed():
    kid = pid("19840102", 3)  # just over 14 years
    assert run_rule("DATA-03", make_ctx(persons=[person(HEAD), person(kid, rel="子")])) == []


def test_data03_birth_date_or_sex_contradicting_the_id():
    ctx = make_ctx(persons=[person(HEAD, birth_date="1971-01-01"), person(KID, "H2", sex="女")])
    kinds = {f.evidence["kind"] for f in run_rule("DATA-03", ctx)}
    assert kinds == {"birth_vs_id", "sex_vs_id"}


def test_data03_matching_birth_date_and_sex_are_clean():
    ctx = make_ctx(persons=[person(HEAD, birth_date="1970/1/1", sex="男")])
    assert run_rule("DATA-03", ctx) == []


def test_data03_death_before_birth_and_future_birth():
    future = pid("20250301", 7)
    ctx = make_ctx(
        persons=[person(HEAD), person(future, "H3")], deaths=[{"person_id": HEAD, "death_date": "1969-05-01"}]
    )
    kinds = {(f.person_id, f.evidence["kind"]) for f in run_rule("DATA-03", ctx)}
    assert kinds == {(HEAD, "birth_after_death"), (future, "birth_in_future")}


def test_data01_carries_the_rejected_rows_keys_as_written():
    bad = HEAD[:17] + ("0" if HEAD[17] != "0" else "1")
    ctx = make_ctx(
        persons=[person(HEAD), person(bad, "H2", name="王五"), person(KID, "H3", name="赵六", birth_date="不详")]
    )
    by_row = {f.evidence["row"]: f for f in run_rule("DATA-01", ctx)}
    assert by_row[3].person_id == bad and by_row[3].household_id == "H2"  # bad check digit: the ID as written
    assert by_row[4].person_id == KID and by_row[4].household_id == "H3"  # a cleared cell keeps its row's keys
    assert bad not in by_row[3].explanation and bad not in str(by_row[3].evidence)


def test_data01_duplicate_person_row_names_the_person():
    ctx = make_ctx(persons=[person(HEAD), person(HEAD, "H9", name="张三")])
    [f] = run_rule("DATA-01", ctx)
    assert f.evidence["reason_code"] == "DUPLICATE_KEY" and f.person_id == HEAD and f.household_id == "H9"


def test_data02_workflow_filed_under_an_application_id_is_not_dangling():
    wf = [
        {"case_id": "SQ1", "step": "入户调查", "date": "2022-01-05"},
        {"case_id": "SQ2", "step": "入户调查", "date": "2022-01-05"},
    ]
    apps = [
        {
            "application_id": "SQ1",
            "household_id": "H1",
            "applicant_id": HEAD,
            "application_date": "2022-01-01",
            "decision": "不予批准",
        }
    ]
    ctx = make_ctx(persons=[person(HEAD)], cases=[_case()], workflow=wf, applications=apps)
    [f] = run_rule("DATA-02", ctx)  # SQ2 is in neither table
    assert f.case_id == "SQ2"


def test_new_contract_codes_import_without_rejects():
    rolls = [
        {"person_id": HEAD, "program": p, "county": "三都水族自治县", "start_date": "2021-01-01"}
        for p in ("低保边缘", "临时救助")
    ]
    ctx = make_ctx(persons=[person(HEAD)], other_rolls=rolls, cases=[_case() | {"emergency": "是"}])
    assert run_rule("DATA-01", ctx) == []
    assert ctx.table("cases").emergency.tolist() == ["是"]
