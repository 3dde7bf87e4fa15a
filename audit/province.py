"""A province on one machine: every county workspace of a folder audited on its own, then the checks that
need the whole province run over small extracts of all of them.

Each county is audited exactly as ``dibao-audit run`` audits it alone (its run folder under the output
folder, named after the workspace), one county at a time so that memory is one county's. What crosses
county lines is then checked in DuckDB over a few columns per county:

* ELIG-09 — one person enrolled in active cases of two or more counties (重复纳入，跨县);
* CARD-01 — one payout account receiving money for cases in two or more counties, of households not
  linked by a recorded relation;
* CARD-03 — one reserved phone on the payout accounts of cases in two or more counties.

The cross-county findings are written to ``全省/findings.csv`` with the same columns as a county's, plus the
counties involved; ``全省/run.json`` lists every county's run and the cross-county counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from audit.errors import InputError
from audit.ids import mask_account, mask_id, mask_phone
from audit.load import SUFFIXES
from audit.progress import Progress
from detectors.base import FINDING_COLUMNS, Finding, Severity

__all__ = [
    "county_folders",
    "run_province",
    "ProvinceResult",
    "PROVINCE_DIR",
    "CROSS_SQL",
    "cross_county_findings",
    "extract",
]

PROVINCE_DIR = "全省"
ACTIVE = ("在保", "渐退")


def _is_workspace(path: Path) -> bool:
    return path.is_dir() and any(
        p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$")) for p in path.iterdir()
    )


def county_folders(root: Path) -> list[Path]:
    """The county workspaces directly under ``root`` (sub-folders holding table files), sorted by name;
    empty when ``root`` is itself one workspace."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"工作目录不存在或不是文件夹：{root}")
    subs = sorted(p for p in root.iterdir() if _is_workspace(p))
    return subs if len(subs) >= 2 else []


@dataclass
class ProvinceResult:
    counties: dict[str, dict]  # county folder -> its run summary
    findings: pd.DataFrame  # cross-county findings
    out: Path


def extract(res, county: str) -> dict[str, pd.DataFrame]:
    """The few columns of one audited county that the cross-county checks read."""
    t = res.ctx.tables
    cases = t["cases"][["case_id", "household_id", "head_id", "village_code", "township", "status"]]
    active = cases[cases.status.isin(ACTIVE)]
    members = res.ctx.enrolled_members.merge(active, on="case_id")
    parts = [t[n][["account_no", "case_id"]] for n in ("payments", "cases") if n in t and "account_no" in t[n]]
    payout = pd.concat(parts).dropna().drop_duplicates() if parts else pd.DataFrame(columns=["account_no", "case_id"])
    payout = payout.merge(active[["case_id", "household_id", "village_code", "township"]], on="case_id")
    if "accounts" in t and "reserved_phone" in t["accounts"]:
        payout = payout.merge(t["accounts"][["account_no", "reserved_phone"]], on="account_no", how="left")
    else:
        payout = payout.assign(reserved_phone=None)
    rel = (
        t["relations"][["person_id", "relative_id"]]
        if "relations" in t
        else pd.DataFrame(columns=["person_id", "relative_id"])
    )
    return {
        "members": members.assign(county=county)[
            ["county", "case_id", "person_id", "household_id", "village_code", "township"]
        ],
        "payout": payout.assign(county=county)[
            ["county", "case_id", "account_no", "reserved_phone", "household_id", "village_code", "township"]
        ],
        "relations": rel.assign(county=county),
    }


# The cross-county checks as SQL, written once in DuckDB's dialect over three tables of per-county
# extracts (members, payout, relations); the Spark engine runs the same text transpiled by SQLGlot.
CROSS_SQL = {
    # ELIG-09: every active enrolment of a person enrolled in two or more counties
    "enrolled_twice": """
        SELECT DISTINCT county, case_id, person_id, household_id, village_code, township FROM members
        WHERE person_id IN (SELECT person_id FROM members GROUP BY person_id HAVING count(DISTINCT county) >= 2)
        ORDER BY person_id, county, case_id""",
    # pairs of households (across counties) linked by a recorded relation between their members
    "related": """
        SELECT DISTINCT a.household_id AS a, b.household_id AS b FROM relations r
        JOIN members a ON a.person_id = r.person_id JOIN members b ON b.person_id = r.relative_id
        WHERE a.household_id <> b.household_id""",
    # CARD-01 / CARD-03: one account, or one reserved phone, behind cases of several counties
    **{
        f"shared_{column}": f"""
        SELECT {column} AS key, county, case_id, household_id, village_code, township, account_no FROM payout
        WHERE {column} IS NOT NULL AND {column} <> '' AND {column} IN (
          SELECT {column} FROM payout WHERE {column} IS NOT NULL GROUP BY {column} HAVING count(DISTINCT county) >= 2)
        ORDER BY key, county, case_id"""
        for column in ("account_no", "reserved_phone")
    },
}
EXTRACTS = ("members", "payout", "relations")


def duckdb_query(extracts: list[dict[str, pd.DataFrame]]):
    """Run a CROSS_SQL query over the extracts of every county in DuckDB (the one-machine engine)."""
    con = duckdb.connect()
    for name in EXTRACTS:
        con.register(name, pd.concat([e[name] for e in extracts], ignore_index=True))
    return lambda name: con.execute(CROSS_SQL[name]).df()


def cross_county_findings(query) -> list[Finding]:
    """ELIG-09, CARD-01 and CARD-03 across county lines. ``query(name)`` runs ``CROSS_SQL[name]`` over the
    whole province's extracts on whichever engine holds them and returns the rows as a pandas frame."""
    out: list[Finding] = []
    twice = query("enrolled_twice")
    for person, g in twice.groupby("person_id", sort=True):
        where = [f"{r.county}{r.case_id}" for r in g.itertuples()]
        for r in g.itertuples():
            others = [w for w in where if w != f"{r.county}{r.case_id}"]
            out.append(
                Finding(
                    rule="ELIG-09",
                    severity=Severity.HIGH,
                    case_id=r.case_id,
                    person_id=person,
                    household_id=r.household_id,
                    village_code=r.village_code,
                    township=r.township,
                    key_extra="跨县",
                    evidence={
                        "member": mask_id(person),
                        "county": r.county,
                        "counties": sorted(set(g.county)),
                        "other_cases": others,
                        "what": "跨县重复纳入",
                    },
                    explanation=f"保障成员{mask_id(person)}同时是{'、'.join(others)}的保障成员（跨县重复享受低保）。",
                )
            )
    related = {frozenset(r) for r in query("related").itertuples(index=False, name=None)}
    for rule, column, mask, what in (
        ("CARD-01", "account_no", mask_account, "账户"),
        ("CARD-03", "reserved_phone", mask_phone, "预留手机号"),
    ):
        shared = query(f"shared_{column}")
        for key, g in shared.groupby("key", sort=True):
            g = g.drop_duplicates(["county", "case_id"])
            if rule == "CARD-03" and g.account_no.nunique() < 2:  # one shared card is CARD-01's finding
                continue
            homes = sorted(set(g.household_id.dropna()))
            if len(homes) < 2 or all(frozenset((a, b)) in related for i, a in enumerate(homes) for b in homes[i + 1 :]):
                continue
            cases = [f"{r.county}{r.case_id}" for r in g.itertuples()]
            first = g.iloc[0]
            out.append(
                Finding(
                    rule=rule,
                    severity=Severity.HIGH,
                    case_id=first.case_id,
                    account_no=first.account_no if rule == "CARD-01" else None,
                    household_id=first.household_id,
                    village_code=first.village_code,
                    township=first.township,
                    key_extra=f"跨县:{key}" if rule == "CARD-03" else "跨县",
                    evidence={
                        column: mask(key),
                        "cases": cases,
                        "counties": sorted(set(g.county)),
                        "what": f"跨县共用{what}",
                    },
                    explanation=f"{what}{mask(key)}跨县共用：{len(g.county.unique())}个县的{len(cases)}户低保对象"
                    f"（{'、'.join(cases)}）共用，各户之间未见登记的亲属关系，疑似集中代管。",
                )
            )
    return out


def write_province(out: Path, summaries: dict[str, dict], findings: list[Finding], engine: str) -> pd.DataFrame:
    """全省/findings.csv (a county run's columns plus the counties involved) and 全省/run.json, atomically."""
    from audit.results import csv_safe
    from audit.run import findings_frame
    from audit.store import atomic_write

    frame = findings_frame(findings)
    frame["counties"] = ["、".join(json.loads(e).get("counties", [])) for e in frame.evidence]
    frame = frame[FINDING_COLUMNS + ["counties"]]
    target = out / PROVINCE_DIR
    target.mkdir(parents=True, exist_ok=True)
    text = csv_safe(frame)
    atomic_write(target / "findings.csv", lambda tmp: text.to_csv(tmp, index=False, encoding="utf-8-sig"))
    run = {
        "engine": engine,
        "counties": summaries,
        "cross_county": {"total": len(frame), **frame.groupby("rule").size().to_dict()},
    }
    body = json.dumps(run, ensure_ascii=False, indent=2, default=str)
    atomic_write(target / "run.json", lambda tmp: tmp.write_text(body, encoding="utf-8"))
    return frame


def county_summary(res, out: Path) -> dict:
    return {
        "out": str(out),
        "findings": len(res.findings),
        "rejects": res.run["rejects"],
        "as_of": res.run["as_of"],
        "timings": res.run["timings"],
    }


def run_province(
    root: str | Path, profile: str = "sandu-2021", out: str | Path = "out/province", progress: Progress | None = None
) -> ProvinceResult:
    """Audit every county workspace under ``root`` and the checks across them; see the module docstring."""
    from audit.run import run_audit

    progress = progress or Progress(quiet=True)
    root, out = Path(root), Path(out)
    from audit.parquet import is_parquet_layout, parquet_counties, read_county

    parquet = is_parquet_layout(root)
    names = parquet_counties(root) if parquet else [f.name for f in county_folders(root)]
    if len(names) < 2:
        raise InputError(f"{root}：没有找到两个以上的县工作目录（每个县一个子文件夹，内含数据表）。")
    summaries, extracts = {}, []
    for i, name in enumerate(names):
        progress.say(f"审计第 {i + 1}/{len(names)} 个县：{name}")
        loaded = read_county(root, name) if parquet else None
        res = run_audit(
            root if parquet else root / name, profile, out / name, progress=Progress(quiet=True), loaded=loaded
        )
        summaries[name] = county_summary(res, out / name)
        extracts.append(extract(res, name))
        del res, loaded
    progress.say("跨县比对（重复享受、共用账户和预留手机号）")
    frame = write_province(out, summaries, cross_county_findings(duckdb_query(extracts)), "duckdb")
    return ProvinceResult(summaries, frame, out)
