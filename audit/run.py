"""Orchestration: import (or reuse the stored import), run every registered detector, write outputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd

from audit import __version__
from audit.context import AuditContext
from audit.errors import AuditError
from audit.load import (
    MAPPING_FILE,
    REJECT_COLUMNS,
    SUFFIXES,
    Workspace,
    load_workspace,
)
from audit.memory import release_freed_memory, system_allocator
from audit.profile import Profile, load_profile
from audit.progress import Progress
from audit.results import csv_safe
from audit.store import STORE, RunWriter, asdicts, open_store, read_store, store_snapshot, write_store
from detectors.base import FINDING_COLUMNS, DetectorSpec, Finding, all_detectors

__all__ = ["AuditResult", "run_audit", "findings_frame", "default_as_of", "run_detectors", "open_store"]


@dataclass
class AuditResult:
    findings: pd.DataFrame
    run: dict
    out: Path | None
    ctx: AuditContext


def findings_frame(findings: Iterable[Finding]) -> pd.DataFrame:
    rows = []
    for f in findings:
        rows.append(
            {
                "finding_id": f.finding_id,
                "rule": f.rule,
                "family": f.family,
                "severity": f.severity.value,
                "score": round(float(f.score), 4),
                "case_id": f.case_id,
                "household_id": f.household_id,
                "person_id": f.person_id,
                "official_id": f.official_id,
                "account_no": f.account_no,
                "meeting_id": f.meeting_id,
                "village_code": f.village_code,
                "township": f.township,
                "explanation": f.explanation,
                "evidence": json.dumps(dict(f.evidence), ensure_ascii=False, default=str, sort_keys=True),
                "policy_ref": f.policy_ref,
            }
        )
    frame = pd.DataFrame(rows, columns=FINDING_COLUMNS)
    return frame.astype({c: "object" for c in FINDING_COLUMNS if c != "score"})


def default_as_of(tables: dict[str, pd.DataFrame], min_share: float) -> tuple[dt.date, str, str | None]:
    """End of the latest real payout month — never the wall clock, never one stray row.

    A month holding fewer than ``min_share`` of the median month's payment rows (a typo such as 2042-01
    in one row) does not count; such rows are named in the returned warning.
    """
    pay = tables.get("payments")
    if pay is not None and len(pay) and pay.period.notna().any():
        per_month = pay.period.dropna().value_counts().sort_index()
        real = per_month[per_month >= min_share * per_month.median()]
        last = pd.Timestamp(real.index.max())
        stray = per_month[per_month.index > last]
        warning = None
        if len(stray):
            warning = (
                f"发放记录中有{int(stray.sum())}行的发放月份晚于最后一个正常发放月"
                f"（{last:%Y年%m月}），最晚为{pd.Timestamp(stray.index.max()):%Y年%m月}：多为录入错误，"
                f"未据此确定核查基准日，请核对。"
            )
        return (last + pd.offsets.MonthEnd(0)).date(), "最新发放月份的月末", warning
    cases = tables["cases"]
    dates = pd.concat([pd.to_datetime(cases[c]) for c in ("approval_date", "exit_date") if c in cases]).dropna()
    if len(dates):
        return dates.max().date(), "名册中最晚的审批/停保日期（无发放记录）", None
    raise AuditError("无法确定核查基准日：没有发放记录，名册中也没有日期。请用 --as-of 指定。")


def folder_fingerprint(workspace: Path, digests: dict[str, str] | None = None) -> str:
    """Hash of every table file and of the import code (a new loader invalidates the store). Each file's
    SHA-256 is put in ``digests`` (file name -> hex) for the import of the same run."""
    from concurrent.futures import ThreadPoolExecutor

    from audit.load import file_sha256

    h = hashlib.sha256()
    for mod in ("load.py", "sheets.py", "schema.py", "parse.py", "ids.py"):
        h.update((Path(__file__).parent / mod).read_bytes())
    files = [
        p
        for p in sorted(workspace.iterdir())
        if p.is_file()
        and (p.suffix.lower() in SUFFIXES or p.name == MAPPING_FILE)
        and not p.name.startswith((".", "~$"))
    ]
    # two files hashed at a time (hashlib lets go of the GIL), each digest kept for the import's record
    with ThreadPoolExecutor(2) as pool:
        for p, digest in zip(files, pool.map(file_sha256, files)):
            h.update(p.name.encode())
            h.update(bytes.fromhex(digest))
            if digests is not None:
                digests[p.name] = digest
    return h.hexdigest()[:16]


def _save_store(writer: RunWriter, ws: Workspace, fp: str) -> Callable[[], None]:
    """Stage the imported workspace for reuse by a rerun: the tables and meta as imported (the run adds
    warnings, and rules may add columns, later). Returns what starts the writing — on a thread of its own
    from an Arrow snapshot, so that the rules run meanwhile — or writes it now where a frame has a column
    Arrow cannot take."""
    meta = json.loads(json.dumps({"fingerprint": fp, **ws.meta()}, ensure_ascii=False, default=str))
    snapshot = store_snapshot(ws.tables, ws.rejects)
    if snapshot is None:
        writer.stage(STORE, lambda p: write_store(p, ws.tables, ws.rejects, meta))
        return lambda: None
    return lambda: writer.stage_behind(STORE, lambda p: write_store(p, *snapshot, meta, consume=True))


def _load_store(out: Path, fp: str) -> Workspace | None:
    got = read_store(out / STORE)
    if got is None or got[2].get("fingerprint") != fp:
        return None
    return Workspace.restore(*got)


def run_detectors(
    ctx: AuditContext,
    specs: list[DetectorSpec],
    *,
    strict: bool = False,
    on_rule: Callable[[int, str], None] | None = None,
) -> tuple[list[Finding], dict]:
    """Run detectors; missing tables and silent parameters are skips, crashes are recorded."""
    findings: list[Finding] = []
    log: dict[str, dict] = {}
    for i, spec in enumerate(specs):
        if on_rule:
            on_rule(i, spec.code)
        entry = {"title_zh": spec.title_zh, "severity": spec.severity.value}
        if missing := [t for t in spec.requires if not ctx.has(t)]:
            log[spec.code] = {**entry, "status": "skipped", "reason": f"缺少数据表：{'、'.join(missing)}"}
            continue
        if silent := ctx.profile.silent(spec.params):
            log[spec.code] = {
                **entry,
                "status": "skipped",
                "reason": f"政策配置 {ctx.profile.name} 未规定参数：{'、'.join(silent)}",
            }
            continue
        t0 = time.perf_counter()
        try:
            got = [dataclasses.replace(f, policy_ref=f.policy_ref or spec.policy_ref) for f in spec.fn(ctx)]
        except Exception as exc:  # one detector's crash must not stop the audit
            if strict:
                raise
            log[spec.code] = {
                **entry,
                "status": "error",
                "reason": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=5),
            }
            continue
        findings.extend(got)
        log[spec.code] = {**entry, "status": "ran", "findings": len(got), "seconds": round(time.perf_counter() - t0, 3)}
        release_freed_memory()  # the rule's intermediate frames are gone: their pages go back to the system
    return findings, log


def run_audit(
    workspace: str | Path,
    profile: str | Profile = "sandu-2021",
    out: str | Path | None = None,
    *,
    as_of: dt.date | None = None,
    strict: bool = False,
    rules: list[str] | None = None,
    progress: Progress | None = None,
    loaded: Workspace | None = None,
) -> AuditResult:
    """Import a workspace, run the selected rules and (with ``out``) write the run folder.

    ``loaded`` is a workspace already imported elsewhere (a county read back from the Parquet layout of a
    data platform): the audit starts from its tables, rejects and notes instead of reading files.

    Writes findings.csv (UTF-8 BOM), findings.parquet, rejects.csv, run.json and the imported
    workspace as a DuckDB store that a rerun or the dashboard reuses when inputs are unchanged.
    """
    progress = progress or Progress(quiet=True)
    workspace = Path(workspace)
    out_dir = Path(out) if out else None
    writer = RunWriter(out_dir) if out_dir else None
    try:
        return _run(
            workspace,
            profile=profile,
            writer=writer,
            as_of=as_of,
            strict=strict,
            rules=rules,
            progress=progress,
            loaded=loaded,
        )
    except BaseException:
        if writer:
            writer.abort()  # staged files of an unfinished run are removed; the previous run stays
        raise


def places(tables: dict[str, pd.DataFrame]) -> dict:
    """The county's name (the register's most common 县) and every village's name by code, so that
    exports and documents name places the way people say them rather than by code."""
    p = tables.get("persons", pd.DataFrame())
    county = p["county"].dropna().mode() if "county" in p else pd.Series(dtype=object)
    villages = {}
    if {"village_code", "village_name"} <= set(p.columns):
        v = p.dropna(subset=["village_code", "village_name"])
        villages = v.groupby("village_code").village_name.agg(lambda s: s.mode().iloc[0]).to_dict()
    return {
        "county": str(county.iloc[0]) if len(county) else "",
        "villages": {str(k): str(x) for k, x in villages.items()},
    }


def _run(
    workspace: Path,
    profile: str | Profile,
    writer: RunWriter | None,
    as_of: dt.date | None,
    strict: bool,
    rules: list[str] | None,
    progress: Progress,
    loaded: Workspace | None = None,
) -> AuditResult:
    out_dir = writer.folder if writer else None
    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    digests: dict[str, str] = {}
    with progress.stage("fingerprint", "计算输入指纹", 0.02):
        fp = folder_fingerprint(workspace, digests) if workspace.is_dir() and loaded is None else ""
    ws = loaded if loaded is not None else _load_store(out_dir, fp) if out_dir else None
    reused = ws is not None and loaded is None
    with progress.stage("import", "导入数据（沿用已导入的数据库）" if reused else "导入数据", 0.05):
        if ws is None:
            ws = load_workspace(workspace, progress=lambda m: progress.say(m), digests=digests)
    start_store = _save_store(writer, ws, fp) if writer and not reused else (lambda: None)
    if writer and reused:
        writer.keep(STORE)
    if as_of is None:
        as_of, as_of_basis, stray = default_as_of(ws.tables, float(prof.fraction("as_of_min_period_share")))
        if stray:
            ws.warnings.append(stray)
    else:
        as_of_basis = "命令行 --as-of"
    ctx = AuditContext(ws.tables, prof, as_of, ws.rejects)
    specs = [s for s in all_detectors() if rules is None or s.code in rules or s.family in rules]
    if {"persons", "officials"} <= set(ws.tables):
        with progress.stage("kinship", "计算干部近亲属关系", 0.3):
            _ = ctx.official_relatives
    start_store()  # after kinship (whose DuckDB takes both cores), beside the rules (mostly on one)
    # the rules' intermediate frames from the allocator whose freed pages can be handed back after each rule
    # (the import keeps Arrow's default: with the C library's, its large buffers cost page faults and memory)
    with progress.stage("detect", "运行检测规则", 0.4), system_allocator():
        findings, log = run_detectors(
            ctx,
            specs,
            strict=strict,
            on_rule=lambda i, code: progress.say(
                f"规则 {code}（{i + 1}/{len(specs)}）", 0.4 + 0.5 * i / max(len(specs), 1)
            ),
        )
    frame = findings_frame(findings)
    ws.warnings.extend(ctx.warnings)  # run-level notes the rules raised (AuditContext.warn)
    dups = frame[frame.finding_id.duplicated(keep=False)]
    if len(dups):
        raise AuditError(f"检测结果编号重复（规则 {sorted(set(dups.rule))}）：请在检测器中用 key_extra 区分。")
    frame = frame.sort_values(
        ["severity", "rule", "finding_id"],
        key=lambda s: s.map({"high": 0, "medium": 1, "low": 2}) if s.name == "severity" else s,
        kind="stable",
    ).reset_index(drop=True)
    run = {
        "tool": "dibao-audit",
        "version": __version__,
        "workspace": str(workspace),
        "profile": {"name": prof.name, "chain": prof.chain, "params": prof.as_dict()},
        "as_of": as_of.isoformat(),
        "as_of_basis": as_of_basis,
        "input_fingerprint": fp,
        "import_reused": reused,
        "inputs": asdicts(ws.sources),
        "row_counts": {
            s.table: {
                "read": s.rows_read,
                "loaded": s.rows_loaded,
                "rejected": s.rows_rejected,
                "cells_cleared": s.cells_cleared,
            }
            for s in ws.sources
        },
        "places": places(ws.tables),
        "rejects": len(ws.rejects),
        "warnings": ws.warnings,
        "unused_files": ws.unused,
        "rules": log,
        "rules_summary": {k: sum(1 for v in log.values() if v["status"] == k) for k in ("ran", "skipped", "error")},
        "findings": {"total": len(frame), **frame.groupby("rule").size().to_dict()},
        "timings": progress.timings,
    }
    if writer:
        with progress.stage("write", "写出结果", 0.95):
            # staged beside their names, then renamed in with run.json last (audit.store): a run killed
            # while writing leaves the previous run whole, and readers never mix two runs
            writer.stage("findings.csv", lambda p: csv_safe(frame).to_csv(p, index=False, encoding="utf-8-sig"))
            writer.stage("findings.parquet", lambda p: frame.to_parquet(p, index=False))
            writer.stage(
                "rejects.csv",
                lambda p: csv_safe(ws.rejects.reindex(columns=REJECT_COLUMNS)).to_csv(
                    p, index=False, encoding="utf-8-sig"
                ),
            )
        run["timings"] = progress.timings
        writer.commit(run)
    progress.done(f"完成：{len(frame):,} 条问题线索，{len(ws.rejects):,} 条导入异常")
    return AuditResult(frame, run, out_dir, ctx)
