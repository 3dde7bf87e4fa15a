"""The case ledger (线索台账/整改台账) in SQLite: statuses, assignees, notes and a full history.

Re-running an audit merges by ``finding_id``: statuses and notes survive, findings that no longer
fire become 已消除, and a finding dismissed as false (不属实) with a reason is not raised again
unless its evidence changed. Every write is one SQLite transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pandas as pd

from audit.errors import AuditError

__all__ = ["Ledger", "VisitLedger", "STATUSES", "VISIT_STATUSES", "DISMISSAL_REASONS"]

STATUSES = ("待核实", "核实中", "属实", "部分属实", "不属实", "整改中", "已整改", "已移交纪检", "已消除")
DISMISSAL_REASONS = ("同名不同人", "已备案", "政策允许", "数据错误", "已整改完毕", "其他")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS clue (
  finding_id TEXT PRIMARY KEY, rule TEXT, severity TEXT, case_id TEXT, township TEXT, village_code TEXT,
  explanation TEXT, evidence_hash TEXT, status TEXT NOT NULL, assignee TEXT, due_date TEXT, note TEXT,
  dismissal_reason TEXT, first_seen TEXT, last_seen TEXT, updated_at TEXT);
CREATE TABLE IF NOT EXISTS history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, finding_id TEXT, at TEXT, who TEXT, field TEXT, old TEXT, new TEXT);
"""


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


class Ledger:
    """A ledger file (SQLite, WAL journal) next to the run folders of one county."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
        finally:
            con.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        try:
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    def merge(self, findings: pd.DataFrame, who: str = "系统", townships: set[str] | None = None) -> dict[str, int]:
        """Bring a run's findings into the ledger; returns counts of new, kept, reopened, cleared.

        ``townships``: the merging user's jurisdiction. Only clues of those townships are touched — a
        township user's merge never clears (已消除) another township's clues."""
        now = _now()
        counts = {"new": 0, "kept": 0, "reopened": 0, "cleared": 0, "suppressed": 0}
        if townships is not None:
            findings = findings[findings.township.isin(townships)]
        with self._tx() as con:
            old = {
                r[0]: r
                for r in con.execute("SELECT finding_id, status, evidence_hash, township FROM clue")
                if townships is None or r[3] in townships
            }
            seen = set()
            for r in findings.itertuples(index=False):
                h = hashlib.sha1(str(r.evidence).encode("utf-8")).hexdigest()[:16]
                seen.add(r.finding_id)
                prev = old.get(r.finding_id)
                if prev is None:
                    con.execute(
                        "INSERT INTO clue VALUES (?,?,?,?,?,?,?,?,?,NULL,NULL,NULL,NULL,?,?,?)",
                        (
                            r.finding_id,
                            r.rule,
                            r.severity,
                            r.case_id,
                            r.township,
                            r.village_code,
                            r.explanation,
                            h,
                            "待核实",
                            now,
                            now,
                            now,
                        ),
                    )
                    con.execute(
                        "INSERT INTO history (finding_id, at, who, field, old, new) VALUES (?,?,?,?,?,?)",
                        (r.finding_id, now, who, "status", None, "待核实"),
                    )
                    counts["new"] += 1
                    continue
                status = prev[1]
                if status == "不属实" and prev[2] == h:
                    counts["suppressed"] += 1
                    con.execute("UPDATE clue SET last_seen=? WHERE finding_id=?", (now, r.finding_id))
                    continue
                new_status = "待核实" if status in ("不属实", "已消除") else status
                if new_status != status:
                    counts["reopened"] += 1
                    self._log(
                        con,
                        r.finding_id,
                        who,
                        "status",
                        status,
                        new_status + ("（证据已变化）" if status == "不属实" else "（再次出现）"),
                    )
                else:
                    counts["kept"] += 1
                con.execute(
                    "UPDATE clue SET status=?, explanation=?, evidence_hash=?, last_seen=?, updated_at=? "
                    "WHERE finding_id=?",
                    (new_status, r.explanation, h, now, now, r.finding_id),
                )
            for fid, (_, status, _, _) in old.items():
                if fid not in seen and status not in ("已消除", "不属实", "已整改", "已移交纪检"):
                    con.execute("UPDATE clue SET status='已消除', updated_at=? WHERE finding_id=?", (now, fid))
                    self._log(con, fid, who, "status", status, "已消除")
                    counts["cleared"] += 1
        return counts

    @staticmethod
    def _log(con, fid, who, field, old, new) -> None:
        con.execute(
            "INSERT INTO history (finding_id, at, who, field, old, new) VALUES (?,?,?,?,?,?)",
            (fid, _now(), who, field, old, new),
        )

    def set(
        self,
        finding_id: str,
        who: str,
        *,
        status: str | None = None,
        assignee: str | None = None,
        due_date: str | None = None,
        note: str | None = None,
        dismissal_reason: str | None = None,
    ) -> None:
        """Change a clue; every changed field goes to the history with who and when."""
        if status is not None and status not in STATUSES:
            raise AuditError(f"状态必须是 {'、'.join(STATUSES)} 之一，实际为 {status!r}。")
        if status == "不属实" and dismissal_reason not in DISMISSAL_REASONS:
            raise AuditError(f"标记为不属实时必须给出原因：{'、'.join(DISMISSAL_REASONS)}。")
        with self._tx() as con:
            row = con.execute(
                "SELECT status, assignee, due_date, note, dismissal_reason FROM clue WHERE finding_id=?", (finding_id,)
            ).fetchone()
            if row is None:
                raise AuditError(f"台账中没有线索 {finding_id}。")
            for field, old, new in zip(
                ("status", "assignee", "due_date", "note", "dismissal_reason"),
                row,
                (status, assignee, due_date, note, dismissal_reason),
            ):
                if new is not None and new != old:
                    con.execute(
                        f"UPDATE clue SET {field}=?, updated_at=? WHERE finding_id=?", (new, _now(), finding_id)
                    )
                    self._log(con, finding_id, who, field, old, new)

    def _query(self, sql: str, params: tuple | None = None) -> pd.DataFrame:
        con = sqlite3.connect(self.path)
        try:
            return pd.read_sql_query(sql, con, params=params)
        finally:
            con.close()

    def frame(self) -> pd.DataFrame:
        return self._query("SELECT * FROM clue ORDER BY severity, rule, finding_id")

    def history(self, finding_id: str | None = None) -> pd.DataFrame:
        q = "SELECT * FROM history" + (" WHERE finding_id=?" if finding_id else "") + " ORDER BY id"
        return self._query(q, (finding_id,) if finding_id else None)

    def export(self, entries: pd.DataFrame, villages: dict[str, str] | None = None) -> dict[str, pd.DataFrame]:
        """The sheets of a ledger export holding exactly ``entries`` (the user's jurisdiction) and their
        own change history — never another township's — with Chinese headers, 高/中/低, village names
        and times as Excel dates."""
        hist = self.history()
        hist = hist[hist.finding_id.isin(set(entries.finding_id))]
        e = entries.assign(
            severity=entries.severity.map({"high": "高", "medium": "中", "low": "低"}).fillna(entries.severity),
            village_name=entries.village_code.map(lambda c: (villages or {}).get(c, "") if isinstance(c, str) else ""),
        )
        for c in ("first_seen", "last_seen", "updated_at"):
            e[c] = pd.to_datetime(e[c], errors="coerce")
        h = hist.assign(
            at=pd.to_datetime(hist.at, errors="coerce"), field=hist.field.map(_LEDGER_ZH).fillna(hist.field)
        )
        return {
            "线索台账": e.reindex(columns=list(_LEDGER_ZH)).rename(columns=_LEDGER_ZH),
            "变更记录": h.drop(columns=["id"], errors="ignore").rename(columns=_HISTORY_ZH),
        }


_LEDGER_ZH = {
    "finding_id": "线索编号",
    "rule": "规则",
    "severity": "严重程度",
    "case_id": "低保编号",
    "township": "乡镇",
    "village_name": "村（社区）",
    "village_code": "村代码",
    "explanation": "问题描述",
    "status": "状态",
    "assignee": "承办人",
    "due_date": "办结时限",
    "note": "备注",
    "dismissal_reason": "不属实原因",
    "first_seen": "首次发现",
    "last_seen": "最近一次发现",
    "updated_at": "最后更新",
    "evidence_hash": "证据指纹",
}
_HISTORY_ZH = {"finding_id": "线索编号", "at": "时间", "who": "操作人", "field": "字段", "old": "原值", "new": "新值"}

VISIT_STATUSES = ("待走访", "已走访", "已纳入", "不符合条件")
_VISIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS visit (
  household_id TEXT PRIMARY KEY, township TEXT, village_code TEXT, rules TEXT, status TEXT NOT NULL,
  reason TEXT, visitor TEXT, visit_date TEXT, note TEXT, first_seen TEXT, last_seen TEXT, listed INTEGER,
  updated_at TEXT);
CREATE TABLE IF NOT EXISTS visit_history (
  id INTEGER PRIMARY KEY AUTOINCREMENT, household_id TEXT, at TEXT, who TEXT, field TEXT, old TEXT, new TEXT);
"""


class VisitLedger(Ledger):
    """The proactive-discovery ledger (主动发现走访台账): one row per household, 待走访 → 已走访 →
    已纳入 / 不符合条件 (with a reason), kept across runs in the same file as the clue ledger."""

    def __init__(self, path: str | Path):
        super().__init__(path)
        con = sqlite3.connect(self.path, timeout=30)
        try:
            con.executescript(_VISIT_SCHEMA)
        finally:
            con.close()

    def merge(self, findings: pd.DataFrame, who: str = "系统", townships: set[str] | None = None) -> dict[str, int]:
        """Bring a run's COVER findings in by household. Statuses survive; a household no longer listed
        keeps its status and is marked as not listed in this run (only within ``townships`` when given)."""
        cover = findings[findings.rule.str.startswith("COVER") & findings.household_id.notna()]
        now = _now()
        counts = {"new": 0, "kept": 0, "unlisted": 0}
        with self._tx() as con:
            old = {r[0]: r for r in con.execute("SELECT household_id, status, township FROM visit")}
            seen = set()
            for hh, g in cover.groupby("household_id", sort=True):
                rules = "、".join(sorted(set(g.rule)))
                first = g.iloc[0]
                seen.add(hh)
                if hh not in old:
                    con.execute(
                        "INSERT INTO visit VALUES (?,?,?,?,?,NULL,NULL,NULL,NULL,?,?,1,?)",
                        (hh, first.township, first.village_code, rules, "待走访", now, now, now),
                    )
                    self._vlog(con, hh, who, "status", None, "待走访")
                    counts["new"] += 1
                else:
                    con.execute(
                        "UPDATE visit SET rules=?, last_seen=?, listed=1 WHERE household_id=?", (rules, now, hh)
                    )
                    counts["kept"] += 1
            for hh, (_, status, town) in old.items():
                if hh in seen or (townships is not None and town not in townships):
                    continue
                con.execute("UPDATE visit SET listed=0, updated_at=? WHERE household_id=?", (now, hh))
                counts["unlisted"] += 1
        return counts

    @staticmethod
    def _vlog(con, hh, who, field, old, new) -> None:
        con.execute(
            "INSERT INTO visit_history (household_id, at, who, field, old, new) VALUES (?,?,?,?,?,?)",
            (hh, _now(), who, field, old, new),
        )

    def set(
        self,
        household_id: str,
        who: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        visitor: str | None = None,
        visit_date: str | None = None,
        note: str | None = None,
    ) -> None:
        """Record a visit; 不符合条件 needs a reason. Every changed field goes to the history."""
        if status is not None and status not in VISIT_STATUSES:
            raise AuditError(f"走访状态必须是 {'、'.join(VISIT_STATUSES)} 之一，实际为 {status!r}。")
        if status == "不符合条件" and not (reason or "").strip():
            raise AuditError("标记为不符合条件时必须写明原因（如：核对收入高于标准、有赡养人且有能力赡养）。")
        with self._tx() as con:
            row = con.execute(
                "SELECT status, reason, visitor, visit_date, note FROM visit WHERE household_id=?", (household_id,)
            ).fetchone()
            if row is None:
                raise AuditError(f"走访台账中没有户 {household_id}。")
            for field, old, new in zip(
                ("status", "reason", "visitor", "visit_date", "note"), row, (status, reason, visitor, visit_date, note)
            ):
                if new is not None and new != old:
                    con.execute(
                        f"UPDATE visit SET {field}=?, updated_at=? WHERE household_id=?", (new, _now(), household_id)
                    )
                    self._vlog(con, household_id, who, field, old, new)

    def frame(self) -> pd.DataFrame:
        return self._query("SELECT * FROM visit ORDER BY household_id")

    def history(self, household_id: str | None = None) -> pd.DataFrame:
        q = "SELECT * FROM visit_history" + (" WHERE household_id=?" if household_id else "") + " ORDER BY id"
        return self._query(q, (household_id,) if household_id else None)
