"""The run folder: findings.csv per the contract, run.json, rejects, store reuse, skips and crashes."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pandas as pd
import pytest

from audit.run import run_audit, run_detectors
from detectors.base import FINDING_COLUMNS, REGISTRY, DetectorSpec, Severity
from tests.factory import make_ctx, person, pid


def test_findings_csv_has_the_contract_columns_and_a_bom(audited):
    raw = (audited.out / "findings.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    f = pd.read_csv(audited.out / "findings.csv", dtype=str, encoding="utf-8-sig")
    assert list(f.columns) == FINDING_COLUMNS
    assert f.finding_id.is_unique and f.finding_id.str.fullmatch(r"[0-9a-f]{16}").all()
    for e in f.evidence:
        json.loads(e)
    assert set(f.severity) <= {"high", "medium", "low"}
    assert pd.read_parquet(audited.out / "findings.parquet").shape[0] == len(f)


def test_run_json_records_inputs_rules_and_timings(audited, county):
    run = json.loads((audited.out / "run.json").read_text(encoding="utf-8"))
    assert run["profile"]["name"] == "sandu-2021" and run["as_of"] == "2024-12-31"
    assert run["as_of_basis"] == "最新发放月份的月末"
    assert {i["table"] for i in run["inputs"]} >= {"persons", "cases", "officials", "withdrawals"}
    # each file's digest, taken once for the fingerprint and handed to the import, is the file's own
    assert all(i["sha256"] == hashlib.sha256((county / i["file"]).read_bytes()).hexdigest() for i in run["inputs"])
    assert run["row_counts"]["persons"]["rejected"] == 2
    assert set(run["timings"]) >= {"import", "detect", "write"}
    assert run["rules"]["DATA-01"]["status"] == "ran" and run["version"]


def test_finding_ids_are_stable_across_runs(audited, county, tmp_path):
    again = run_audit(county, "sandu-2021", tmp_path, strict=True)
    assert sorted(again.findings.finding_id) == sorted(audited.findings.finding_id)


def test_rerun_reuses_the_stored_import(county, tmp_path):
    first = run_audit(county, "sandu-2021", tmp_path, strict=True)
    second = run_audit(county, "sandu-2021", tmp_path, strict=True)
    assert not first.run["import_reused"] and second.run["import_reused"]
    assert second.findings.equals(first.findings)
    # the store keeps the import's own notes (it is written while the run goes on adding its own)
    assert second.run["warnings"] == first.run["warnings"]


def test_rejects_csv_is_written(audited):
    r = pd.read_csv(audited.out / "rejects.csv", encoding="utf-8-sig")
    assert list(r.columns[:6]) == ["table", "file", "row", "column", "value", "reason_code"]
    assert len(r) == json.loads((audited.out / "run.json").read_text(encoding="utf-8"))["rejects"]


def _spec(code, fn, requires=(), params=()):
    return DetectorSpec(code, fn, Severity.LOW, "测试", requires, params)


def test_missing_table_and_silent_parameter_are_skips_and_a_crash_is_recorded():
    ctx = make_ctx(profile="nanchang-2019", persons=[person(pid())])

    def boom(ctx):
        """Doc."""
        raise ZeroDivisionError("x")
        yield

    specs = [
        _spec("VOTE-01", lambda c: [], requires=("meetings",)),
        _spec("VOTE-02", lambda c: [], params=("appraisal_approval_share",)),
        _spec("VOTE-03", boom),
    ]
    found, log = run_detectors(ctx, specs)
    assert found == []
    assert log["VOTE-01"] == {
        "title_zh": "测试",
        "severity": "low",
        "status": "skipped",
        "reason": "缺少数据表：meetings",
    }
    assert "未规定参数：appraisal_approval_share" in log["VOTE-02"]["reason"]
    assert log["VOTE-03"]["status"] == "error" and "ZeroDivisionError" in log["VOTE-03"]["reason"]
    with pytest.raises(ZeroDivisionError):
        run_detectors(ctx, specs, strict=True)


def test_as_of_override_changes_the_reference_date(county, tmp_path):
    import datetime as dt

    res = run_audit(county, "sandu-2021", tmp_path, as_of=dt.date(2024, 6, 30), strict=True)
    assert res.run["as_of"] == "2024-06-30" and res.run["as_of_basis"] == "命令行 --as-of"


def test_every_registered_rule_ran(audited):
    assert set(audited.run["rules"]) == set(REGISTRY)
    assert audited.run["rules_summary"]["error"] == 0


def test_case_timeline_orders_the_procedure(audited):
    from audit.timeline import case_timeline

    case = audited.ctx.table("cases").case_id.iloc[0]
    t = case_timeline(audited.ctx, case)
    assert t.date.is_monotonic_increasing
    events = list(t.event)
    for a, b in (("申请", "受理"), ("受理", "民主评议"), ("民主评议", "乡镇审核"), ("乡镇审核", "县级审批/审核确认")):
        assert events.index(a) < events.index(b)
    assert {"一榜公示", "民主评议会议", "审批"} <= set(events)


def test_formula_text_from_input_stays_text_in_csv_and_excel(tmp_path):
    """A case id written as =HYPERLINK(…) must not become a live formula in any export."""
    import io

    import openpyxl

    from audit.results import csv_safe, to_excel_bytes

    frame = pd.DataFrame({"case_id": ['=HYPERLINK("http://x","点我")', "+1", "LB1"], "n": [1, -2, 3]})
    assert csv_safe(frame).case_id.tolist() == ['\'=HYPERLINK("http://x","点我")', "'+1", "LB1"]
    assert csv_safe(frame).n.tolist() == [1, -2, 3]  # numbers untouched
    ws = openpyxl.load_workbook(io.BytesIO(to_excel_bytes({"表": frame}))).active
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK")


def test_outputs_are_written_atomically(tmp_path):
    from audit.store import atomic_write

    target = tmp_path / "findings.csv"
    target.write_text("old", encoding="utf-8")

    def crash(p):
        p.write_text("half", encoding="utf-8")
        raise OSError(28, "No space left on device")

    from audit.errors import AuditError

    with pytest.raises(AuditError, match="无法写出"):
        atomic_write(target, crash)
    assert target.read_text(encoding="utf-8") == "old" and not list(tmp_path.glob(".*.tmp"))


def _killed_rerun(county, out, stage_name):
    import subprocess
    import sys

    env = {**os.environ, "DIBAO_TEST_KILL_AFTER_STAGING": stage_name}
    code = (
        "import sys; from audit.run import run_audit; "
        "run_audit(sys.argv[1], 'sandu-2021', sys.argv[2], rules=['KIN-01'])"
    )
    return subprocess.run([sys.executable, "-c", code, str(county), str(out)], env=env, capture_output=True)


@pytest.mark.parametrize("stage_name", ["workspace.duckdb", "findings.parquet", "rejects.csv", "run.json"])
def test_a_run_killed_while_writing_leaves_the_previous_run_whole(county, tmp_path, stage_name):
    from audit.results import load_results

    first = run_audit(county, "sandu-2021", tmp_path, rules=["KIN", "CARD"])
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    # a different rule selection and a changed input so that every output would differ
    (county / "zz_note.txt").write_text("x", encoding="utf-8")
    try:
        proc = _killed_rerun(county, tmp_path, stage_name)
    finally:
        (county / "zz_note.txt").unlink()
    assert proc.returncode == 137, proc.stderr.decode()
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file() and not p.name.startswith(".staged-")}
    assert after == before  # nothing of the killed run is visible
    res = load_results(tmp_path)  # and the previous run reads as complete
    assert sorted(res.findings.finding_id) == sorted(first.findings.finding_id)
    again = run_audit(county, "sandu-2021", tmp_path, rules=["KIN-01"])  # the next run cleans up
    assert not list(tmp_path.glob(".staged-*")) and again.run["outputs"]["findings.parquet"]["bytes"] > 0


def test_a_reader_never_mixes_two_runs_and_a_damaged_run_json_is_a_chinese_error(audited, tmp_path):
    import shutil

    from audit.store import RunFolderError, read_run

    for p in audited.out.iterdir():
        if p.is_file():
            shutil.copy(p, tmp_path / p.name)
    assert read_run(tmp_path)["as_of"] == audited.run["as_of"]
    # a newer findings file renamed in before its run.json (a reader arriving mid-commit)
    with open(tmp_path / "findings.parquet", "ab") as f:
        f.write(b"\0")
    with pytest.raises(RunFolderError, match="不完整.*findings.parquet"):
        read_run(tmp_path, wait=0.2)
    (tmp_path / "run.json").write_text('{"as_of": "2024-', encoding="utf-8")
    with pytest.raises(RunFolderError, match="已损坏") as got:
        read_run(tmp_path)
    assert str(tmp_path.parent) not in str(got.value)  # no server paths for the user
    (tmp_path / "run.json").unlink()
    with pytest.raises(RunFolderError, match="没有找到审计结果"):
        read_run(tmp_path)


def test_a_full_disk_while_writing_is_a_clear_error_and_the_previous_run_stays(county, tmp_path, monkeypatch):
    from audit.errors import AuditError
    from audit.results import load_results

    first = run_audit(county, "sandu-2021", tmp_path, rules=["KIN-01"])

    def full(self, path, **kw):
        Path(path).write_bytes(b"PAR1half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    with pytest.raises(AuditError, match="无法写出.*磁盘是否已满.*上一次的运行结果保持不变"):
        run_audit(county, "sandu-2021", tmp_path, rules=["KIN", "CARD"])
    monkeypatch.undo()
    assert not list(tmp_path.glob(".staged-*"))
    assert load_results(tmp_path).findings.finding_id.tolist() == first.findings.finding_id.tolist()


def test_a_full_disk_while_the_store_is_written_beside_the_rules_is_a_clear_error(county, tmp_path, monkeypatch):
    """The imported tables are written on a thread while the rules run: its failure still stops the run with
    the same Chinese error, and nothing of the failed run is left or visible."""
    import audit.run
    from audit.errors import AuditError
    from audit.results import load_results

    first = run_audit(county, "sandu-2021", tmp_path, rules=["KIN-01"])
    (county / "zz_note.txt").write_text("x", encoding="utf-8")  # a changed input: the import is redone

    def full(path, *args, **kw):
        Path(path).write_bytes(b"DUCK half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(audit.run, "write_store", full)
    try:
        with pytest.raises(AuditError, match="无法写出.*workspace.duckdb.*磁盘是否已满"):
            run_audit(county, "sandu-2021", tmp_path, rules=["KIN", "CARD"])
    finally:
        (county / "zz_note.txt").unlink()
    assert not list(tmp_path.glob(".staged-*"))
    assert load_results(tmp_path).findings.finding_id.tolist() == first.findings.finding_id.tolist()


def test_stored_tables_read_back_as_duckdb_would_give_them(county, tmp_path):
    """The store is read through Arrow (a Python string per cell was seconds and gigabytes at a million
    residents); every frame must be what DuckDB's own pandas conversion gives — dtypes and values — including
    an empty table and a DATE column, where the two conversions differ and the store falls back."""
    import duckdb

    from audit.store import STORE, read_store, store_tables

    run_audit(county, "sandu-2021", tmp_path, strict=True)
    con = duckdb.connect(str(tmp_path / STORE), read_only=True)
    got = store_tables(con)
    assert {"persons", "cases", "payments"} <= set(got)
    for name, frame in got.items():
        want = con.table(f'"{name}"').df()
        assert frame.dtypes.astype(str).equals(want.dtypes.astype(str)), name
        assert frame.equals(want), name
    con.close()
    assert read_store(tmp_path / STORE) is not None
    odd = duckdb.connect()
    odd.execute("""CREATE TABLE empty_one (a VARCHAR, b DOUBLE); CREATE TABLE dated (d DATE, a VARCHAR);
                   CREATE TABLE money (m DECIMAL(10, 2), l VARCHAR[], n INTEGER, t TIMESTAMP, ok BOOLEAN)""")
    odd.execute("INSERT INTO dated VALUES ('2024-01-31', '甲')")
    odd.execute(
        "INSERT INTO money VALUES (300.50, ['a', 'b'], NULL, '2024-01-31 08:00:00', NULL), (1, [], 2, NULL, true)"
    )
    for name, frame in store_tables(odd).items():
        want = odd.table(name).df()
        assert frame.dtypes.astype(str).equals(want.dtypes.astype(str)) and frame.equals(want), name


def test_rules_allocator_is_restored_after_the_block_and_an_explicit_choice_is_kept(monkeypatch):
    import pyarrow as pa

    from audit.memory import release_freed_memory, system_allocator

    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    before = pa.default_memory_pool().backend_name
    with system_allocator():
        assert pa.default_memory_pool().backend_name == "system"
        kept = pa.array(["甲"] * 1000)  # a buffer made in the block outlives it
        release_freed_memory()
    assert pa.default_memory_pool().backend_name == before and kept[999].as_py() == "甲"
    monkeypatch.setenv("ARROW_DEFAULT_MEMORY_POOL", before)
    with system_allocator():
        assert pa.default_memory_pool().backend_name == before


def test_the_store_gives_back_the_tables_it_was_given(tmp_path):
    """Written through Arrow where a frame converts (and as the frame where a column mixes types), every
    table reads back with its values and types."""
    import datetime as dt

    from audit.store import read_store, write_store

    tables = {
        "persons": pd.DataFrame(
            {
                "person_id": pd.Series(["522732198001010016", "52273219800101002X"], dtype="str"),
                "birth_date": pd.Series(pd.to_datetime(["1980-01-01", None]), dtype="datetime64[us]"),
                "count": pd.Series([1, None], dtype="Int64"),
                "amount": [1.5, None],
                "blank": pd.Series([None, None], dtype=object),
            }
        ),
        "notes": pd.DataFrame({"when": [dt.date(2021, 3, 1), None], "mixed": pd.Series([1, "一"], dtype=object)}),
    }
    rejects = pd.DataFrame({"table": ["persons"], "row": [3]})
    write_store(tmp_path / "w.duckdb", tables, rejects, {"k": 1})
    got, rej, meta = read_store(tmp_path / "w.duckdb")
    assert meta == {"k": 1} and list(rej.row) == [3]
    p = got["persons"]
    assert list(p.person_id) == list(tables["persons"].person_id)
    assert p.birth_date.iloc[0] == pd.Timestamp("1980-01-01") and pd.isna(p.birth_date.iloc[1])
    assert p["count"].iloc[0] == 1 and pd.isna(p["count"].iloc[1]) and p.amount.iloc[0] == 1.5
    assert p.blank.isna().all()
    assert list(got["notes"].mixed) == ["1", "一"]
    # the Arrow snapshot written beside the rules (each table dropped once written) reads back the same
    from audit.store import store_snapshot

    del tables["notes"]  # a column mixing types: no snapshot (written from the frames, as above)
    assert (
        store_snapshot({**tables, "notes": pd.DataFrame({"mixed": pd.Series([1, "一"], dtype=object)})}, rejects)
        is None
    )
    snap, snap_rejects = store_snapshot(tables, rejects)
    write_store(tmp_path / "s.duckdb", snap, snap_rejects, {"k": 2}, consume=True)
    assert snap == {}
    again, _, meta = read_store(tmp_path / "s.duckdb")
    assert meta == {"k": 2}
    pd.testing.assert_frame_equal(again["persons"], got["persons"])
