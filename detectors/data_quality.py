"""DATA family: input quality, never silent (DATA-01, DATA-02, DATA-03)."""

from __future__ import annotations

from typing import Iterator

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from audit.context import AuditContext, rows
from audit.ids import mask_account, mask_id
from audit.load import REJECT_FRAME_COLUMNS, REJECT_KEYS
from audit.schema import TABLES
from detectors.base import Finding, Severity, detector

__all__ = ["rejected_rows", "dangling_references", "impossible_records"]


@detector(
    "DATA-01",
    severity=Severity.LOW,
    requires=("rejects",),
    explain_zh="{file}第{row}行“{column}”列：{reason}，{action}",
)
def rejected_rows(ctx: AuditContext) -> Iterator[Finding]:
    """A row (or cell) rejected at import.

    导入时被剔除的行：身份证号校验位错误、日期无法识别、代码不在取值范围内、主键重复等。
    Evidence: file, row, column, value (masked), reason_code, reason, action, ref.
    Profile parameters: none.
    """
    rej = ctx.table("rejects").reindex(columns=REJECT_FRAME_COLUMNS)
    for r in rows(rej):
        ev = {
            "file": r.file,
            "row": int(r.row),
            "column": r.column,
            "value": r.value,
            "reason_code": r.reason_code,
            "reason": r.reason,
            "action": r.action,
            "ref": f"{r.table}:{int(r.row)}",
        }
        keys = {k: v for k in REJECT_KEYS if isinstance(v := getattr(r, k), str) and v}
        place = ctx.place_of(keys.get("person_id")) if "person_id" in keys else {}
        for k in ("household_id", "village_code", "township"):
            if not keys.get(k) and place.get(k):
                keys[k] = place[k]
        yield Finding(
            rule="DATA-01",
            severity=Severity.LOW,
            key_extra=f"{r.table}:{r.row}:{r.column}",
            explanation=f"{r.file}第{r.row}行“{r.column}”列：{r.reason}，{r.action}。",
            evidence=ev,
            **keys,
        )


# (table, column, target table, target column, Chinese description); a reference also resolves
# through _ALSO (workflow rows of a refused application are filed under the application's id).
_ALSO = {("workflow", "case_id"): ("applications", "application_id")}
_REFERENCES = (
    ("cases", "head_id", "persons", "person_id", "户主不在户籍人口中"),
    ("case_members", "case_id", "cases", "case_id", "保障成员所属低保编号不存在"),
    ("case_members", "person_id", "persons", "person_id", "保障成员不在户籍人口中"),
    ("payments", "case_id", "cases", "case_id", "发放记录对应的低保编号不存在"),
    ("payments", "account_no", "accounts", "account_no", "发放账号不在发放账户表中"),
    ("votes", "case_id", "cases", "case_id", "评议结果对应的低保编号不存在"),
    ("votes", "meeting_id", "meetings", "meeting_id", "评议结果对应的会议不存在"),
    ("meeting_attendance", "meeting_id", "meetings", "meeting_id", "参会记录对应的会议不存在"),
    ("meeting_attendance", "person_id", "persons", "person_id", "参会人员不在户籍人口中"),
    ("rechecks", "case_id", "cases", "case_id", "复核记录对应的低保编号不存在"),
    ("workflow", "case_id", "cases", "case_id", "审批流程对应的低保编号（或申请编号）不存在"),
    ("officials", "person_id", "persons", "person_id", "干部不在户籍人口中，无法核对亲属关系"),
    ("kin_filings", "official_id", "officials", "person_id", "备案中的干部不在干部名单中"),
)


@detector(
    "DATA-02",
    severity=Severity.LOW,
    requires=("persons", "cases"),
    explain_zh="{file}第{row}行：{reason}",
)
def dangling_references(ctx: AuditContext) -> Iterator[Finding]:
    """A reference points to nothing.

    引用不存在：保障成员不在户籍人口中、发放给不存在的低保编号、评议不存在的案件等。
    Evidence: file, row, table, column, value (masked for IDs), target, reason.
    Profile parameters: none.
    """
    for table, col, target, tcol, reason in _REFERENCES:
        if table not in ctx.tables or target not in ctx.tables:
            continue
        extra = [c for c in ("case_id", "meeting_id") if c != col and c in ctx.table(table).columns]
        also = ""
        if (alt := _ALSO.get((table, col))) and alt[0] in ctx.tables:
            also = f' ANTI JOIN "{alt[0]}" a ON t."{col}" = a."{alt[1]}"'
        bad = ctx.sql(f"""SELECT t.src_file, t.src_row, t."{col}" AS value{"".join(f', t."{c}"' for c in extra)}
                          FROM "{table}" t ANTI JOIN "{target}" g ON t."{col}" = g."{tcol}"{also}
                          WHERE t."{col}" IS NOT NULL ORDER BY t.src_row""")
        for r in rows(bad):
            is_person = col in ("person_id", "head_id", "official_id")
            shown = mask_id(r.value) if is_person else mask_account(r.value) if col == "account_no" else r.value
            spec = TABLES[table].col(col)
            col_zh = spec.aliases[0] if spec.aliases else col
            ev = {
                "file": r.src_file,
                "row": int(r.src_row),
                "table": table,
                "column": col,
                "value": shown,
                "target": f"{target}.{tcol}",
                "reason": reason,
                "ref": f"{table}:{int(r.src_row)}",
            }
            case_id = r.value if col == "case_id" else getattr(r, "case_id", None)
            if table == "cases" and col != "case_id":
                case_id = r.case_id
            yield Finding(
                rule="DATA-02",
                severity=Severity.LOW,
                case_id=case_id if isinstance(case_id, str) else None,
                person_id=r.value if is_person else None,
                meeting_id=(r.value if col == "meeting_id" else getattr(r, "meeting_id", None))
                if table in ("votes", "meeting_attendance")
                else None,
                key_extra=f"{table}:{r.src_row}:{col}",
                explanation=f"{r.src_file}第{r.src_row}行：{reason}（{col_zh}：{shown}）。",
                evidence=ev,
            )


# (parent, child) from the register's relation to head and from relations, the first source of each pair kept
# (register before relations, each in its rows' order); only the pairs whose age gap is too small are returned,
# with both names, in that order. One DuckDB query: pandas merges of a million-row register held ~1 GB.
_CLOSE_PARENTS_SQL = """
WITH p AS (SELECT _pos, person_id, household_id, relation_to_head FROM persons
           WHERE relation_to_head IN ('户主', '子', '女', '父亲', '母亲')),
heads AS (SELECT household_id, person_id AS head_pid, _pos AS hpos FROM p WHERE relation_to_head = '户主'),
m AS (SELECT p.*, head_pid, hpos FROM p JOIN heads USING (household_id)),
pairs AS (
    SELECT head_pid AS parent_id, person_id AS child_id, '户籍（与户主关系）' AS source, 0 AS part,
           _pos AS o1, hpos AS o2 FROM m WHERE relation_to_head IN ('子', '女')
    UNION ALL SELECT person_id, head_pid, '户籍（与户主关系）', 1, _pos, hpos FROM m
              WHERE relation_to_head IN ('父亲', '母亲')
    {relations}),
firsts AS (SELECT * FROM pairs QUALIFY row_number() OVER (PARTITION BY parent_id, child_id ORDER BY part, o1, o2) = 1)
SELECT f.parent_id, f.child_id, f.source, date_diff('day', pp.birth_date, cp.birth_date) / 365.2425 AS gap,
       pp.name AS parent_name, cp.name AS child_name
FROM firsts f JOIN persons pp ON pp.person_id = f.parent_id JOIN persons cp ON cp.person_id = f.child_id
WHERE date_diff('day', pp.birth_date, cp.birth_date) / 365.2425 < $gap
ORDER BY f.part, f.o1, f.o2
"""
_RELATIONS_PAIRS_SQL = """
    UNION ALL SELECT relative_id, person_id, '亲属关系表', 2, _pos, 0 FROM relations WHERE relation IN ('父', '母')
    UNION ALL SELECT person_id, relative_id, '亲属关系表', 3, _pos, 0 FROM relations WHERE relation IN ('子', '女')"""


def _close_parent_pairs(ctx: AuditContext, gap_years: int) -> pd.DataFrame:
    """parent_id, child_id, source, gap (years), parent_name, child_name of the recorded parents fewer than
    ``gap_years`` older than their child."""
    p = ctx.table("persons")[["person_id", "household_id", "relation_to_head", "name", "birth_date"]]
    con = duckdb.connect()
    try:
        con.register("persons", _with_positions(p))
        has_rel = "relations" in ctx.tables
        if has_rel:
            con.register("relations", _with_positions(ctx.table("relations")[["person_id", "relative_id", "relation"]]))
        sql = _CLOSE_PARENTS_SQL.format(relations=_RELATIONS_PAIRS_SQL if has_rel else "")
        return con.execute(sql, {"gap": gap_years}).df()
    finally:
        con.close()


def _with_positions(frame: pd.DataFrame) -> pa.Table:
    t = pa.Table.from_pandas(frame, preserve_index=False)
    return t.append_column("_pos", pa.array(np.arange(len(frame), dtype=np.int64)))


@detector(
    "DATA-03",
    severity=Severity.MEDIUM,
    requires=("persons",),
    params=("parent_min_age_gap_years",),
    explain_zh="{reason}",
)
def impossible_records(ctx: AuditContext) -> Iterator[Finding]:
    """Impossible records that can hide ineligible members.

    不可能的记录：父母比子女年长不足14岁、出生日期晚于死亡日期或晚于核查基准日、
    出生日期或性别与身份证号不符。
    Evidence: kind, person (masked), the dates or values that contradict, and for parents the
    parent's masked ID and the age gap in years.
    Profile parameters: parent_min_age_gap_years.
    """
    gap_years = ctx.profile.int("parent_min_age_gap_years")
    p = ctx.table("persons")
    as_of = pd.Timestamp(ctx.as_of)

    def emit(pid, kind, reason, **ev):
        place = ctx.place_of(pid)
        return Finding(
            rule="DATA-03",
            severity=Severity.MEDIUM,
            person_id=pid,
            key_extra=kind,
            household_id=place["household_id"],
            village_code=place["village_code"],
            township=place["township"],
            explanation=reason,
            evidence={"kind": kind, "person": mask_id(pid), "reason": reason, **ev},
        )

    bd = pd.to_datetime(p.birth_date)
    for r in rows(p[bd.notna() & (bd != p.id_birth_date)]):
        yield emit(
            r.person_id,
            "birth_vs_id",
            f"{r.name}的出生日期{r.birth_date:%Y-%m-%d}与身份证号中的{r.id_birth_date:%Y-%m-%d}不符。",
            birth_date=f"{r.birth_date:%Y-%m-%d}",
            id_birth_date=f"{r.id_birth_date:%Y-%m-%d}",
        )
    for r in rows(p[p.sex.notna() & (p.sex != p.id_sex)]):
        yield emit(
            r.person_id,
            "sex_vs_id",
            f"{r.name}的性别“{r.sex}”与身份证号推算的“{r.id_sex}”不符。",
            sex=r.sex,
            id_sex=r.id_sex,
        )
    for r in rows(p[bd > as_of]):
        yield emit(
            r.person_id,
            "birth_in_future",
            f"{r.name}的出生日期{r.birth_date:%Y-%m-%d}晚于核查基准日{ctx.as_of}。",
            birth_date=f"{r.birth_date:%Y-%m-%d}",
        )
    if "deaths" in ctx.tables:
        d = ctx.table("deaths").merge(p[["person_id", "name", "birth_date"]], on="person_id")
        for r in rows(d[pd.to_datetime(d.death_date) < pd.to_datetime(d.birth_date)]):
            yield emit(
                r.person_id,
                "birth_after_death",
                f"{r.name}的出生日期{r.birth_date:%Y-%m-%d}晚于死亡日期{r.death_date:%Y-%m-%d}。",
                birth_date=f"{r.birth_date:%Y-%m-%d}",
                death_date=f"{r.death_date:%Y-%m-%d}",
            )
    pairs = _close_parent_pairs(ctx, gap_years)
    for r in rows(pairs):
        yield emit(
            r.child_id,
            f"parent_gap:{r.parent_id}",
            f"{r.child_name}的父/母{r.parent_name}仅比其年长{r.gap:.1f}岁（少于{gap_years}岁），来源：{r.source}。",
            parent=mask_id(r.parent_id),
            age_gap_years=round(float(r.gap), 1),
            source=r.source,
        )
