"""The Spark engine (local[2]) gives the default engine's findings, byte for byte: on the bundled sample
county, on a generated three-county province (cross-county findings included) and on the same province
exported to the Parquet layout a data platform holds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from audit.province import CROSS_SQL, CROSS_STEPS, PROVINCE_DIR, run_province
from data.generate import generate_province

ROOT = Path(__file__).resolve().parent.parent

if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
    if os.environ.get("CI"):
        pytest.fail("CI must install Java (openjdk-17-jre-headless) for the Spark engine tests", pytrace=False)
    pytest.skip("Java is not installed (CI installs openjdk-17-jre-headless)", allow_module_level=True)
pytest.importorskip("pyspark")


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "audit", *args], cwd=ROOT, capture_output=True, text=True, encoding="utf-8"
    )


def _same_findings(a: Path, b: Path) -> list[str]:
    """Every findings.csv under ``a`` has its twin under ``b`` with the same bytes; returns their paths."""
    got = sorted(p.relative_to(a).as_posix() for p in a.rglob("findings.csv"))
    assert got == sorted(p.relative_to(b).as_posix() for p in b.rglob("findings.csv"))
    for rel in got:
        x, y = pd.read_csv(a / rel, dtype=str), pd.read_csv(b / rel, dtype=str)
        assert len(x) and x.equals(y), rel
    return got


@pytest.fixture(scope="module")
def province(tmp_path_factory):
    root = tmp_path_factory.mktemp("province")
    generate_province(3, 6000, 3, root)
    return root


@pytest.fixture(scope="module")
def default_run(province, tmp_path_factory):
    out = tmp_path_factory.mktemp("duckdb")
    run_province(province, out=out)
    return out


def test_province_on_spark_gives_the_default_engines_findings(province, default_run, tmp_path):
    # the cluster's way for the cross-county pass (Spark SQL); the Parquet test below takes local's DuckDB
    r = _cli(
        "run",
        str(province),
        "--out",
        str(tmp_path / "spark"),
        "--engine",
        "spark",
        "--master",
        "local[2]",
        "--cross",
        "spark",
    )
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "spark" / PROVINCE_DIR / "run.json").read_text())["cross_county_engine"] == "spark"
    assert "跨县比对" in r.stdout and "ELIG-09 2" in r.stdout and "CARD-01 1" in r.stdout and "KIN-01" in r.stdout
    files = _same_findings(default_run, tmp_path / "spark")
    assert f"{PROVINCE_DIR}/findings.csv" in files and len(files) == 4
    # the cross-county findings are the planted ones, as on the default engine
    truth = pd.read_csv(province / "全省truth.csv", dtype=str).fillna("")
    cross = pd.read_csv(tmp_path / "spark" / PROVINCE_DIR / "findings.csv", dtype=str)
    assert set(cross[cross.rule == "ELIG-09"].person_id) == set(truth[truth.rule == "ELIG-09"].person_id)
    assert set(truth[truth.rule == "KIN-01"].case_id) <= set(cross[cross.rule == "KIN-01"].case_id)
    assert "Setting default log level" not in r.stderr  # Spark's own console output goes to .spark.log
    assert (tmp_path / "spark" / ".spark.log").exists()


def test_parquet_layout_audits_the_same_on_both_engines(province, default_run, tmp_path):
    """export-parquet: tables partitioned by county (county_id=…), rejects and notes beside them; read back,
    a county is the workspace its import gave — DATA-01 clues still name the original file and row."""
    r = _cli("export-parquet", str(province), "--out", str(tmp_path / "pq"))
    assert r.returncode == 0, r.stderr
    parts = sorted(p.parent.name for p in (tmp_path / "pq" / "persons").glob("*/part-0.parquet"))
    assert parts == ["county_id=福泉市", "county_id=荔波县", "county_id=都匀市"]
    r = _cli("run", str(tmp_path / "pq"), "--out", str(tmp_path / "spark"), "--engine", "spark", "--master", "local[2]")
    assert r.returncode == 0, r.stderr
    # local[…]: one machine, the cross-county pass on the driver's DuckDB
    assert json.loads((tmp_path / "spark" / PROVINCE_DIR / "run.json").read_text())["cross_county_engine"] == "duckdb"
    _same_findings(default_run, tmp_path / "spark")
    r = _cli("run", str(tmp_path / "pq"), "--out", str(tmp_path / "duck"))
    assert r.returncode == 0, r.stderr
    _same_findings(default_run, tmp_path / "duck")
    rejects = pd.read_csv(tmp_path / "spark" / "都匀市" / "rejects.csv", dtype=str)
    assert len(rejects) and set(rejects.file) <= {p.name for p in (province / "都匀市").iterdir()}


def test_sample_county_on_spark_gives_the_default_engines_findings(tmp_path):
    sample = ROOT / "data" / "sample"
    assert _cli("run", "sample", "--out", str(tmp_path / "duck")).returncode == 0
    r = _cli("run", str(sample), "--out", str(tmp_path / "spark"), "--engine", "spark", "--master", "local[2]")
    assert r.returncode == 0, r.stderr
    assert _same_findings(tmp_path / "duck", tmp_path / "spark") == ["findings.csv"]
    assert (tmp_path / "spark" / "run.json").exists() and (tmp_path / "spark" / "rejects.csv").exists()


def test_each_cross_county_check_is_one_text_for_both_engines():
    """The Spark SQL is SQLGlot's transpilation of the DuckDB text, not a second copy: each transpiles,
    and DuckDB gives the same rows for the transpiled text on a tiny province."""
    from audit.spark import spark_sql

    con = duckdb.connect()
    con.execute(
        """CREATE TABLE members AS SELECT * FROM (VALUES
             ('A', 'C1', 'P1', 'H1', 'V1', 'T1'), ('B', 'C9', 'P1', 'H9', 'V9', 'T9'),
             ('A', 'C2', 'P2', 'H2', 'V1', 'T1'))
             t(county, case_id, person_id, household_id, village_code, township)"""
    )
    con.execute(
        """CREATE TABLE payout AS SELECT * FROM (VALUES
             ('A', 'C1', '6217001', '13800000000', 'H1', 'V1', 'T1'),
             ('B', 'C9', '6217001', NULL, 'H9', 'V9', 'T9')) t(county, case_id, account_no, reserved_phone,
             household_id, village_code, township)"""
    )
    con.execute("CREATE TABLE relations AS SELECT 'P1' AS person_id, 'P2' AS relative_id, 'A' AS county")
    # an official O of A and Z, her sister: A records O's husband H; B records their parent P with both
    con.execute(
        """CREATE TABLE kin_edges AS SELECT * FROM (VALUES ('A', 'O', 'H', 'spouse', '户籍'),
             ('A', 'H', 'O', 'spouse', '户籍'), ('B', 'P', 'O', 'parent', '亲属关系表'),
             ('B', 'P', 'Z', 'parent', '亲属关系表'), ('B', 'Q', 'R', 'parent', '户籍'))
             t(county, a, b, kind, source)"""
    )
    con.execute(
        """CREATE TABLE kin_nodes AS SELECT * FROM (VALUES ('A', 'O', '女', '1970-01-01'),
             ('B', 'P', '男', '1940-01-01'), ('A', 'Z', '女', '1972-01-01')) t(county, id, sex, birth)"""
    )
    con.execute("CREATE TABLE kin_officials AS SELECT 'A' AS county, 'O' AS person_id")
    con.execute("""CREATE TABLE kin_ends AS SELECT DISTINCT id, county FROM (SELECT a AS id, county FROM kin_edges
                   UNION ALL SELECT b, county FROM kin_edges UNION ALL SELECT person_id, county FROM kin_officials)""")
    for name, text in CROSS_SQL.items():
        for step, step_text in CROSS_STEPS.get(name, {}).items():
            assert sorted(con.execute(step_text).fetchall()) == sorted(con.execute(spark_sql(step_text)).fetchall())
            con.execute(f"CREATE OR REPLACE TABLE {step} AS {spark_sql(step_text)}")
        spark_text = spark_sql(text)
        assert spark_text != text
        assert con.execute(text).fetchall() == con.execute(spark_text).fetchall(), name
    assert con.execute(CROSS_SQL["enrolled_twice"]).fetchall() == [
        ("A", "C1", "P1", "H1", "V1", "T1"),
        ("B", "C9", "P1", "H9", "V9", "T9"),
    ]
    assert len(con.execute(CROSS_SQL["shared_account_no"]).fetchall()) == 2
    assert con.execute(CROSS_SQL["shared_reserved_phone"]).fetchall() == []
    reach = con.execute(CROSS_SQL["kin_reach"]).df()
    assert set(reach.x) == {"O"} and set(zip(reach.a, reach.b, reach.via.fillna(""))) == {
        ("O", "H", ""),
        ("H", "O", ""),
        ("P", "O", "B"),
        ("P", "Z", "B"),
    }  # B's unrelated Q–R is out of reach
    assert reach.set_index("b").b_birth.to_dict()["Z"] == "1972-01-01"
