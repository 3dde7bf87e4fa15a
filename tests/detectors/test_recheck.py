"""RCK-01..06 on literal cases: each positive with its near miss."""

from __future__ import annotations

from tests.factory import make_ctx, person, pid, run_rule

HEAD, WIFE = pid("19500101", 1), pid("19520101", 2)


def _case(case_id="LB1", **kw):
    row = {
        "case_id": case_id,
        "household_id": "H1",
        "head_id": HEAD,
        "village_code": "522732001001",
        "township": "大河镇",
        "area_type": "农村",
        "benefit_type": "常补",
        "enrolled_count": "2",
        "monthly_amount": "600",
        "per_capita_income": "100",
        "approval_date": "2022-01-10",
        "status": "在保",
    }
    return row | kw


def _ctx(cases=None, **tables):
    return make_ctx(
        persons=[person(HEAD), person(WIFE, rel="配偶", name="李四")],
        cases=cases or [_case()],
        case_members=[{"case_id": "LB1", "person_id": p, "enrolled": "是"} for p in (HEAD, WIFE)],
        **tables,
    )


def test_rck01_yearly_case_overdue_with_aging_bucket():
    [f] = run_rule("RCK-01", _ctx(rechecks=[{"case_id": "LB1", "date": "2023-06-30"}]))
    assert f.evidence["due"] == "2024-06-30" and f.evidence["days_overdue"] == 184 and f.evidence["bucket"] == ">180天"


def test_rck01_rechecked_within_the_year_is_clean():
    assert run_rule("RCK-01", _ctx(rechecks=[{"case_id": "LB1", "date": "2024-01-05"}])) == []


def test_rck01_unstable_income_is_quarterly_and_abc_types_map():
    ctx = _ctx(
        [_case(labour_unstable="是", benefit_type="非常补")], rechecks=[{"case_id": "LB1", "date": "2024-08-15"}]
    )
    [f] = run_rule("RCK-01", ctx)
    assert f.evidence["interval_months"] == 3 and f.evidence["case_type"] == "不稳定"


def test_rck02_payouts_after_rural_grace():
    pays = [{"case_id": "LB1", "period": f"2024-{m:02d}", "amount": "600", "account_no": "A"} for m in range(1, 13)]
    ctx = _ctx(deaths=[{"person_id": WIFE, "death_date": "2024-03-10"}], payments=pays)
    [f] = run_rule("RCK-02", ctx)
    assert f.evidence["grace_months"] == 3 and f.evidence["months_after_grace"] == 6  # July..December
    assert f.evidence["overpaid_amount"] == 1800.0


def test_rck02_stopped_within_grace_is_clean():
    pays = [{"case_id": "LB1", "period": f"2024-{m:02d}", "amount": "600", "account_no": "A"} for m in range(1, 6)]
    ctx = _ctx(
        deaths=[{"person_id": WIFE, "death_date": "2024-03-10"}],
        payments=pays,
        rechecks=[{"case_id": "LB1", "date": "2024-04-01"}],
    )
    assert run_rule("RCK-02", ctx) == []


def test_rck02_urban_grace_is_one_month_in_sandu():
    pays = [{"case_id": "LB1", "period": "2024-05", "amount": "600", "account_no": "A"}]
    ctx = _ctx(
        [_case(area_type="城市")],
        deaths=[{"person_id": WIFE, "death_date": "2024-03-10"}],
        payments=pays,
        rechecks=[{"case_id": "LB1", "date": "2024-03-20"}],
    )
    [f] = run_rule("RCK-02", ctx)
    assert f.evidence["grace_months"] == 1


def test_rck03_gradual_exit_beyond_the_limit():
    ctx = _ctx([_case(status="渐退", gradual_exit_start="2023-09-01", gradual_exit_reason="务工就业")])
    [f] = run_rule("RCK-03", ctx)
    assert f.evidence["max_months"] == 12 and f.evidence["months"] == 15


def test_rck03_gradual_exit_within_limit_is_clean():
    assert (
        run_rule(
            "RCK-03", _ctx([_case(status="渐退", gradual_exit_start="2024-08-01", gradual_exit_reason="务工就业")])
        )
        == []
    )


def test_rck04_holiday_spanning_deadline():
    # accepted 2024-01-10, approved 2024-02-23: Monday–Friday would give 32 days, over the county's 30;
    # with the Spring Festival holiday (2/10–2/17) and the make-up Sundays 2/4 and 2/18 it is 29, within it
    ok = _ctx([_case(acceptance_date="2024-01-10", approval_date="2024-02-23")])
    assert run_rule("RCK-04", ok) == []
    # delegated to the township the limit is 20 working days
    [f] = run_rule(
        "RCK-04", _ctx([_case(acceptance_date="2024-01-10", approval_date="2024-02-23", approval_level="乡镇")])
    )
    assert f.evidence["workdays"] == 29 and f.evidence["limit"] == 20 and "法定节假日" in f.evidence["calendar"]


def test_rck04_outside_calendar_coverage_says_so(tmp_path):
    [f] = run_rule("RCK-04", _ctx([_case(acceptance_date="2030-01-02", approval_date="2030-03-30")]))
    assert "仅按周末" in f.evidence["calendar"]
    import pandas as pd

    from audit.run import run_audit
    from tests.factory import pid as make_pid

    head = make_pid("19500101", 1)
    pd.DataFrame([person(head)]).to_csv(tmp_path / "persons.csv", index=False)
    pd.DataFrame([{"person_id": head, "role": "村委会主任", "level": "村"}]).to_csv(
        tmp_path / "officials.csv", index=False
    )
    pd.DataFrame([_case(head_id=head, acceptance_date="2030-01-02", approval_date="2030-03-30")]).to_csv(
        tmp_path / "cases.csv", index=False
    )
    res = run_audit(tmp_path, "sandu-2021", None, rules=["RCK-04"])
    assert any("仅按周末计算" in w for w in res.run["warnings"])


def _notices(days1=5, stages=("一榜", "二榜", "三榜")):
    out = []
    for i, st in enumerate(stages):
        start = f"2022-01-{1 + 10 * i:02d}"
        end = f"2022-01-{1 + 10 * i + (days1 if i == 0 else 5) - 1:02d}"
        out.append(
            {"village_code": "522732001001", "stage": st, "start_date": start, "end_date": end, "case_ids": "LB1"}
        )
    return out


def test_rck05_notice_four_days_is_short():
    [f] = run_rule("RCK-05", _ctx(notices=_notices(days1=4)))
    assert f.evidence["days"] == 4 and f.evidence["min_days"] == 5


def test_rck05_five_days_counting_both_ends_is_enough():
    assert run_rule("RCK-05", _ctx(notices=_notices(days1=5))) == []


def test_rck05_missing_third_stage():
    [f] = run_rule("RCK-05", _ctx(notices=_notices(stages=("一榜", "二榜"))))
    assert f.evidence["missing_stages"] == ["三榜"]


STEPS = [
    ("申请", "2021-12-01"),
    ("受理", "2021-12-02"),
    ("入户调查", "2021-12-05"),
    ("信息核对", "2021-12-06"),
    ("民主评议", "2021-12-10"),
    ("公示", "2021-12-11"),
    ("乡镇审核", "2021-12-20"),
    ("县级审批/审核确认", "2022-01-10"),
]


def _wf(changes=None, drop=()):
    d = dict(STEPS) | (changes or {})
    return [{"case_id": "LB1", "step": s, "date": v} for s, v in d.items() if s not in drop]


def test_rck06_appraisal_after_approval_is_back_filled():
    [f] = run_rule("RCK-06", _ctx(workflow=_wf({"民主评议": "2022-01-20"})))
    assert any("民主评议（2022-01-20）晚于审批" in x for x in f.evidence["out_of_order"])


def test_rck06_missing_home_survey():
    [f] = run_rule("RCK-06", _ctx(workflow=_wf(drop=("入户调查",))))
    assert f.evidence["missing_steps"] == ["入户调查"]


def test_rck06_complete_ordered_procedure_is_clean():
    assert run_rule("RCK-06", _ctx(workflow=_wf())) == []


def test_rck03_single_person_route_is_judged_against_its_own_line():
    # sandu rural standard 359; single-person route line 1.5 × 359 = 538.5 (004)
    assert (
        run_rule("RCK-03", _ctx([_case(single_person_route="是", enrolled_count="1", per_capita_income="500")])) == []
    )
    [f] = run_rule("RCK-03", _ctx([_case(single_person_route="是", enrolled_count="1", per_capita_income="560")]))
    assert f.evidence["line"] == 538.5 and "单人保" in f.explanation
    [f] = run_rule("RCK-03", _ctx([_case(per_capita_income="400")]))  # an ordinary case: the standard itself
    assert f.evidence["line"] == 359.0


def test_rck03_sandu_allows_twelve_months_for_every_reason_guizhou_does_not():
    c = [_case(status="渐退", gradual_exit_start="2024-03-01", gradual_exit_reason="务工就业")]  # 9 months at as-of
    assert run_rule("RCK-03", _ctx(c)) == []  # 004: 3–12 months whatever the reason
    ctx = make_ctx("guizhou-2023", persons=[person(HEAD)], cases=c)
    [f] = run_rule("RCK-03", ctx)  # 003: 6 months for employment
    assert f.evidence["max_months"] == 6


def test_rck06_sandu_requires_the_economic_status_check():
    [f] = run_rule("RCK-06", _ctx(workflow=_wf(drop=("信息核对",))))
    assert f.evidence["missing_steps"] == ["信息核对"]


def test_rck06_emergency_case_may_skip_check_appraisal_and_notice_not_the_survey():
    wf = _wf(drop=("信息核对", "民主评议", "公示"))
    assert run_rule("RCK-06", _ctx([_case(emergency="是")], workflow=wf)) == []
    [f] = run_rule("RCK-06", _ctx([_case(emergency="是")], workflow=_wf(drop=("信息核对", "入户调查"))))
    assert f.evidence["missing_steps"] == ["入户调查"]
    [f] = run_rule("RCK-06", _ctx([_case(emergency="否")], workflow=wf))
    assert f.evidence["missing_steps"] == ["信息核对", "民主评议", "公示"]


def test_rck05_emergency_case_needs_no_notice_an_ordinary_case_does():
    notices = _notices(stages=("一榜",))
    assert run_rule("RCK-05", _ctx([_case(emergency="是")], notices=notices)) == []
    [f] = run_rule("RCK-05", _ctx([_case()], notices=notices))
    assert f.evidence["missing_stages"] == ["二榜", "三榜"]


def _named_notices(text_for=None, stages=("一榜", "二榜", "三榜")):
    days = {"一榜": "2021-12-11", "二榜": "2021-12-25", "三榜": "2022-01-15"}
    return [
        {
            "village_code": "522732001001",
            "stage": st,
            "start_date": days[st],
            "end_date": days[st][:8] + f"{int(days[st][8:]) + 6:02d}",
            "text": (text_for or {}).get(st, "张三，保障人数2人，月保障金600元"),
        }
        for st in stages
    ]


def test_rck05_notices_without_case_ids_link_by_village_dates_and_names():
    # real notices list names, not 低保编号: the case's head 张三 is named in all three stages
    assert run_rule("RCK-05", _ctx(notices=_named_notices())) == []
    [f] = run_rule("RCK-05", _ctx(notices=_named_notices({"三榜": "李五，保障人数1人"})))
    assert f.evidence["missing_stages"] == ["三榜"]  # the 三榜 names someone else


def test_rck05_notice_far_from_the_approval_does_not_count():
    notices = _named_notices()
    notices[2] |= {"start_date": "2023-06-01", "end_date": "2023-06-07"}  # 17 months after approval
    [f] = run_rule("RCK-05", _ctx(notices=notices))
    assert f.evidence["missing_stages"] == ["三榜"]
