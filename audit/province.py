"""A province on one machine: every county workspace of a folder audited on its own, then the checks that
need the whole province run over small extracts of all of them.

Each county is audited exactly as ``dibao-audit run`` audits it alone (its run folder under the output
folder, named after the workspace), one county at a time so that memory is one county's. What crosses
county lines is then checked in DuckDB over a few columns per county:

* ELIG-09 — one person enrolled in active cases of two or more counties (重复纳入，跨县);
* CARD-01 — one payout account receiving money for cases in two or more counties, of households not
  linked by a recorded relation;
* CARD-03 — one reserved phone on the payout accounts of cases in two or more counties;
* KIN-01/KIN-02 across county lines — an official's close relative on the roll of the official's own
  jurisdiction where the kinship shows only through another county's records (a married-out daughter's
  parents recorded in her home county, the in-laws of a 县民政局 staff member). Only officials within three
  own-county steps of a person on two counties' edges can be concerned; their three-step neighbourhoods are
  taken over the union of all counties' kinship edges (SQL, ``CROSS_STEPS``); for those whose neighbourhood
  holds an edge their own county does not record, the county's KIN-01 and KIN-02 detectors run
  again on a kinship graph of that neighbourhood, and what the county's own run did not report is a finding.

Both engines spool the extracts as Parquet partitioned by county (``county_id=…``) and query them there,
so that a province's memory is one county's plus the queries'.

The cross-county findings are written to ``全省/findings.csv`` with the same columns as a county's, plus the
counties involved; ``全省/run.json`` lists every county's run and the cross-county counts.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit.errors import InputError
from audit.ids import mask_account, mask_id, mask_phone
from audit.load import SUFFIXES
from audit.progress import Progress
from detectors.base import FINDING_COLUMNS, Finding, Severity

__all__ = [
    "county_folders",
    "counties_of",
    "run_province",
    "ProvinceResult",
    "PROVINCE_DIR",
    "CROSS_SQL",
    "CROSS_STEPS",
    "cross_county_findings",
    "cross_county_kin",
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


def counties_of(source: Path) -> tuple[str, list[str]]:
    """How ``source`` holds counties: ``("parquet", county ids)`` for the layout of ``export-parquet``,
    ``("folders", sub-folder names)`` for a folder of two or more county workspaces, else
    ``("workspace", [])`` — one county's workspace."""
    from audit.parquet import is_parquet_layout, parquet_counties

    source = Path(source)
    if is_parquet_layout(source):
        return "parquet", parquet_counties(source)
    folders = county_folders(source)
    return ("folders", [f.name for f in folders]) if folders else ("workspace", [])


@dataclass
class ProvinceResult:
    counties: dict[str, dict]  # county folder -> its run summary
    findings: pd.DataFrame  # cross-county findings
    out: Path
    seconds: dict[str, float] | None = None  # counties, cross_county
    extract_rows: dict[str, int] | None = None  # rows of each cross-county extract, all counties


def extract(res, county: str) -> dict[str, pd.DataFrame]:
    """The few columns of one audited county that the cross-county checks read."""
    return _card_extract(res, county) | _kin_extract(res, county)


# what KIN-01/KIN-02 read of a county, beside its kinship edges: table -> columns
_KIN_TABLES = {
    "cases": ["case_id", "household_id", "head_id", "village_code", "township", "approval_date", "status", "exit_date"],
    "case_members": ["case_id", "person_id", "enrolled"],
    "officials": ["person_id", "name", "role", "level", "village_code", "township", "start_date", "end_date"],
    "kin_filings": ["official_id", "relative_id", "case_id"],
    "rechecks": ["case_id", "date"],
    "workflow": ["case_id", "step"],
    "persons": ["person_id", "name"],
    "found": ["official_id", "case_id"],
}
KIN_RULES = ("KIN-01", "KIN-02")


def _kin_name(table: str) -> str:
    """The extract holding a county's KIN table (``cases`` -> ``kin_cases``; ``kin_filings`` stays)."""
    return table if table.startswith("kin_") else f"kin_{table}"


def _local(ids: pa.ChunkedArray, county: str) -> pa.ChunkedArray:
    """A virtual node (``~…``, a relative the register implies but does not name) belongs to its county."""
    ids = ids.cast(pa.string()).combine_chunks()
    virtual = pc.fill_null(pc.starts_with(ids, "~"), False)
    suffixed = pc.binary_join_element_wise(ids.filter(virtual), f"@{county}", "")  # a few of a million
    return pa.chunked_array([pc.replace_with_mask(ids, virtual, suffixed)])


def _kin_extract(res, county: str) -> dict[str, pd.DataFrame]:
    ctx, t = res.ctx, res.ctx.tables
    out = {_kin_name(name): pd.DataFrame(columns=cols) for name, cols in _KIN_TABLES.items()}
    out["kin_edges"] = pd.DataFrame(columns=["a", "b", "kind", "source"])
    out["kin_nodes"] = pd.DataFrame(columns=["id", "sex", "birth"])
    if {"persons", "officials", "cases"} <= set(t):
        # straight from the graph's DuckDB as Arrow (the sorted frame of Python strings cost ~3 s a county)
        edges = ctx.kinship.edge_table()
        out["kin_edges"] = edges.set_column(0, "a", _local(edges["a"], county)).set_column(
            1, "b", _local(edges["b"], county)
        )
        nodes = ctx.kinship.nodes
        birth = pd.to_datetime(nodes.birth, errors="coerce").dt.strftime("%Y-%m-%d")
        ids = _local(pa.chunked_array([pa.array(nodes.index.astype("string"), type=pa.string())]), county)
        out["kin_nodes"] = pa.table({"id": ids, "sex": pa.array(nodes.sex.astype("string")), "birth": pa.array(birth)})
        members = ctx.enrolled_members.assign(enrolled="是")
        people = pd.concat([members.person_id, t["officials"].person_id]).drop_duplicates()
        names = ctx.person_names
        frames = {
            **{n: t[n] for n in ("cases", "officials", "kin_filings", "rechecks") if n in t},
            "case_members": members,
            "persons": pd.DataFrame({"person_id": people, "name": names.reindex(people).to_numpy()}),
            "found": res.findings.loc[res.findings.family == "KIN", ["official_id", "case_id"]],
        }
        if "workflow" in t:
            frames["workflow"] = t["workflow"][t["workflow"].step == "入户调查"]
        for name, frame in frames.items():
            out[_kin_name(name)] = frame.reindex(columns=_KIN_TABLES[name])
    return {name: _with_county(frame, county) for name, frame in out.items()}


def _with_county(frame: pd.DataFrame | pa.Table, county: str) -> pd.DataFrame | pa.Table:
    if isinstance(frame, pa.Table):
        return frame.append_column("county", pa.array([county] * frame.num_rows, type=pa.string()))
    return frame.assign(county=county)


def _card_extract(res, county: str) -> dict[str, pd.DataFrame]:
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
        WHERE a.household_id <> b.household_id ORDER BY a, b""",
    # CARD-01 / CARD-03: one account, or one reserved phone, behind cases of several counties
    **{
        f"shared_{column}": f"""
        SELECT {column} AS key, county, case_id, household_id, village_code, township, account_no FROM payout
        WHERE {column} IS NOT NULL AND {column} <> '' AND {column} IN (
          SELECT {column} FROM payout WHERE {column} IS NOT NULL GROUP BY {column} HAVING count(DISTINCT county) >= 2)
        ORDER BY key, county, case_id"""
        for column in ("account_no", "reserved_phone")
    },
    # KIN across county lines: for each official (x, of county ``home``) whose three-step neighbourhood over
    # every county's kinship edges holds an edge that ``home`` does not record, that neighbourhood's edges —
    # with the county an outside edge comes from (``via``) and the sex and birth of both ends; over the tables
    # that CROSS_STEPS["kin_reach"] materialises first
    "kin_reach": """
        WITH e AS (SELECT a, b, kind, min(source) AS source, min(county) AS c_min, max(county) AS c_max
                   FROM kin_edges WHERE (a, b, kind) IN (SELECT a, b, kind FROM kin_reach_edges) GROUP BY a, b, kind),
        own AS (SELECT DISTINCT county, a, b, kind FROM kin_edges
                WHERE (a, b, kind) IN (SELECT a, b, kind FROM kin_reach_edges)),
        outside AS (SELECT DISTINCT r.home, r.x FROM kin_reach_edges r LEFT JOIN own o
                    ON o.county = r.home AND o.a = r.a AND o.b = r.b AND o.kind = r.kind WHERE o.a IS NULL),
        ends AS (SELECT a AS id FROM kin_reach_edges UNION SELECT b FROM kin_reach_edges),
        nodes AS (SELECT id, min(sex) AS sex, min(birth) AS birth FROM kin_nodes
                  WHERE id IN (SELECT id FROM ends) GROUP BY id)
        SELECT r.home, r.x, r.a, r.b, r.kind, e.source,
               CASE WHEN o.a IS NULL THEN CASE WHEN e.c_min <> r.home THEN e.c_min ELSE e.c_max END END AS via,
               na.sex AS a_sex, na.birth AS a_birth, nb.sex AS b_sex, nb.birth AS b_birth
        FROM kin_reach_edges r JOIN outside f ON f.home = r.home AND f.x = r.x
        JOIN e ON e.a = r.a AND e.b = r.b AND e.kind = r.kind
        LEFT JOIN own o ON o.county = r.home AND o.a = r.a AND o.b = r.b AND o.kind = r.kind
        LEFT JOIN nodes na ON na.id = r.a LEFT JOIN nodes nb ON nb.id = r.b
        ORDER BY r.home, r.x, r.a, r.b, r.kind""",
}


def _hop(prev: str, keys: str, own: bool) -> str:
    """One step out from the nodes ``n`` of table ``prev`` over the kinship edges (``own``: only the edges of
    the node's own county ``home``), keeping ``prev``."""
    on = "county = home AND " if own else ""
    return f"""
        SELECT {keys}, n FROM {prev}
        UNION SELECT {keys}, b FROM {prev} JOIN kin_edges ON {on}a = n
        UNION SELECT {keys}, a FROM {prev} JOIN kin_edges ON {on}b = n"""


# Intermediate tables a query needs, materialised in this order before it on either engine (each step one
# text, read by the next by name — Spark would otherwise re-plan every repeated sub-query inside the next).
# kin_reach: people on the edges (or among the officials) of two or more counties (bridges, from each county's
# distinct ``kin_ends``); the officials within three steps of one over their own county's edges (only they can
# reach an edge their county does not record); their three-step neighbourhoods over every county's edges; the
# edges touching those.
CROSS_STEPS = {
    "kin_reach": {
        "kin_bridge": """
            SELECT county AS home, id AS n FROM kin_ends
            WHERE id IN (SELECT id FROM kin_ends GROUP BY id HAVING min(county) <> max(county))""",
        "kin_b1": _hop("kin_bridge", "home", own=True),
        "kin_b2": _hop("kin_b1", "home", own=True),
        "kin_b3": _hop("kin_b2", "home", own=True),
        "kin_n0": """
            SELECT DISTINCT county AS home, person_id AS x, person_id AS n FROM kin_officials
            WHERE (county, person_id) IN (SELECT home, n FROM kin_b3)""",
        "kin_n1": _hop("kin_n0", "home, x", own=False),
        "kin_n2": _hop("kin_n1", "home, x", own=False),
        "kin_n3": _hop("kin_n2", "home, x", own=False),
        "kin_reach_edges": """
            SELECT home, x, a, b, kind FROM kin_n3 JOIN kin_edges ON a = n
            UNION SELECT home, x, a, b, kind FROM kin_n3 JOIN kin_edges ON b = n""",
    }
}
EXTRACTS = ("members", "payout", "relations", "kin_edges", "kin_nodes", "kin_ends", *map(_kin_name, _KIN_TABLES))


def _ends(frames: dict[str, pd.DataFrame | pa.Table], county: str) -> pa.Table:
    """kin_ends: each id on the county's kinship edges or among its officials, once — what the search for
    people on two counties' edges groups (about a quarter of the rows of the edges' two ends)."""
    edges, officials = frames["kin_edges"], frames["kin_officials"]
    chunks = [c for part in (edges["a"], edges["b"], officials["person_id"]) for c in _strings(part).chunks]
    ids = pc.unique(pa.chunked_array(chunks, type=pa.string()).drop_null())
    return pa.table({"id": ids, "county": pa.array([county] * len(ids), type=pa.string())})


def _strings(column: pd.Series | pa.ChunkedArray) -> pa.ChunkedArray:
    if isinstance(column, pa.ChunkedArray):
        return column.cast(pa.string())
    return pa.chunked_array([pa.array(column.astype("string"), type=pa.string())])


def write_extracts(root: Path, county: str, frames: dict[str, pd.DataFrame | pa.Table]) -> None:
    """A county's extract tables as Parquet partitioned by county (``table/county_id=…/part-0.parquet``),
    every column text (a column that is empty in one county must not become a null-typed column that the
    others cannot be read with), and ``kin_ends`` drawn from them. Both engines query these files."""
    import pyarrow.parquet as pq

    from audit.store import atomic_write

    frames = {**frames, "kin_ends": _ends(frames, county)}
    for name in EXTRACTS:
        frame = frames[name]
        if isinstance(frame, pa.Table):
            table = pa.table({c: frame[c].cast(pa.string()) for c in frame.column_names})
        else:
            table = pa.table({c: pa.array(frame[c].astype("string"), type=pa.string()) for c in frame.columns})
        target = root / name / f"county_id={county}" / "part-0.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, lambda tmp: pq.write_table(table, tmp))


def read_kin_tables(root: Path, county: str) -> dict[str, pd.DataFrame]:
    """One county's KIN tables back from the extracts (small: cases, members, officials, filings)."""
    return {
        name: pd.read_parquet(root / _kin_name(name) / f"county_id={county}" / "part-0.parquet").drop(columns="county")
        for name in _KIN_TABLES
    }


def extract_rows(root: Path) -> dict[str, int]:
    """Rows of each spooled extract over all counties (from the Parquet footers)."""
    con = duckdb.connect()
    out = {}
    for name in EXTRACTS:
        files = str(root / name / "*" / "*.parquet").replace("'", "''")
        out[name] = con.execute(f"SELECT sum(num_rows) FROM parquet_file_metadata('{files}')").fetchone()[0] or 0
    return {k: int(v) for k, v in out.items()}


# DuckDB's memory for the cross-county pass; beyond it DuckDB spills to the spool folder instead of failing
CROSS_MEMORY = "2GB"


def duckdb_query(root: Path):
    """Run a CROSS_SQL query over the extracts of every county in DuckDB (the one-machine engine).

    The extracts are views of their Parquet files (loading them as tables first cost 34 s of a 20 × 1M
    province's 45 s; over the views the whole pass takes 10 s); the steps are tables in a database file in
    the spool folder, and DuckDB spills to disk past ``CROSS_MEMORY``."""
    con = duckdb.connect(str(root / "cross.duckdb"))
    spill = str(root / "spill").replace("'", "''")
    con.execute(f"SET memory_limit = '{CROSS_MEMORY}'; SET temp_directory = '{spill}'")
    for name in EXTRACTS:
        files = str(root / name / "*" / "*.parquet").replace("'", "''")
        con.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM read_parquet('{files}', hive_partitioning=1)")

    def query(name: str) -> pd.DataFrame:
        for step, text in CROSS_STEPS.get(name, {}).items():
            con.execute(f"CREATE OR REPLACE TABLE {step} AS {text}")
        return con.execute(CROSS_SQL[name]).df()

    query.close = con.close  # before the spool folder is removed
    return query


def cross_county_kin(query, tables_of, profile, as_of: dict[str, str]) -> list[Finding]:
    """KIN-01/KIN-02 findings that show only across county lines: the county's own detectors, run on the
    kinship graph of its officials' neighbourhoods over every county's edges, less what its own run reported.
    ``tables_of(county)`` gives the county's KIN tables (:func:`read_kin_tables`)."""
    import datetime as dt
    from dataclasses import replace

    from audit.context import AuditContext
    from audit.profile import Profile, load_profile
    from detectors.base import all_detectors
    from graphs.kinship import kinship_from_edges

    prof = profile if isinstance(profile, Profile) else load_profile(profile)
    specs = [s for s in all_detectors() if s.code in KIN_RULES]
    reach = query("kin_reach")
    out: list[Finding] = []
    for home, g in reach.groupby("home", sort=True):
        nodes = pd.concat(
            [
                g[["a", "a_sex", "a_birth"]].set_axis(["id", "sex", "birth"], axis=1),
                g[["b", "b_sex", "b_birth"]].set_axis(["id", "sex", "birth"], axis=1),
            ]
        )
        kin = kinship_from_edges(g.drop_duplicates(["a", "b", "kind"]), nodes)
        t = tables_of(home)
        tables = {n: f for n, f in t.items() if n != "found" and (len(f) or n in ("cases", "officials", "persons"))}
        tables["officials"] = t["officials"][t["officials"].person_id.isin(set(g.x))]
        ctx = AuditContext(tables, prof, dt.date.fromisoformat(as_of[home]))
        ctx.__dict__["kinship"] = kin  # the neighbourhoods' graph instead of the county's own
        reported = set(zip(t["found"].official_id, t["found"].case_id))
        via = {frozenset((r.a, r.b)): r.via for r in g.itertuples() if isinstance(r.via, str)}
        for spec in specs:
            for f in spec.fn(ctx):
                if (f.official_id, f.case_id) in reported:
                    continue
                ids = f.evidence["path"][::2]
                counties = sorted({via[k] for k in map(frozenset, zip(ids, ids[1:])) if k in via})
                if not counties:  # the closest chain lies in the county: its own run decided on it
                    continue
                where = {"county": home, "counties": [home, *counties], "what": "跨县亲属关系"}
                said = f"该亲属关系见于{'、'.join(counties)}的户籍或亲属关系登记（跨县）"
                out.append(
                    replace(
                        f,
                        key_extra="跨县",
                        policy_ref=spec.policy_ref,
                        evidence=dict(f.evidence) | where,
                        explanation=f"{f.explanation.rstrip('。')}；{said}。",
                    )
                )
    return out


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


def write_province(
    out: Path, summaries: dict[str, dict], findings: list[Finding], engine: str, cross_engine: str = "duckdb"
) -> pd.DataFrame:
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
        "cross_county_engine": cross_engine,
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
    from audit.parquet import read_county

    layout, names = counties_of(root)
    parquet = layout == "parquet"
    if len(names) < 2:
        raise InputError(f"{root}：没有找到两个以上的县工作目录（每个县一个子文件夹，内含数据表）。")
    summaries, spool = {}, out / ".province-extracts"
    shutil.rmtree(spool, ignore_errors=True)
    t0 = time.perf_counter()
    for i, name in enumerate(names):
        progress.say(f"审计第 {i + 1}/{len(names)} 个县：{name}")
        loaded = read_county(root, name) if parquet else None
        res = run_audit(
            root if parquet else root / name, profile, out / name, progress=Progress(quiet=True), loaded=loaded
        )
        summaries[name] = county_summary(res, out / name)
        write_extracts(spool, name, extract(res, name))
        del res, loaded
    seconds = {"counties": round(time.perf_counter() - t0, 2)}
    t0 = time.perf_counter()
    progress.say("跨县比对（重复享受、共用账户和预留手机号、跨县近亲属）")
    query = duckdb_query(spool)
    found = cross_county_findings(query) + cross_county_kin(
        query, lambda c: read_kin_tables(spool, c), profile, {c: s["as_of"] for c, s in summaries.items()}
    )
    query.close()
    frame = write_province(out, summaries, found, "duckdb")
    seconds["cross_county"] = round(time.perf_counter() - t0, 2)
    rows = extract_rows(spool)
    shutil.rmtree(spool, ignore_errors=True)
    return ProvinceResult(summaries, frame, out, seconds, rows)
