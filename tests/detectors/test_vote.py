"""VOTE-01..07 on literal meetings, with the exact 2/3 boundary."""

from __future__ import annotations

from tests.factory import make_ctx, person, pid, run_rule

V = "522732001001"
HEAD, SON = pid("19500101", 1), pid("19750101", 3)
PANEL = [pid("19700101", 11 + 2 * i) for i in range(24)]


def _people():
    rows = [person(HEAD, "H1", group="第1组"), person(SON, "H2", group="第2组", name="张子")]
    rows += [person(p, f"P{i}", group=f"第{i % 2 + 1}组", name=f"代表{i}") for i, p in enumerate(PANEL)]
    return rows


def _ctx(attend=21, total=21, yes=None, no=0, abstain=0, extra_attendees=(), **more):
    att = [
        {"meeting_id": "M1", "person_id": p, "role": "村民代表" if i >= 4 else "村委成员", "group": f"第{i % 2 + 1}组"}
        for i, p in enumerate(PANEL[:attend])
    ]
    att += [{"meeting_id": "M1", "person_id": p, "role": "村民代表", "group": "第2组"} for p in extra_attendees]
    n = len(att)
    tables = dict(
        persons=_people(),
        relations=[{"person_id": SON, "relative_id": HEAD, "relation": "父"}],
        cases=[
            {
                "case_id": "LB1",
                "household_id": "H1",
                "head_id": HEAD,
                "village_code": V,
                "township": "大河镇",
                "area_type": "农村",
                "benefit_type": "常补",
                "enrolled_count": "1",
                "monthly_amount": "300",
                "approval_date": "2022-01-10",
                "status": "在保",
            }
        ],
        case_members=[{"case_id": "LB1", "person_id": HEAD, "enrolled": "是"}],
        meetings=[
            {
                "meeting_id": "M1",
                "village_code": V,
                "date": "2021-12-10",
                "start_time": "09:00",
                "end_time": "11:00",
                "members_total": str(total),
            }
        ],
        meeting_attendance=att,
        votes=[
            {
                "meeting_id": "M1",
                "case_id": "LB1",
                "yes": str(n - no - abstain if yes is None else yes),
                "no": str(no),
                "abstain": str(abstain),
                "result": "通过",
            }
        ],
    )
    tables.update(more)
    return make_ctx(**tables)


def test_vote01_13_of_21_is_below_two_thirds():
    [f] = run_rule("VOTE-01", _ctx(attend=13))
    assert f.evidence["share"] == "13/21"


def test_vote01_14_of_21_is_exactly_two_thirds_and_valid():
    assert run_rule("VOTE-01", _ctx(attend=14)) == []


def test_vote02_13_yes_of_20_fails_the_two_thirds():
    [f] = run_rule("VOTE-02", _ctx(attend=20, yes=13, no=7))
    assert f.evidence["share"] == "13/20"


def test_vote02_14_yes_of_21_is_exactly_two_thirds():
    assert run_rule("VOTE-02", _ctx(attend=21, yes=14, no=7)) == []


def test_vote03_group_too_small():
    [f] = run_rule("VOTE-03", _ctx(attend=16, total=16))
    assert "少于20人" in f.explanation


def test_vote03_full_composition_is_clean():
    assert run_rule("VOTE-03", _ctx(attend=20, total=21)) == []


def test_vote04_more_ballots_than_attendees():
    [f] = run_rule("VOTE-04", _ctx(attend=20, yes=20, no=2))
    assert f.evidence["ballots"] == 22 and f.evidence["attendees"] == 20


def test_vote04_matching_tally_is_clean():
    assert run_rule("VOTE-04", _ctx(attend=20, yes=18, no=1, abstain=1)) == []


def test_vote05_applicants_son_voted():
    [f] = run_rule("VOTE-05", _ctx(attend=20, extra_attendees=(SON,)))
    assert f.person_id == SON and f.evidence["kinship_term"] == "父亲" and f.evidence["would_pass_without"]


def test_vote05_unrelated_panel_is_clean():
    assert run_rule("VOTE-05", _ctx(attend=21)) == []


def test_vote06_dead_person_signed_in():
    ctx = _ctx(attend=20, deaths=[{"person_id": PANEL[5], "death_date": "2021-06-01"}])
    [f] = run_rule("VOTE-06", ctx)
    assert f.person_id == PANEL[5] and f.evidence["kind"] == "absent_present"


def test_vote06_death_after_the_meeting_is_clean():
    assert run_rule("VOTE-06", _ctx(attend=20, deaths=[{"person_id": PANEL[5], "death_date": "2022-06-01"}])) == []


def test_vote07_approved_without_a_vote():
    ctx = _ctx(votes=[{"meeting_id": "M1", "case_id": "LB9", "yes": "21", "no": "0", "result": "通过"}])
    [f] = run_rule("VOTE-07", ctx)
    assert f.case_id == "LB1"


def test_vote07_skipped_where_the_profile_does_not_require_appraisal():
    from audit.profile import load_profile
    from audit.run import run_detectors
    from detectors.base import REGISTRY

    ctx = _ctx(votes=[{"meeting_id": "M1", "case_id": "LB9", "yes": "21", "no": "0", "result": "通过"}])
    ctx.profile = load_profile("nanchang-2019")
    found, log = run_detectors(ctx, [REGISTRY["VOTE-07"]])
    assert found == [] and log["VOTE-07"]["status"] == "skipped" and "appraisal_required" in log["VOTE-07"]["reason"]


def test_vote03_group_labels_written_differently_are_the_same_group():
    # register says 第1组/第2组; the attendance list writes 一组 and 2组 — both groups are represented
    att = [
        {
            "meeting_id": "M1",
            "person_id": p,
            "role": "村民代表" if i >= 4 else "村委成员",
            "group": ("一组", "2组")[i % 2],
        }
        for i, p in enumerate(PANEL[:21])
    ]
    assert run_rule("VOTE-03", _ctx(meeting_attendance=att)) == []
    att = [a | {"group": "一组"} for a in att]  # nobody from group 2
    [f] = run_rule("VOTE-03", _ctx(meeting_attendance=att))
    assert f.evidence["missing_groups"] == ["第2组"]


def test_vote07_emergency_case_needs_no_appraisal():
    def ctx(emergency):
        return make_ctx(
            persons=_people(),
            votes=[{"meeting_id": "M1", "case_id": "LB0", "yes": "20", "no": "0", "result": "通过"}],
            cases=[
                {
                    "case_id": "LB1",
                    "household_id": "H1",
                    "head_id": HEAD,
                    "village_code": V,
                    "township": "大河镇",
                    "area_type": "农村",
                    "benefit_type": "常补",
                    "enrolled_count": "1",
                    "monthly_amount": "300",
                    "approval_date": "2022-01-10",
                    "status": "在保",
                    "emergency": emergency,
                }
            ],
        )

    assert run_rule("VOTE-07", ctx("是")) == []
    [f] = run_rule("VOTE-07", ctx("否"))
    assert f.case_id == "LB1"


V2 = "522732001002"


def _two_meetings(list2, village2=V2, total2="21", total1="21"):
    att = [
        {"meeting_id": "M1", "person_id": p, "role": "村民代表" if i >= 4 else "村委成员", "group": f"第{i % 2 + 1}组"}
        for i, p in enumerate(PANEL[:20])
    ]
    att += [{"meeting_id": "M2", "person_id": p, "role": "村委成员"} for p in list2]
    meetings = [
        {
            "meeting_id": "M1",
            "village_code": V,
            "date": "2021-12-10",
            "start_time": "09:00",
            "end_time": "11:00",
            "members_total": total1,
        },
        {
            "meeting_id": "M2",
            "village_code": village2,
            "date": "2021-12-20",
            "start_time": "09:00",
            "end_time": "11:00",
            "members_total": total2,
        },
    ]
    return _ctx(meetings=meetings, meeting_attendance=att)


def test_vote06_attendance_list_copied_from_another_villages_meeting():
    found = run_rule("VOTE-06", _two_meetings(PANEL[:20]))
    copied = {f.meeting_id: f for f in found if f.evidence["kind"] == "copied_list"}
    assert set(copied) == {"M1", "M2"} and copied["M2"].evidence["other_village"] == V
    assert "另一村" in copied["M2"].explanation


def test_vote06_other_villages_meeting_with_its_own_people_is_clean():
    others = [pid("19720101", 201 + 2 * i) for i in range(20)]
    assert [f for f in run_rule("VOTE-06", _two_meetings(others)) if f.evidence["kind"] == "copied_list"] == []


def test_vote06_same_villages_full_panel_twice_is_no_copy():
    found = run_rule("VOTE-06", _two_meetings(PANEL[:20], village2=V, total2="20", total1="20"))
    assert [f for f in found if f.evidence["kind"] == "copied_list"] == []


def test_vote06_villager_representative_from_another_village():
    outsider = pid("19680101", 301)
    people = _people() + [person(outsider, "P99", name="外村人", village_code=V2)]
    att = [
        {"meeting_id": "M1", "person_id": p, "role": "村民代表" if i >= 4 else "村委成员", "group": f"第{i % 2 + 1}组"}
        for i, p in enumerate(PANEL[:20])
    ] + [{"meeting_id": "M1", "person_id": outsider, "role": "村民代表"}]
    [f] = run_rule("VOTE-06", _ctx(persons=people, meeting_attendance=att))
    assert f.evidence["kind"] == "outside_rep" and f.person_id == outsider and f.evidence["home_village"] == V2
    att[-1]["role"] = "驻村干部"  # a cadre sent from outside is no villager representative
    assert run_rule("VOTE-06", _ctx(persons=people, meeting_attendance=att)) == []


def test_vote03_open_ballot_where_the_profile_requires_a_secret_one():
    meetings = [
        {
            "meeting_id": "M1",
            "village_code": V,
            "date": "2021-12-10",
            "start_time": "09:00",
            "end_time": "11:00",
            "members_total": "21",
            "secret_ballot": "否",
        }
    ]
    [f] = run_rule("VOTE-03", _ctx(meetings=meetings))
    assert f.evidence["problems"] == ["未实行无记名投票"]
    meetings[0]["secret_ballot"] = "是"
    assert run_rule("VOTE-03", _ctx(meetings=meetings)) == []


def _unanimous_village(abstain_last="0"):
    """Village V: three meetings of its full panel deciding five cases, every tally without a no."""
    dates = ["2021-03-10", "2021-06-10", "2021-09-10"]
    meetings = [
        {"meeting_id": f"M{i}", "village_code": V, "date": d, "start_time": "09:00", "end_time": "11:00",
         "members_total": "21"}
        for i, d in enumerate(dates, 1)
    ]  # fmt: skip
    att = [
        {"meeting_id": m["meeting_id"], "person_id": p, "role": "村民代表", "group": "第1组"}
        for m in meetings
        for p in PANEL[:21]
    ]
    cases = [("M1", "LB1"), ("M1", "LB2"), ("M2", "LB3"), ("M3", "LB4"), ("M3", "LB5")]
    votes = [
        {"meeting_id": m, "case_id": c, "yes": "21", "no": "0", "abstain": abstain_last if c == "LB5" else "0",
         "result": "通过"}
        for m, c in cases
    ]  # fmt: skip
    return _ctx(meetings=meetings, meeting_attendance=att, votes=votes)


def test_vote06_every_tally_of_a_village_unanimous_flags_each_meeting():
    found = [f for f in run_rule("VOTE-06", _unanimous_village()) if f.evidence["kind"] == "all_unanimous"]
    assert sorted(f.evidence["meeting_id"] for f in found) == ["M1", "M2", "M3"]
    assert {(f.evidence["meetings"], f.evidence["cases"]) for f in found} == {(3, 5)}


def test_vote06_one_abstention_breaks_the_unanimous_pattern():
    found = run_rule("VOTE-06", _unanimous_village(abstain_last="1"))
    assert [f for f in found if f.evidence["kind"] == "all_unanimous"] == []
