"""Import a county workspace: find tables, detect encodings, map headers, parse, reject bad rows.

Nothing is dropped silently: every rejected row or cleared cell is a row of the rejects frame
(file, row, column, value, reason_code, reason, action) and becomes a DATA-01 finding.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from audit.errors import ErrorCollector, InputError
from audit.ids import id_birth_date, id_sex, mask_value, uscc_valid, validate_resident_id
from audit.parse import norm_header, parse_date_series, parse_money, parse_month, parse_time
from audit.schema import REQUIRED_TABLES, TABLES, TableSpec, table_by_filename

__all__ = ["Workspace", "SourceInfo", "load_workspace", "read_text", "REJECT_COLUMNS", "REJECT_KEYS",
           "REJECT_FRAME_COLUMNS", "REASONS_ZH"]

REJECT_COLUMNS = ["table", "file", "row", "column", "value", "reason_code", "reason", "action"]
# The rejected row's keys as written (unmasked, kept in the store for the DATA-01 finding only;
# rejects.csv carries REJECT_COLUMNS, with the value masked).
REJECT_KEYS = ["case_id", "household_id", "person_id", "official_id", "account_no", "meeting_id", "village_code"]
REJECT_FRAME_COLUMNS = REJECT_COLUMNS + REJECT_KEYS
REASONS_ZH = {
    "BAD_ID_FORMAT": "身份证号格式错误（应为18位，末位可为X）",
    "BAD_ID_CHECKSUM": "身份证号校验位错误",
    "BAD_ID_BIRTHDATE": "身份证号中的出生日期不存在",
    "BAD_HOLDER_ID": "户名证件号既不是有效身份证号，也不是有效统一社会信用代码",
    "BAD_DATE": "日期无法识别",
    "BAD_MONTH": "月份无法识别",
    "BAD_DATETIME": "时间无法识别",
    "BAD_MONEY": "金额无法识别",
    "BAD_INT": "不是整数",
    "UNKNOWN_CODE": "代码不在可接受取值内",
    "MISSING_VALUE": "必填项为空",
    "DUPLICATE_KEY": "主键重复",
}
SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm"}
MAX_AMOUNT = 1e10          # no payout, income or asset in a county roll reaches ten billion yuan


@dataclass
class SourceInfo:
    table: str
    file: str
    encoding: str
    sha256: str
    size: int
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    cells_cleared: int = 0
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class Workspace:
    """Validated tables with canonical English columns, plus the rejects and where each came from."""

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    sources: list[SourceInfo]
    warnings: list[str] = field(default_factory=list)

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for s in sorted(self.sources, key=lambda s: (s.table, s.file)):
            h.update(f"{s.table}:{s.sha256}".encode())
        return h.hexdigest()[:16]


# ---------------------------------------------------------------- reading files
def read_text(data: bytes, file: str) -> tuple[str, str]:
    """Decode bytes as UTF-8 (with or without BOM) or GB18030, detected, never assumed."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise InputError(f"{file}: 无法识别文件编码（支持 UTF-8、GB18030/GBK）。")
    return str(best), best.encoding


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour or v.minute or v.second) else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    text, enc = read_text(path.read_bytes(), path.name)
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                        skipinitialspace=False)
    return frame, enc


def _read_sheets(path: Path) -> dict[str, pd.DataFrame]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            continue
        width = len(header)
        data = [[_cell(v) for v in r[:width]] + [""] * (width - len(r)) for r in rows
                if any(v not in (None, "") for v in r)]
        out[ws.title] = pd.DataFrame(data, columns=[_cell(h) for h in header], dtype=object).astype(str)
    wb.close()
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def discover(workspace: Path) -> tuple[list[tuple[str, str, pd.DataFrame, SourceInfo]], list[str]]:
    """Every (table, label, raw frame, source) found in the folder; ignored files as warnings."""
    if not workspace.is_dir():
        raise InputError(f"工作目录不存在或不是文件夹：{workspace}")
    found, warnings = [], []
    for path in sorted(p for p in workspace.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))):
        if path.suffix.lower() not in SUFFIXES:
            if path.name not in {"truth.csv", "README.md"}:
                warnings.append(f"已忽略文件 {path.name}：不是 CSV/XLSX 表格")
            continue
        digest, size = _sha256(path), path.stat().st_size
        table = table_by_filename(path.stem)
        if path.suffix.lower() in {".csv", ".txt"}:
            if table is None:
                if path.name != "truth.csv":
                    warnings.append(f"已忽略文件 {path.name}：文件名不对应任何数据表")
                continue
            frame, enc = _read_csv(path)
            found.append((table, path.name, frame, SourceInfo(table, path.name, enc, digest, size)))
            continue
        sheets = _read_sheets(path)
        if table is not None:  # a file per table: take its first sheet
            first = next(iter(sheets.values()), pd.DataFrame())
            found.append((table, path.name, first, SourceInfo(table, path.name, "xlsx", digest, size)))
            continue
        for sheet, frame in sheets.items():
            t = table_by_filename(sheet)
            if t is None:
                warnings.append(f"已忽略工作表 {path.name}:{sheet}：表名不对应任何数据表")
                continue
            label = f"{path.name}:{sheet}"
            found.append((t, label, frame, SourceInfo(t, label, "xlsx", digest, size)))
    return found, warnings


# ---------------------------------------------------------------- parsing columns
@lru_cache(maxsize=1 << 21)
def _check_id(raw: str) -> tuple[str | None, str | None]:
    return validate_resident_id(raw)


@lru_cache(maxsize=1 << 16)
def _check_holder(raw: str) -> tuple[str | None, str | None]:
    pid, err = validate_resident_id(raw)
    if pid:
        return pid, None
    return (raw.strip().upper(), None) if uscc_valid(raw) else (None, "BAD_HOLDER_ID")


def _map_unique(s: pd.Series, fn: Callable[[str], object]) -> pd.Series:
    uniq = pd.unique(s)
    lookup = {u: fn(u) for u in uniq}
    return s.map(lookup)


def _parse_column(kind: str, codes: dict[str, str], s: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """Returns (parsed values, bad mask, reason code for bad cells)."""
    blank = s == ""
    if kind == "id":
        res = _map_unique(s, _check_id)
        val = res.map(lambda r: r[0])
        reason = res.map(lambda r: r[1])
        return val.where(~blank, None), reason.notna() & ~blank, reason
    if kind == "holder_id":
        res = _map_unique(s, _check_holder)
        return res.map(lambda r: r[0]).where(~blank, None), res.map(lambda r: r[1]).notna() & ~blank, "BAD_HOLDER_ID"
    if kind == "date":
        val, bad = parse_date_series(s)
        return val.dt.normalize(), bad, "BAD_DATE"
    if kind == "month":
        val = pd.to_datetime(_map_unique(s, parse_month), errors="coerce")
        return val, val.isna() & ~blank, "BAD_MONTH"
    if kind == "datetime":
        val = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S", errors="coerce")
        todo = val.isna() & ~blank
        if todo.any():
            val.loc[todo] = pd.to_datetime(s[todo].map(parse_time), errors="coerce")
        return val, val.isna() & ~blank, "BAD_DATETIME"
    if kind in ("money", "int"):
        val = pd.to_numeric(s.where(~blank, None), errors="coerce").astype(float)
        todo = val.isna() & ~blank
        if todo.any():      # 1,234.50 / ¥300 / ３００元: parsed one distinct text at a time (pandas 2 and 3 alike)
            extra = pd.to_numeric(_map_unique(s[todo], parse_money), errors="coerce").astype(float)
            val = val.where(~todo, extra.reindex(val.index))
        val = val.where(np.isfinite(val) & (val.abs() < MAX_AMOUNT))      # inf, 1e20: not an amount
        if kind == "int":
            bad = (val.isna() | (val != np.floor(val.fillna(0)))) & ~blank
            return val.where(~bad).astype("Int64"), bad, "BAD_INT"
        return val, val.isna() & ~blank, "BAD_MONEY"
    if kind == "enum":
        val = s.str.lower().map(codes)
        return val.where(~blank, None), val.isna() & ~blank, "UNKNOWN_CODE"
    if kind == "idlist":
        def check(cell: str) -> str | None:
            ids = [p for p in cell.replace("；", ";").replace(",", ";").split(";") if p.strip()]
            ok = [_check_id(p) for p in ids]
            return None if any(e for _, e in ok) else ";".join(i for i, _ in ok)
        val = _map_unique(s, check)
        return val.where(~blank, None), val.isna() & ~blank, "BAD_ID_FORMAT"
    return s.where(~blank, None), pd.Series(False, index=s.index), ""


def _normalise_strings(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for c in frame.columns:
        s = frame[c].astype(str).str.strip()
        if s.str.contains(r"[^\x00-\x7f]", regex=True).any():
            s = s.str.normalize("NFKC").str.strip()
        out[c] = s
    return pd.DataFrame(out, index=frame.index)


def parse_table(spec: TableSpec, label: str, raw: pd.DataFrame, info: SourceInfo,
                row_offset: int = 2, headers: dict[str, str] | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Parse one raw string frame (canonical headers) into typed columns and reject records.

    ``headers`` maps canonical names back to the file's own headers, so that a reject names
    the column as the user sees it in Excel.
    """
    headers = headers or {}
    raw = _normalise_strings(raw)
    rows = pd.Series(np.arange(len(raw)) + row_offset, index=raw.index)
    rejects: list[dict] = []
    bad_rows = pd.Series(False, index=raw.index)
    out = {}
    key_cols = [k for k in REJECT_KEYS if k in raw.columns]
    if "official_id" not in raw.columns and spec.name == "officials" and "person_id" in raw.columns:
        key_cols.append("official_id")

    def keys_of(i) -> dict:
        got = {k: raw.at[i, "person_id" if (k == "official_id" and spec.name == "officials") else k]
               for k in key_cols}
        if spec.name == "officials":
            got.pop("person_id", None)
        return {k: (v.upper() if k.endswith("_id") else v) for k, v in got.items() if v}

    def record(mask: pd.Series, column: str, reason_codes, action: str) -> None:
        idx = mask[mask].index
        if not len(idx):
            return
        codes = reason_codes.loc[idx] if isinstance(reason_codes, pd.Series) else pd.Series(reason_codes, index=idx)
        for i, code in zip(idx, codes):
            rejects.append({"table": spec.name, "file": label, "row": int(rows[i]),
                            "column": headers.get(column, column), "value": mask_value(column, raw.at[i, column]), "reason_code": code,
                            "reason": REASONS_ZH.get(code, code), "action": action, **keys_of(i)})

    for col in spec.columns:
        if col.name not in raw.columns:      # an absent optional column: typed and empty
            blank = pd.Series("", index=raw.index, dtype=object)
            if col.default is not None:
                blank[:] = col.default
            out[col.name] = _parse_column(col.kind, col.codes, blank)[0]
            continue
        s = raw[col.name]
        if col.default is not None:
            s = s.where(s != "", col.default)
        val, bad, reason = _parse_column(col.kind, col.codes, s)
        if col.required:
            missing = s == ""
            record(missing, col.name, "MISSING_VALUE", "整行剔除")
            record(bad & ~missing, col.name, reason, "整行剔除")
            bad_rows |= missing | bad
        else:
            record(bad, col.name, reason, "该值置空")
            info.cells_cleared += int(bad.sum())
            val = val.where(~bad, None)
        out[col.name] = val
    frame = pd.DataFrame(out, index=raw.index)
    frame["src_row"] = rows
    frame["src_file"] = label
    if spec.key:
        ok = frame[~bad_rows]
        dup = ok.duplicated(list(spec.key), keep="first")
        if dup.any():
            first_rows = ok[~dup].set_index(list(spec.key))["src_row"]
            for i in dup[dup].index:
                k = tuple(ok.loc[i, list(spec.key)])
                first = first_rows.loc[k if len(k) > 1 else k[0]]
                rejects.append({"table": spec.name, "file": label, "row": int(rows[i]),
                                "column": "+".join(headers.get(c, c) for c in spec.key),
                                "value": "+".join(mask_value(c, str(v)) for c, v in zip(spec.key, k)),
                                "reason_code": "DUPLICATE_KEY",
                                "reason": f"{REASONS_ZH['DUPLICATE_KEY']}（与第{int(first)}行重复）",
                                "action": "整行剔除", **keys_of(i)})
            bad_rows |= dup.reindex(frame.index, fill_value=False)
    frame = frame[~bad_rows].reset_index(drop=True)
    info.rows_read, info.rows_loaded = len(raw), len(frame)
    info.rows_rejected = int(bad_rows.sum())
    return frame, rejects


def _derive_person_fields(persons: pd.DataFrame) -> pd.DataFrame:
    """Birth date and sex from the ID; fill the columns where they are blank."""
    pid = persons["person_id"].astype(str)
    persons["id_birth_date"] = pd.to_datetime(
        pid.str.slice(6, 14), format="%Y%m%d", errors="coerce")
    persons["id_sex"] = np.where(pid.str.slice(16, 17).astype(int) % 2 == 1, "男", "女")
    persons["birth_date"] = pd.to_datetime(persons["birth_date"]).fillna(persons["id_birth_date"])
    persons["sex"] = persons["sex"].fillna(pd.Series(persons["id_sex"], index=persons.index))
    return persons


def load_workspace(workspace: str | Path, progress: Callable[[str], None] | None = None) -> Workspace:
    """Import every table of a workspace folder.

    Raises
    ------
    InputError
        When a required table or column is missing (every problem listed in one message),
        or when a file cannot be decoded.
    """
    workspace = Path(workspace)
    found, warnings = discover(workspace)
    problems = ErrorCollector(InputError, f"无法导入工作目录 {workspace}")
    seen: dict[str, str] = {}
    mapped = []
    for table, label, raw, info in found:
        if table in seen:
            problems.add(f"数据表 {table} 出现在两个文件中：{seen[table]} 和 {label}；请只保留一个。")
            continue
        seen[table] = label
        spec = TABLES[table]
        hmap = spec.header_map()
        rename, ignored = {}, []
        for h in raw.columns:
            canon = hmap.get(norm_header(h))
            if canon is None or canon in rename.values():
                ignored.append(str(h))
            else:
                rename[h] = canon
        for col in spec.columns:
            if col.required and col.name not in rename.values():
                problems.add(f"{label}: 缺少必填列 '{col.name}'。可接受的列名：{'、'.join(col.all_names())}。"
                             f"文件中的列：{'、'.join(map(str, raw.columns)) or '（无）'}。")
        info.ignored_columns = ignored
        if ignored:
            warnings.append(f"{label}: 未识别的列已忽略：{'、'.join(ignored)}")
        mapped.append((spec, label, raw[list(rename)].rename(columns=rename), info,
                       {v: str(k) for k, v in rename.items()}))
    for t in REQUIRED_TABLES:
        if t not in seen:
            names = "、".join((t, *TABLES[t].zh))
            problems.add(f"缺少必需的数据表 {t}：请提供文件名或工作表名为 {names} 之一的 CSV/XLSX。")
    problems.raise_if_any()

    tables, rejects, sources = {}, [], []
    for spec, label, raw, info, headers in mapped:
        if progress:
            progress(f"导入 {label}（{len(raw):,} 行）")
        frame, rej = parse_table(spec, label, raw, info, headers=headers)
        if spec.name == "persons":
            frame = _derive_person_fields(frame)
        tables[spec.name] = frame
        rejects.extend(rej)
        sources.append(info)
    rej = pd.DataFrame(rejects, columns=REJECT_FRAME_COLUMNS)
    return Workspace(tables, rej.sort_values(["file", "row"], kind="stable").reset_index(drop=True),
                     sources, warnings)
