"""KIN across county lines on hand-built extracts: the kinship shows only in the other county's records.

County A: 县民政局 staff member S and his wife W; W's sisters Z1, Z2, Z3 are on A's roll. County B records
W's parents' household: P (father) with daughters W, Z1, Z2, Z3 and a son O, a village cadre in B — A's
register has no link between W and her sisters. Z1 is not filed (KIN-01), Z2 is filed but never surveyed
(KIN-02), Z3's case A has already reported itself (its own run saw the link some other way); O is related to
them all, but A's cases are not B's cadre's.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from audit.province import (
    _KIN_TABLES,
    EXTRACTS,
    _kin_name,
    _local,
    cross_county_kin,
    duckdb_query,
    read_kin_tables,
    write_extracts,
)


def _frames(county: str, **tables: list[dict]) -> dict[str, pd.DataFrame]:
    cols = {_kin_name(n): c for n, c in _KIN_TABLES.items()} | {
        "kin_edges": ["a", "b", "kind", "source"],
        "kin_nodes": ["id", "sex", "birth"],
        "members": ["case_id", "person_id", "household_id", "village_code", "township"],
        "payout": ["case_id", "account_no", "reserved_phone", "household_id", "village_code", "township"],
        "relations": ["person_id", "relative_id"],
    }
    assert set(cols) | {"kin_ends"} == set(EXTRACTS)  # kin_ends is drawn from the others by write_extracts
    return {name: pd.DataFrame(tables.get(name, []), columns=cols[name]).assign(county=county) for name in cols}


def _case(case_id: str, head: str, village: str = "V1", township: str = "T1") -> dict:
    return {
        "case_id": case_id,
        "household_id": "H" + case_id,
        "head_id": head,
        "village_code": village,
        "township": township,
        "approval_date": "2022-03-01",
        "status": "在保",
        "exit_date": None,
    }


def _parent(p: str, c: str) -> dict:
    return {"a": p, "b": c, "kind": "parent", "source": "亲属关系表（户籍）"}


@pytest.fixture
def spool(tmp_path):
    a = _frames(
        "A县",
        kin_edges=[
            {"a": "S", "b": "W", "kind": "spouse", "source": "户籍：户主的配偶"},
            {"a": "W", "b": "S", "kind": "spouse", "source": "户籍：户主的配偶"},
        ],
        kin_nodes=[
            {"id": "S", "sex": "男", "birth": "1975-01-01"},
            {"id": "W", "sex": "女", "birth": "1977-01-01"},
            {"id": "Z1", "sex": "女", "birth": "1979-01-01"},
            {"id": "Z2", "sex": "女", "birth": "1981-01-01"},
            {"id": "Z3", "sex": "女", "birth": "1983-01-01"},
        ],
        kin_cases=[_case("C1", "Z1"), _case("C2", "Z2", "V7", "T3"), _case("C3", "Z3", "V2", "T2")],
        kin_case_members=[
            {"case_id": "C1", "person_id": "Z1", "enrolled": "是"},
            {"case_id": "C2", "person_id": "Z2", "enrolled": "是"},
            {"case_id": "C3", "person_id": "Z3", "enrolled": "是"},
        ],
        kin_officials=[
            {
                "person_id": "S",
                "name": "孙某",
                "role": "县民政局经办人员",
                "level": "县",
                "village_code": None,
                "township": None,
                "start_date": "2020-01-01",
                "end_date": None,
            }
        ],
        kin_filings=[{"official_id": "S", "relative_id": "Z2", "case_id": None}],
        kin_persons=[{"person_id": p, "name": n} for p, n in (("S", "孙某"), ("Z1", "王甲"), ("Z2", "王乙"))],
        kin_found=[{"official_id": "S", "case_id": "C3"}],
    )
    b = _frames(
        "B县",
        kin_edges=[_parent("P", "W"), _parent("P", "Z1"), _parent("P", "Z2"), _parent("P", "Z3"), _parent("P", "O")],
        kin_nodes=[{"id": "P", "sex": "男", "birth": "1950-01-01"}, {"id": "O", "sex": "男", "birth": "1973-01-01"}],
        kin_officials=[
            {
                "person_id": "O",
                "name": "王某",
                "role": "村委会主任",
                "level": "村",
                "village_code": "V1",
                "township": "T1",
                "start_date": "2020-01-01",
                "end_date": None,
            }
        ],
    )
    for county, frames in (("A县", a), ("B县", b)):
        write_extracts(tmp_path, county, frames)
    return tmp_path


def test_relatives_shown_only_by_another_countys_records_are_found(spool):
    found = cross_county_kin(
        duckdb_query(spool),
        lambda c: read_kin_tables(spool, c),
        "sandu-2021",
        {"A县": "2024-12-31", "B县": "2024-12-31"},
    )
    got = {(f.rule, f.official_id, f.case_id) for f in found}
    # Z1: the wife's sister, not filed; Z2: filed, no home survey, no recheck; C3 A reported itself; O of B
    # covers B's village V1, not A's case C1 in A's village of the same code
    assert got == {("KIN-01", "S", "C1"), ("KIN-02", "S", "C2")}
    kin01 = next(f for f in found if f.rule == "KIN-01")
    assert (
        kin01.evidence["counties"] == ["A县", "B县"] and kin01.evidence["kinship_term"] == "小姨子"
    )  # the wife's younger sister
    assert kin01.evidence["category"] == "配偶的兄弟姐妹及其配偶"
    assert kin01.explanation.endswith("该亲属关系见于B县的户籍或亲属关系登记（跨县）。")
    assert kin01.key_extra == "跨县" and kin01.policy_ref
    kin02 = next(f for f in found if f.rule == "KIN-02")
    assert "没有入户调查记录" in kin02.explanation


def test_without_the_other_countys_records_nothing_is_added(spool, tmp_path):
    import shutil

    shutil.rmtree(spool / "kin_edges" / "county_id=B县")
    write_extracts(spool, "B县", _frames("B县"))
    found = cross_county_kin(
        duckdb_query(spool),
        lambda c: read_kin_tables(spool, c),
        "sandu-2021",
        {"A县": "2024-12-31", "B县": "2024-12-31"},
    )
    assert found == []


def test_each_countys_ends_are_the_ids_on_its_edges_and_its_officials_once(spool):
    """kin_ends (what the bridge search groups) holds each id on a county's edges or among its officials once;
    a person on its nodes alone (Z1–Z3 in A) is not there, and virtual nodes are the county's own."""
    ends = pd.read_parquet(spool / "kin_ends")
    got = {c: sorted(g.id) for c, g in ends.groupby(ends.county.astype(str))}
    assert got == {"A县": ["S", "W"], "B县": ["O", "P", "W", "Z1", "Z2", "Z3"]}
    ids = pa.chunked_array([pa.array(["~父:H1", "P1", None]), pa.array(["~母:H2"])])
    assert _local(ids, "A县").to_pylist() == ["~父:H1@A县", "P1", None, "~母:H2@A县"]
