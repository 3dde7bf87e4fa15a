"""DATA family: input quality, never silent (DATA-01, DATA-02, DATA-03)."""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd

from audit.context import AuditContext, isin, rows
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


def _close_parent_pairs(ctx: AuditContext, gap_years: int) -> pd.DataFrame:
    """parent_id, child_id, source, gap (years), parent_name, child_name of the recorded parents fewer than
    ``gap_years`` older than their child: pairs from the register's relation to head (a household's head and
    its 子/女 or 父亲/母亲) and from relations (父/母, 子/女), the first source of a pair kept (register before
    relations, each in its rows' order). Pairs are held as register positions (integers), births compared by
    position: joins of a million-row register by id held hundreds of MB."""
    p = ctx.table("persons")
    # masks straight from the Arrow column (a million Python strings would cost ~90 MB)
    is_kid, is_parent, is_head = (
        isin(p.relation_to_head, kinds).to_numpy(dtype=bool) for kinds in (["子", "女"], ["父亲", "母亲"], ["户主"])
    )
    household, _ = ctx.codes("persons", "household_id")  # a blank household is one key, as pandas joins it
    heads = pd.DataFrame({"h": household[is_head], "o2": np.flatnonzero(is_head)})
    rows_ = np.flatnonzero(is_kid | is_parent)
    m = pd.DataFrame({"h": household[rows_], "o1": rows_}).merge(heads, on="h")  # each member with each head
    kid = is_kid[m.o1.to_numpy()]
    parts = [
        pd.DataFrame(
            {
                "parent": np.where(kid, m.o2, m.o1),
                "child": np.where(kid, m.o1, m.o2),
                "part": np.where(kid, 0, 1),  # the order of the sources: register (子/女, then 父亲/母亲) first
                "source": "户籍（与户主关系）",
                "o1": m.o1,
                "o2": m.o2,
            }
        )
    ]
    if "relations" in ctx.tables:
        r = ctx.table("relations")
        up, down = (isin(r.relation, kinds).to_numpy(dtype=bool) for kinds in (["父", "母"], ["子", "女"]))
        who, relative = ctx.person_index.get_indexer(r.person_id), ctx.person_index.get_indexer(r.relative_id)
        keep = (up | down) & (who >= 0) & (relative >= 0)  # ids off the register have no birth to compare
        at = np.flatnonzero(keep)
        parts.append(
            pd.DataFrame(
                {
                    "parent": np.where(up[at], relative[at], who[at]),
                    "child": np.where(up[at], who[at], relative[at]),
                    "part": np.where(up[at], 2, 3),
                    "source": "亲属关系表",
                    "o1": at,
                    "o2": 0,
                }
            )
        )
    pairs = pd.concat(parts, ignore_index=True)
    births = pd.to_datetime(p.birth_date).to_numpy()
    gap = pd.Series(births[pairs.child.to_numpy()] - births[pairs.parent.to_numpy()]).dt.days / 365.2425
    close = (gap < gap_years).to_numpy(dtype=bool)  # a pair's gap is the same whichever source gave it
    pairs = pairs[close].assign(gap=gap[close].to_numpy())
    pairs = pairs.sort_values(["part", "o1", "o2"], kind="stable").drop_duplicates(["parent", "child"])
    parent, child = pairs.parent.to_numpy(), pairs.child.to_numpy()
    return pd.DataFrame(
        {
            "parent_id": p.person_id.iloc[parent].to_numpy(dtype=object),
            "child_id": p.person_id.iloc[child].to_numpy(dtype=object),
            "source": pairs.source.to_numpy(dtype=object),
            "gap": pairs.gap.to_numpy(),
            "parent_name": p.name.iloc[parent].to_numpy(dtype=object),
            "child_name": p.name.iloc[child].to_numpy(dtype=object),
        }
    )


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
        d = ctx.on_register(ctx.table("deaths"), "person_id", ["name", "birth_date"])
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
