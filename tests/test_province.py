"""A province on one machine: several generated counties audited one by one, then across county lines."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from audit.province import county_folders, run_province
from data.generate import generate_province


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("province")
    generate_province(3, 6000, 3, root)
    return root


def test_generated_counties_are_distinct_counties(province):
    folders = county_folders(province)
    assert [f.name for f in folders] == sorted(["都匀市", "福泉市", "荔波县"])
    ids = [set(pd.read_csv(f / "persons.csv", dtype=str).person_id) for f in folders]
    cards = [set(pd.read_csv(f / "accounts.csv", dtype=str).account_no) for f in folders]
    truth = pd.read_csv(province / "全省truth.csv", dtype=str).fillna("")
    planted_person = set(truth[truth.rule == "ELIG-09"].person_id)
    planted_card = set(truth[truth.rule == "CARD-01"].account_no)
    for i in range(3):
        for j in range(i + 1, 3):
            assert ids[i] & ids[j] <= planted_person  # only the planted person is on two registers
            assert cards[i] & cards[j] <= planted_card


def test_cross_county_findings_are_the_planted_ones_and_only_those(province, tmp_path):
    res = run_province(province, out=tmp_path / "out")
    truth = pd.read_csv(province / "全省truth.csv", dtype=str).fillna("")
    f = res.findings
    dup = f[f.rule == "ELIG-09"]
    want = truth[truth.rule == "ELIG-09"]
    assert set(zip(dup.case_id, dup.person_id)) == set(zip(want.case_id, want.person_id))
    card = f[f.rule == "CARD-01"]
    assert list(card.account_no) == list(truth[truth.rule == "CARD-01"].account_no)
    # a married-out daughter's case paid to her parent's card in the next county: related, not a finding
    [decoy] = truth[truth.rule == "decoy:CARD-01"].itertuples()
    assert decoy.account_no not in set(card.account_no)
    # sisters married from one county into another, a cadre and a beneficiary of one village, linked only by
    # their parent's records in the home county: KIN-01 across county lines (with whatever else the link
    # reveals, e.g. the beneficiary's son's own case); the same link to a case of another township is none
    [kin] = truth[truth.rule == "KIN-01"].itertuples()
    related = f[f.rule == "KIN-01"]
    assert kin.case_id in set(related.case_id) and set(related.official_id) == {kin.official_id}
    assert related.explanation.str.contains("跨县").all() and (related.counties.str.count("、") == 1).all()
    [far] = truth[truth.rule == "decoy:KIN-01"].itertuples()
    assert far.case_id not in set(f.case_id) and far.official_id not in set(f.official_id)
    county_run = pd.read_csv(tmp_path / "out" / kin.county / "findings.csv", dtype=str)
    assert kin.official_id not in set(county_run[county_run.rule.str.startswith("KIN")].official_id)
    assert set(f.rule) == {"ELIG-09", "CARD-01", "KIN-01"}, f[
        ["rule", "explanation"]
    ]  # the shared card is not a shared phone too
    assert all("跨县" in e for e in f.explanation)
    assert not f.explanation.str.contains(r"\d{17}[\dX]").any()  # ids masked
    # every county has its own complete run folder, and the province folder lists them
    run = json.loads((tmp_path / "out" / "全省" / "run.json").read_text(encoding="utf-8"))
    assert set(run["counties"]) == {p.name for p in county_folders(province)}
    for name in run["counties"]:
        assert (tmp_path / "out" / name / "findings.csv").exists()
    on_disk = pd.read_csv(tmp_path / "out" / "全省" / "findings.csv", dtype=str, encoding="utf-8-sig")
    assert sorted(on_disk.finding_id) == sorted(f.finding_id) and on_disk.counties.str.contains("、").all()


def test_cli_runs_a_folder_of_counties_as_a_province(province, tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "audit", "run", str(province), "--out", str(tmp_path / "o"), "--quiet"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "全省 3 个县审计完成；跨县比对" in r.stdout and "KIN-01" in r.stdout and "Traceback" not in r.stderr
