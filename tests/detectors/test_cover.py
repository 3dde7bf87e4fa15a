"""COVER-01..06 on hand-built households: each positive with its near miss (sandu-2021: rural 359 元)."""

from __future__ import annotations

from tests.factory import make_ctx, person, pid, run_rule

OLD, WIFE, SON = pid("19400101", 1), pid("19420101", 2), pid("19700101", 3)
OTHER = pid("19600101", 5)
V = "522732001001"


def _persons(**kw):
    return [
        person(OLD, "H1", area_type="农村", **kw),
        person(WIFE, "H1", "配偶", name="李四", area_type="农村"),
        person(SON, "H1", "子", name="张子", area_type="农村"),
        person(OTHER, "H2", name="王五", area_type="农村"),
    ]


def _case(case_id="LB1", hh="H2", head=OTHER, **kw):
    return {
        "case_id": case_id,
        "household_id": hh,
        "head_id": head,
        "village_code": V,
        "township": "大河镇",
        "area_type": "农村",
        "benefit_type": "常补",
        "enrolled_count": "1",
        "monthly_amount": "300",
        "per_capita_income": "100",
        "approval_date": "2022-01-10",
        "status": "在保",
    } | kw


def _ctx(persons=None, cases=None, **more):
    cases = cases if cases is not None else [_case()]
    members = [{"case_id": c["case_id"], "person_id": c["head_id"], "enrolled": "是"} for c in cases]
    return make_ctx(as_of="2024-12-31", persons=persons or _persons(), cases=cases, case_members=members, **more)


def _monitor(income, kind="脱贫不稳定户", **kw):
    return [
        {
            "household_id": "H1",
            "person_id": OLD,
            "monitor_type": kind,
            "identified_date": "2024-06-01",
            "risk": "因病",
            "per_capita_income": str(income),
            "risk_status": "未消除",
        }
        | kw
    ]


# ---------------------------------------------------------------- COVER-01
def test_cover01_monitored_household_below_the_annual_standard():
    [f] = run_rule("COVER-01", _ctx(monitoring=_monitor(3000)))  # 3000 < 12 × 359 = 4308
    assert f.household_id == "H1" and f.person_id == OLD and f.evidence["qualifies_for"] == "低保"
    assert f.evidence["per_capita_income"] == 250.0 and f.evidence["standard"] == 359.0


def test_cover01_sudden_hardship_counts_whatever_the_income():
    [f] = run_rule("COVER-01", _ctx(monitoring=_monitor(6000, kind="突发严重困难户")))
    assert f.evidence["monitor_type"] == "突发严重困难户"


def test_cover01_near_misses_income_above_decided_recently_or_enrolled():
    assert run_rule("COVER-01", _ctx(monitoring=_monitor(6000))) == []
    app = [
        {
            "application_id": "SQ1",
            "household_id": "H1",
            "applicant_id": OLD,
            "application_date": "2024-09-01",
            "decision": "不予批准",
            "decision_date": "2024-10-01",
            "reason": "家庭人均收入高于当地低保标准",
        }
    ]
    assert run_rule("COVER-01", _ctx(monitoring=_monitor(3000), applications=app)) == []  # decided 3 months ago
    old = [app[0] | {"application_date": "2022-09-01", "decision_date": "2022-10-01"}]
    assert len(run_rule("COVER-01", _ctx(monitoring=_monitor(3000), applications=old))) == 1  # beyond 12 months
    enrolled = _ctx(monitoring=_monitor(3000), cases=[_case(hh="H1", head=OLD)])
    assert run_rule("COVER-01", enrolled) == []


# ---------------------------------------------------------------- COVER-02
def _refusal(reason, steps=("入户调查", "信息核对"), **kw):
    apps = [
        {
            "application_id": "SQ9",
            "household_id": "H1",
            "applicant_id": OLD,
            "application_date": "2024-05-01",
            "decision": "不予批准",
            "decision_date": "2024-05-26",
            "reason": reason,
        }
        | kw
    ]
    wf = [{"case_id": "SQ9", "step": s, "date": "2024-05-10"} for s in ("受理", *steps)]
    return dict(applications=apps, workflow=wf)


def test_cover02_refused_for_having_children_and_for_an_occupation():
    for reason in ("申请人有子女，应由子女赡养", "户主系村小学代课教师，不予纳入", "本村低保名额已满"):
        [f] = run_rule("COVER-02", _ctx(**_refusal(reason)))
        assert f.evidence["grounds_ok"] is False and f.evidence["application_id"] == "SQ9"
        assert reason.split("，")[0] in f.explanation


def test_cover02_refused_on_income_without_a_home_survey():
    [f] = run_rule("COVER-02", _ctx(**_refusal("家庭人均收入高于当地低保标准", steps=("信息核对",))))
    assert f.evidence["missing"] == ["入户调查"] and f.evidence["grounds_ok"] is True


def test_cover02_income_refusal_contradicted_by_the_households_own_check():
    checks = [{"household_id": "H1", "check_date": "2024-05-12", "per_capita_income": "200", "source": "核对平台"}]
    [f] = run_rule("COVER-02", _ctx(**_refusal("家庭人均收入高于当地低保标准"), income_checks=checks))
    assert f.evidence["per_capita_income"] == 200.0


def test_cover02_near_misses_income_or_asset_refusal_with_survey_and_check():
    assert run_rule("COVER-02", _ctx(**_refusal("经家庭经济状况核对，家庭人均月收入超过低保标准"))) == []
    checks = [{"household_id": "H1", "check_date": "2024-05-12", "per_capita_income": "200", "source": "核对平台"}]
    assert run_rule("COVER-02", _ctx(**_refusal("家庭金融资产超过规定标准"), income_checks=checks)) == []
    # survey and check found only as income checks of the household between application and decision
    apps = _refusal("家庭收入超过低保标准", steps=())
    checks = [
        {"household_id": "H1", "check_date": "2024-05-05", "per_capita_income": "500", "source": "入户调查"},
        {"household_id": "H1", "check_date": "2024-05-08", "per_capita_income": "500", "source": "核对平台"},
    ]
    assert run_rule("COVER-02", _ctx(**apps, income_checks=checks)) == []


# ---------------------------------------------------------------- COVER-03
def _check(income, date="2024-06-01"):
    return [{"household_id": "H1", "check_date": date, "per_capita_income": str(income), "source": "入户调查"}]


def test_cover03_severely_disabled_member_in_a_low_income_household():
    people = _persons()
    people[2]["disability_grade"] = "一级"
    [f] = run_rule("COVER-03", _ctx(persons=people, income_checks=_check(450)))  # 359 < 450 < 538.5
    assert f.evidence["qualifies_for"].startswith("单人保") and f.evidence["line_value"] == 538.5
    assert f.person_id == SON


def test_cover03_near_misses_above_the_line_not_severe_or_already_covered():
    people = _persons()
    people[2]["disability_grade"] = "一级"
    assert run_rule("COVER-03", _ctx(persons=people, income_checks=_check(560))) == []
    mild = _persons()
    mild[2]["disability_grade"] = "三级"
    assert run_rule("COVER-03", _ctx(persons=mild, income_checks=_check(450))) == []
    rolls = [{"person_id": SON, "program": "特困", "county": "三都水族自治县", "start_date": "2020-01-01"}]
    assert run_rule("COVER-03", _ctx(persons=people, income_checks=_check(450), other_rolls=rolls)) == []


# ---------------------------------------------------------------- COVER-04
def _stopped(reason, **kw):
    return [_case("LB5", hh="H1", head=OLD, status="停保", exit_date="2024-06-30", exit_reason=reason, **kw)]


def test_cover04_stopped_for_a_reason_that_is_not_income_assets_or_members():
    for reason in ("自愿申请退出", "低保指标调整", "经村两委研究，取消低保资格"):
        [f] = run_rule("COVER-04", _ctx(cases=_stopped(reason)))
        assert f.case_id == "LB5" and f.evidence["grounds_ok"] is False


def test_cover04_stopped_for_income_but_the_exit_check_is_below_the_standard():
    [f] = run_rule("COVER-04", _ctx(cases=_stopped("家庭经营性收入增加"), income_checks=_check(300, "2024-06-15")))
    assert f.evidence["per_capita_income"] == 300.0


def test_cover04_near_misses_income_exit_confirmed_or_reapplied():
    assert (
        run_rule("COVER-04", _ctx(cases=_stopped("家庭人均收入超过低保标准"), income_checks=_check(500, "2024-06-15")))
        == []
    )
    # the check before approval is not the exit's assessment
    assert (
        run_rule("COVER-04", _ctx(cases=_stopped("家庭经营性收入增加"), income_checks=_check(100, "2021-12-01"))) == []
    )
    app = [
        {
            "application_id": "SQ2",
            "household_id": "H1",
            "applicant_id": OLD,
            "application_date": "2024-09-01",
            "decision": "办理中",
        }
    ]
    assert run_rule("COVER-04", _ctx(cases=_stopped("自愿申请退出"), applications=app)) == []


# ---------------------------------------------------------------- COVER-05
def _alone(birth):
    lone = pid(birth, 7)
    return lone, _persons() + [person(lone, "H3", name="赵老", area_type="农村")]


def test_cover05_elderly_living_alone_on_no_roll():
    lone, people = _alone("19500101")
    found = {f.person_id: f for f in run_rule("COVER-05", _ctx(persons=people))}
    assert lone in found and found[lone].evidence["kind"] == "elderly_alone" and found[lone].evidence["age"] == 74


def test_cover05_survivor_of_a_two_person_household_counts_as_alone():
    deaths = [{"person_id": OLD, "death_date": "2024-05-01"}, {"person_id": SON, "death_date": "2023-01-01"}]
    found = run_rule("COVER-05", _ctx(deaths=deaths))
    assert [f.person_id for f in found] == [WIFE]


def test_cover05_near_misses_59_assessed_above_or_on_a_roll():
    lone, people = _alone("19650601")  # 59
    assert run_rule("COVER-05", _ctx(persons=people)) == []
    lone, people = _alone("19500101")
    checks = [{"household_id": "H3", "check_date": "2024-03-01", "per_capita_income": "800", "source": "入户调查"}]
    assert run_rule("COVER-05", _ctx(persons=people, income_checks=checks)) == []
    rolls = [{"person_id": lone, "program": "特困", "county": "三都水族自治县", "start_date": "2020-01-01"}]
    assert run_rule("COVER-05", _ctx(persons=people, other_rolls=rolls)) == []


def test_cover05_minor_whose_parents_both_died():
    kid = pid("20150101", 9)
    people = _persons() + [person(kid, "H1", "孙子", name="张孙", area_type="农村")]
    rel = [
        {"person_id": kid, "relative_id": SON, "relation": "父"},
        {"person_id": kid, "relative_id": WIFE, "relation": "母"},
    ]
    deaths = [{"person_id": SON, "death_date": "2024-02-01"}, {"person_id": WIFE, "death_date": "2024-03-01"}]
    found = run_rule("COVER-05", _ctx(persons=people, relations=rel, deaths=deaths))
    orphans = [f for f in found if f.evidence["kind"] == "orphan"]
    assert [f.person_id for f in orphans] == [kid] and len(orphans[0].evidence["parents"]) == 2
    alive = [d for d in deaths if d["person_id"] != WIFE]  # one parent alive: not an orphan
    assert [
        f
        for f in run_rule("COVER-05", _ctx(persons=people, relations=rel, deaths=alive))
        if f.evidence["kind"] == "orphan"
    ] == []


# ---------------------------------------------------------------- COVER-06
def _edge(check_date, income="250"):
    return dict(
        other_rolls=[{"person_id": OLD, "program": "低保边缘", "county": "三都水族自治县", "start_date": "2023-01-01"}],
        income_checks=[{"household_id": "H1", "check_date": check_date, "per_capita_income": income}],
    )


def test_cover06_edge_household_below_the_standard_not_moved():
    [f] = run_rule("COVER-06", _ctx(**_edge("2024-10-01")))
    assert f.evidence["days"] == 91 and f.evidence["moved"] is None


def test_cover06_moved_late_counts_moved_in_time_does_not():
    [f] = run_rule(
        "COVER-06",
        _ctx(cases=[_case(), _case("LB7", hh="H1", head=OLD, approval_date="2024-11-20")], **_edge("2024-10-01")),
    )
    assert f.evidence["days"] == 50 and f.evidence["moved"] == "2024-11-20"
    assert (
        run_rule(
            "COVER-06",
            _ctx(cases=[_case(), _case("LB7", hh="H1", head=OLD, approval_date="2024-10-20")], **_edge("2024-10-01")),
        )
        == []
    )
    assert run_rule("COVER-06", _ctx(**_edge("2024-10-01", income="400"))) == []  # above the standard
