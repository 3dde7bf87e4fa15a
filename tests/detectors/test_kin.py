"""KIN-01..05 on hand-built villages: each positive with its near miss."""

from __future__ import annotations

from tests.factory import make_ctx, person, pid, run_rule

V1, V2 = "522732001001", "522732001002"
GRANDPA, OFFICIAL, UNCLE, COUSIN = pid("19300101", 1), pid("19600101", 3), pid("19550101", 5), pid("19580101", 7)
FATHER = pid("19320101", 9)
STAFF = pid("19700101", 11)


def _family(village=V1):
    """OFFICIAL's father FATHER and uncle UNCLE are sons of GRANDPA; COUSIN is UNCLE's son (older: 堂兄)."""
    return [
        person(OFFICIAL, "H1", name="张伟", village_code=village),
        person(FATHER, "H0", name="张父", village_code=village),
        person(GRANDPA, "H0", "父亲", name="张祖", village_code=village),
        person(UNCLE, "H2", name="张叔", village_code=village),
        person(COUSIN, "H2", "子", name="张强", village_code=village),
        person(STAFF, "H9", name="李娜", village_code=village),
    ]


RELATIONS = [
    {"person_id": OFFICIAL, "relative_id": FATHER, "relation": "父"},
    {"person_id": UNCLE, "relative_id": GRANDPA, "relation": "父"},
]


def _official(pid_, role="村委会主任", level="村", village=V1, start="2015-01-01", end=""):
    return {
        "person_id": pid_,
        "name": "x",
        "role": role,
        "level": level,
        "village_code": village if level == "村" else "",
        "township": "大河镇",
        "start_date": start,
        "end_date": end,
    }


def _case(case_id="LB1", head=UNCLE, hh="H2", village=V1, approval="2020-03-01", **kw):
    return {
        "case_id": case_id,
        "household_id": hh,
        "head_id": head,
        "village_code": village,
        "township": "大河镇",
        "area_type": "农村",
        "benefit_type": "常补",
        "enrolled_count": "2",
        "monthly_amount": "600",
        "approval_date": approval,
        "status": "在保",
        **kw,
    }


def _members(case_id="LB1", ids=(UNCLE, COUSIN)):
    return [{"case_id": case_id, "person_id": i, "enrolled": "是"} for i in ids]


def _ctx(officials, cases=None, members=None, **more):
    return make_ctx(
        persons=_family(),
        relations=RELATIONS,
        officials=officials,
        cases=cases or [_case()],
        case_members=members or _members(),
        **more,
    )


def test_kin01_unfiled_cousin_of_the_village_head():
    [f] = run_rule("KIN-01", _ctx([_official(OFFICIAL)]))
    assert (f.case_id, f.official_id) == ("LB1", OFFICIAL)
    assert f.evidence["kinship_term"] == "叔父" and f.person_id == UNCLE  # the closest relative wins
    assert f.explanation == "张某某（村委会主任）的叔父张某家享受低保（LB1），未在近亲属备案中登记。"
    assert f.evidence["path"] == [OFFICIAL, "父", FATHER, "父", GRANDPA, "子", UNCLE]


def test_kin01_filed_relative_is_not_kin01():
    filings = [{"official_id": OFFICIAL, "relative_id": UNCLE}, {"official_id": OFFICIAL, "relative_id": COUSIN}]
    assert run_rule("KIN-01", _ctx([_official(OFFICIAL)], kin_filings=filings)) == []


def test_kin01_cadre_of_another_village_does_not_cover_the_case():
    assert run_rule("KIN-01", _ctx([_official(OFFICIAL, village=V2)])) == []


def test_kin01_township_staff_cover_every_village_of_the_township():
    [f] = run_rule("KIN-01", _ctx([_official(OFFICIAL, "乡镇民政助理员", "乡镇")]))
    assert "乡镇民政助理员" in f.explanation


def test_kin01_official_who_took_office_after_approval_is_caught_without_a_recheck():
    late = [_official(OFFICIAL, start="2021-01-01")]
    [f] = run_rule("KIN-01", _ctx(late))  # approved 2020-03-01, no recheck since: still on the roll
    assert f.evidence["in_office_at"] == [] and f.evidence["overlap"] == "2021-01-01至2024-12-31"
    assert f.evidence["term"] == "2021-01-01—至今"
    rechecked = _ctx(late, rechecks=[{"case_id": "LB1", "date": "2022-03-01"}])
    [f] = run_rule("KIN-01", rechecked)
    assert f.evidence["in_office_at"] == ["复核2022-03-01"]


def test_kin01_term_and_enrolment_that_never_overlap_are_not_counted():
    left_before = [_official(OFFICIAL, start="2015-01-01", end="2019-12-31")]
    assert run_rule("KIN-01", _ctx(left_before)) == []  # left office before the approval
    after_exit = [_official(OFFICIAL, start="2023-01-01")]
    stopped = [_case(status="停保", exit_date="2022-06-30")]
    assert run_rule("KIN-01", _ctx(after_exit, stopped)) == []  # took office after the case had stopped
    [f] = run_rule("KIN-01", _ctx([_official(OFFICIAL, start="2022-01-01")], stopped))
    assert f.evidence["overlap"] == "2022-01-01至2022-06-30"


def test_kin01_evidence_lists_every_relative_in_the_case_closest_first():
    [f] = run_rule("KIN-01", _ctx([_official(OFFICIAL)]))
    terms = [r["kinship_term"] for r in f.evidence["relatives"]]
    assert len(terms) == 2 and terms[0] == f.evidence["kinship_term"]  # 伯父/叔父 before 堂兄
    assert [r["degree"] for r in f.evidence["relatives"]] == sorted(r["degree"] for r in f.evidence["relatives"])
    assert all(r["path"] for r in f.evidence["relatives"])


def test_kin01_same_name_stranger_is_never_linked():
    stranger = pid("19550101", 13)
    persons = _family() + [person(stranger, "H7", name="张叔")]
    ctx = make_ctx(
        persons=persons,
        relations=RELATIONS,
        officials=[_official(OFFICIAL)],
        cases=[_case(head=stranger, hh="H7")],
        case_members=_members(ids=(stranger,)),
    )
    assert run_rule("KIN-01", ctx) == []


def test_kin02_filed_but_no_home_survey_nor_recent_recheck():
    filings = [{"official_id": OFFICIAL, "relative_id": UNCLE}, {"official_id": OFFICIAL, "relative_id": COUSIN}]
    ctx = _ctx(
        [_official(OFFICIAL)],
        kin_filings=filings,
        workflow=[{"case_id": "LB1", "step": "民主评议", "date": "2020-02-01"}],
        rechecks=[{"case_id": "LB1", "date": "2023-05-01"}],
    )
    [f] = run_rule("KIN-02", ctx)
    assert "没有入户调查记录" in f.explanation and "近6个月内没有复核" in f.explanation


def test_kin02_filed_and_strictly_reviewed_is_clean():
    filings = [{"official_id": OFFICIAL, "relative_id": UNCLE, "case_id": "LB1"}]
    ctx = _ctx(
        [_official(OFFICIAL)],
        kin_filings=filings,
        workflow=[{"case_id": "LB1", "step": "入户调查", "date": "2020-02-01"}],
        rechecks=[{"case_id": "LB1", "date": "2024-10-01"}],
    )
    assert run_rule("KIN-02", ctx) == []


def test_kin03_official_surveyed_relatives_case():
    wf = [{"case_id": "LB1", "step": "入户调查", "date": "2020-02-10", "handler_id": OFFICIAL}]
    [f] = run_rule("KIN-03", _ctx([_official(OFFICIAL)], workflow=wf))
    assert f.official_id == OFFICIAL and f.evidence["steps"] == ["入户调查（2020-02-10）"]


def test_kin03_unrelated_handler_is_clean():
    wf = [{"case_id": "LB1", "step": "入户调查", "date": "2020-02-10", "handler_id": STAFF}]
    assert run_rule("KIN-03", _ctx([_official(OFFICIAL), _official(STAFF)], workflow=wf)) == []


def test_kin03_voting_on_relatives_case_at_the_appraisal_meeting():
    more = dict(
        meetings=[{"meeting_id": "M1", "village_code": V1, "date": "2020-02-15", "members_total": "21"}],
        meeting_attendance=[{"meeting_id": "M1", "person_id": OFFICIAL, "role": "村委成员"}],
        votes=[{"meeting_id": "M1", "case_id": "LB1", "yes": "20", "no": "0", "result": "通过"}],
    )
    [f] = run_rule("KIN-03", _ctx([_official(OFFICIAL)], **more))
    assert f.evidence["steps"] == ["民主评议（M1）（2020-02-15）"]


def test_kin03_cadre_of_another_village_on_the_appraisal_list_is_not_a_recusal_case():
    more = dict(
        meetings=[{"meeting_id": "M1", "village_code": V1, "date": "2020-02-15", "members_total": "21"}],
        meeting_attendance=[{"meeting_id": "M1", "person_id": OFFICIAL, "role": "村委成员"}],
        votes=[{"meeting_id": "M1", "case_id": "LB1", "yes": "20", "no": "0", "result": "通过"}],
    )
    assert run_rule("KIN-03", _ctx([_official(OFFICIAL, village=V2)], **more)) == []
    # the same cadre handling a step of the case is taking part, whatever the post
    wf = [{"case_id": "LB1", "step": "入户调查", "date": "2020-02-10", "handler_id": OFFICIAL}]
    [f] = run_rule("KIN-03", _ctx([_official(OFFICIAL, village=V2)], workflow=wf, **more))
    assert f.evidence["steps"] == ["入户调查（2020-02-10）"]


def test_kin04_official_himself_enrolled():
    ctx = _ctx([_official(COUSIN, "村民小组长")])
    [f] = run_rule("KIN-04", ctx)
    assert f.official_id == COUSIN and f.evidence["who"] == "本人"


def test_kin04_former_official_before_enrolment_is_clean():
    ctx = _ctx([_official(COUSIN, "村民小组长", start="2010-01-01", end="2019-12-31")])
    assert run_rule("KIN-04", ctx) == []


def _village(n_cases: int, linked_cases: int):
    """30 households; the cadre's kin: 5 households of brothers; ``linked_cases`` of the cases are theirs."""
    cadre = pid("19600101", 101)
    dad = pid("19300101", 103)
    persons = [person(cadre, "C0", name="王书记"), person(dad, "P0", name="王父")]
    rel = [{"person_id": cadre, "relative_id": dad, "relation": "父"}]
    cases, members = [], []
    for i in range(1, 30):
        who = pid("19650101", 105 + 2 * i)
        persons.append(person(who, f"F{i}", name=f"户{i}"))
        if i <= 5:
            rel.append({"person_id": who, "relative_id": dad, "relation": "父"})
        linked = i <= 5
        if (linked and i <= linked_cases) or (not linked and i - 5 <= n_cases - linked_cases):
            cases.append(_case(f"LB{i}", head=who, hh=f"F{i}"))
            members += _members(f"LB{i}", (who,))
    return make_ctx(
        persons=persons, relations=rel, officials=[_official(cadre, "村党支部书记")], cases=cases, case_members=members
    )


def test_kin05_cadres_relatives_concentrated():
    [f] = run_rule("KIN-05", _village(n_cases=6, linked_cases=5))
    ev = f.evidence
    assert (ev["observed"], ev["cases"], ev["households"], ev["linked_households"]) == (5, 6, 31, 7)
    assert ev["p_value"] < 0.01 and ev["expected"] == round(6 * 7 / 31, 2)


def test_kin05_proportional_share_is_clean():
    assert run_rule("KIN-05", _village(n_cases=10, linked_cases=2)) == []


def test_kin05_watch_tier_between_the_watch_level_and_significance():
    [f] = run_rule("KIN-05", _village(n_cases=6, linked_cases=4))  # p ≈ 0.026: below 0.05, above 0.01
    assert f.severity.value == "low" and f.evidence["tier"] == "观察" and "观察" in f.explanation
    assert run_rule("KIN-05", _village(n_cases=10, linked_cases=3)) == []  # p ≈ 0.4: nothing to watch


def _quota_village(cadres_with_kin: int):
    """40 households; each of ``cadres_with_kin`` cadres has one brother's household on a roll of 8."""
    persons, rel, officials, cases, members = [], [], [], [], []
    for c in range(4):
        cadre, dad, bro = pid("19600101", 201 + 6 * c), pid("19300101", 203 + 6 * c), pid("19620101", 205 + 6 * c)
        persons += [
            person(cadre, f"C{c}", name=f"干部{c}"),
            person(dad, f"D{c}", name=f"父{c}"),
            person(bro, f"B{c}", name=f"兄弟{c}"),
        ]
        rel += [
            {"person_id": cadre, "relative_id": dad, "relation": "父"},
            {"person_id": bro, "relative_id": dad, "relation": "父"},
        ]
        officials.append(_official(cadre, ("村党支部书记", "村委会主任", "村委委员", "村监委委员")[c]))
        if c < cadres_with_kin:
            cases.append(_case(f"LB{c}", head=bro, hh=f"B{c}"))
            members += _members(f"LB{c}", (bro,))
    for i in range(28):
        who = pid("19700101", 301 + 2 * i)
        persons.append(person(who, f"F{i}", name=f"户{i}"))
        if len(cases) < 8:
            cases.append(_case(f"LX{i}", head=who, hh=f"F{i}"))
            members += _members(f"LX{i}", (who,))
    return make_ctx(persons=persons, relations=rel, officials=officials, cases=cases, case_members=members)


def test_kin05_roll_shared_out_among_several_cadres():
    [f] = run_rule("KIN-05", _quota_village(3))
    assert f.evidence["tier"] == "名额分配" and f.severity.value == "medium"
    assert len(f.evidence["cadres_with_relatives"]) == 3 and f.evidence["p_value"] > 0.01
    assert run_rule("KIN-05", _quota_village(2)) == []  # two cadres: no sharing-out pattern
