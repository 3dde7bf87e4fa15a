"""The imported workspace as a data platform holds it: one Parquet table per contract table, partitioned
by county (``persons/county_id=都匀市/part-0.parquet``), beside the rejects (``_rejects``) and each county's
import notes (``_meta``). ``dibao-audit export-parquet`` writes it; the Spark engine (and ``read_county``)
reads a county back as the workspace the import gave, so an audit of the Parquet layout says what an
audit of the original files says — rejects included, with their file names and Excel rows.

The partition key is ``county_id`` (the county's folder name): ``county`` is already a column of persons.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from audit.errors import InputError
from audit.load import Workspace, load_workspace
from audit.progress import Progress
from audit.store import atomic_write, relation_frame

__all__ = ["PARTITION", "export_parquet", "is_parquet_layout", "parquet_counties", "read_county"]

PARTITION = "county_id"
_REJECTS, _META = "_rejects", "_meta"


def is_parquet_layout(root: Path) -> bool:
    return (Path(root) / _META).is_dir()


def parquet_counties(root: Path) -> list[str]:
    """The counties of a Parquet layout, sorted (the partitions of its ``_meta``)."""
    meta = Path(root) / _META
    return sorted(p.name.split("=", 1)[1] for p in meta.iterdir() if p.is_dir() and p.name.startswith(f"{PARTITION}="))


def _part(root: Path, table: str, county: str) -> Path:
    return Path(root) / table / f"{PARTITION}={county}" / "part-0.parquet"


def write_county(root: Path, county: str, ws: Workspace) -> None:
    """One county's imported tables, rejects and notes into the layout (each file written atomically)."""
    con = duckdb.connect()
    try:
        for name, frame in {**ws.tables, _REJECTS: ws.rejects}.items():
            target = _part(root, name, county)
            target.parent.mkdir(parents=True, exist_ok=True)
            con.register("_f", frame)
            atomic_write(target, lambda tmp: con.execute(f"COPY (SELECT * FROM _f) TO '{tmp}' (FORMAT parquet)"))
            con.unregister("_f")
    finally:
        con.close()
    meta = ws.meta()
    target = Path(root) / _META / f"{PARTITION}={county}" / "meta.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    body = json.dumps(meta, ensure_ascii=False, indent=2, default=str)
    atomic_write(target, lambda tmp: tmp.write_text(body, encoding="utf-8"))


def read_county(root: Path, county: str) -> Workspace:
    """One county of the layout as the import gave it: typed tables, rejects, sources and notes."""
    root = Path(root)
    meta_path = root / _META / f"{PARTITION}={county}" / "meta.json"
    if not meta_path.exists():
        raise InputError(f"{root}：Parquet 数据中没有县 {county}（缺少 {meta_path.relative_to(root)}）。")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    con = duckdb.connect()
    try:
        tables = {}
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
            part = _part(root, folder.name, county)
            if part.exists():
                tables[folder.name] = relation_frame(con.sql(f"SELECT * FROM read_parquet('{part}')"))
        rejects = relation_frame(con.sql(f"SELECT * FROM read_parquet('{_part(root, _REJECTS, county)}')"))
    finally:
        con.close()
    return Workspace.restore(tables, rejects, meta)


def export_parquet(source: Path, out: Path, progress: Progress | None = None) -> list[str]:
    """Import a county workspace, or every county of a province folder, into the Parquet layout under
    ``out``; returns the counties written."""
    from audit.province import county_folders

    progress = progress or Progress(quiet=True)
    source, out = Path(source), Path(out)
    folders = county_folders(source) or [source]
    for i, ws_dir in enumerate(folders):
        progress.say(f"导出第 {i + 1}/{len(folders)} 个县：{ws_dir.name}")
        write_county(out, ws_dir.name, load_workspace(ws_dir, progress=lambda m: progress.say(m)))
    return [f.name for f in folders]
