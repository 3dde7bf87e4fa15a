"""Import a county workspace: find tables, detect encodings, map headers, parse, reject bad rows.

Nothing is dropped silently: every rejected row or cleared cell is a row of the rejects frame
(file, row, column, value, reason_code, reason, action) and becomes a DATA-01 finding.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from audit.errors import ErrorCollector, InputError
from audit.households import (
    MEMBER_HEADERS,
    households_by_head_name,
    member_slots,
    reconcile_households,
    unpivot_members,
)
from audit.ids import id_births_and_sexes, mask_value, uscc_valid, validate_resident_id, validate_resident_id_array
from audit.parse import norm_header, parse_date_series, parse_money, parse_month, parse_time
from audit.schema import RELATION_TO_HEAD as RELATION_CODES
from audit.schema import REQUIRED_TABLES, TABLES, YES_NO, TableSpec, table_by_filename
from audit.sheets import SPACES, Grid, Header, locate_header, read_grids, split_body, title_period, total_checks

__all__ = [
    "Workspace",
    "SourceInfo",
    "load_workspace",
    "inspect_workspace",
    "read_mapping",
    "save_mapping",
    "read_text",
    "REJECT_COLUMNS",
    "REJECT_KEYS",
    "REJECT_FRAME_COLUMNS",
    "REASONS_ZH",
]

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
    "DATE_OUT_OF_RANGE": "日期超出合理范围（1900—2099年），多为占位值或录入错误",
    "BAD_MONEY": "金额无法识别",
    "BAD_INT": "不是整数",
    "UNKNOWN_CODE": "代码不在可接受取值内",
    "MISSING_VALUE": "必填项为空",
    "DUPLICATE_KEY": "主键重复",
    "TOTAL_MISMATCH": "合计行与明细不符",
    "NO_CASE_FOR_ID": "发放表没有低保编号，且该身份证号不是低保名册中任何户的户主",
    "NO_CASE_FOR_HEAD": "成员表没有低保证号，且其户主不是低保名册中任何户的户主（无法确定所属低保户）",
}
SUFFIXES = {".csv", ".txt", ".xlsx", ".xlsm", ".xls"}
MAPPING_FILE = "列对应.json"
_re_month = __import__("re").compile(
    r"\d{4}-\d{1,2}|\d{4}/\d{1,2}|\d{4}年\d{1,2}月"
)  # the user's own header → contract column choices (saved by 数据导入)
MAX_AMOUNT = 1e10  # no payout, income or asset in a county roll reaches ten billion yuan
# dates a county roll can hold (births from 1900, nothing planned past 2099): 9999-12-31 placeholders and
# Excel serials such as 99999 (year 2173) are rejected instead of moving the reference date or the rules
DATE_RANGE = (pd.Timestamp("1900-01-01"), pd.Timestamp("2099-12-31 23:59:59"))


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
    header_row: int | str = 1
    structure: list[dict] = field(default_factory=list)  # 合计行 / 表尾 / 列序号行 skipped, with row numbers
    blank_rows: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Workspace:
    """Validated tables with canonical English columns, plus the rejects and where each came from."""

    tables: dict[str, pd.DataFrame]
    rejects: pd.DataFrame
    sources: list[SourceInfo]
    warnings: list[str] = field(default_factory=list)
    unused: list[dict] = field(default_factory=list)  # files and sheets not used, with the reason

    @classmethod
    def restore(cls, tables: dict[str, pd.DataFrame], rejects: pd.DataFrame, meta: dict) -> Workspace:
        """A workspace written out earlier (the run's store, the Parquet layout): tables, rejects and the
        meta that :meth:`meta` gave."""
        return cls(
            tables,
            rejects.reindex(columns=REJECT_FRAME_COLUMNS),
            [SourceInfo(**s) for s in meta["sources"]],
            meta["warnings"],
            meta.get("unused", []),
        )

    def meta(self) -> dict:
        """What is kept beside the tables when a workspace is written out."""
        return {"sources": [asdict(s) for s in self.sources], "warnings": self.warnings, "unused": self.unused}

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


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# helper columns a loader step combines into contract columns (bank statements as banks give them, the
# national 社会救助信息系统 exports that carry no 户号 or 村代码)
_HEAD = {norm_header(h): "_head_id" for h in ("户主身份证号", "户主公民身份号码")}
_VNAME = {norm_header(h): "_village_name" for h in ("所属社区", "所属社", "村(社区)", "村(社区)名称", "村名")}
_HEAD_NAME = {norm_header("户主姓名"): "_head_name"}
EXTRA_HEADERS = {
    "payments": {norm_header(h): "_person_id" for h in ("身份证号", "身份证号码", "公民身份号码", "户主身份证号")},
    "cases": {
        **_VNAME,
        **{norm_header(h): "_first_month" for h in ("最初享受月", "最初享受月份", "起始保障年月")},
        **{norm_header(h): "_id" for h in ("身份证号", "身份证号码")},
        norm_header("地区"): "_village_name",
        # 浪潮 台账统计明细 (R7): 证件号码 is the 低保证号 there, members are column pairs
        norm_header("证件号码"): "_card_no",
        norm_header("登记时间"): "_registered",
        norm_header("家庭电话"): "_phone",
        norm_header("户主是否享受"): "_head_enjoys",
        norm_header("变动种类"): "_change",
        norm_header("变动时间"): "_change_date",
        norm_header("性别"): "_sex",
        **_HEAD_NAME,
        **{norm_header(h): c for h, c in MEMBER_HEADERS.items()},
    },
    "persons": {
        **_HEAD,
        **_HEAD_NAME,
        **{norm_header(h): "_village_name" for h in ("地区", "属地")},
        **{norm_header(h): "_case_id" for h in ("低保(特困)证号", "低保证号", "低保编号")},
        **{norm_header(h): "_relief" for h in ("救助类型", "是否保障对象")},
    },
    "withdrawals": {
        **{norm_header(h): "_date" for h in ("交易日期", "记账日期", "记账日", "日期")},
        **{
            norm_header(h): "_summary"
            for h in ("摘要", "交易摘要", "摘要说明", "交易名称", "交易类型", "现金标志", "附言")
        },
        **{norm_header(h): "_income" for h in ("收入", "交易金额(收入)", "收入金额", "贷方金额")},
        **{norm_header(h): "_expense" for h in ("支出", "交易金额(支出)", "支出金额", "借方金额")},
    },
}
_CHANNEL_HINTS = (
    ("助农", "助农取款点"),
    ("ATM", "ATM"),
    ("自助", "ATM"),
    ("取款机", "ATM"),
    ("柜员机", "ATM"),
    ("POS", "POS"),
    ("消费", "POS"),
    ("存现", "现金存入"),
    ("现金存入", "现金存入"),
    ("现存", "现金存入"),
    ("柜台", "柜台"),
    ("柜面", "柜台"),
    ("现金", "柜台"),
    ("转账", "转账"),
    ("转出", "转账"),
    ("转入", "转账"),
    ("汇款", "转账"),
    ("网银", "转账"),
    ("代发", "转账"),
)


@dataclass
class Found:
    """One table read from a file or sheet: the raw strings under contract column names, the Excel row
    number of every data row, and what the user's headers were."""

    table: str
    label: str
    raw: pd.DataFrame
    info: SourceInfo
    headers: dict[str, str]
    rows: pd.Series
    checks: list[dict] = field(default_factory=list)
    columns_written: list[str] = field(default_factory=list)
    join_ids: pd.Series | None = None  # rows without 低保编号: each row's head ID, matched to cases later
    derived: bool = False  # made from another table's file (members of a roster): yields to a file of its own
    join_label: str = "身份证号"  # the column the join ID was read from, for a row that matches no case
    by_head: bool = False  # households keyed by the head's ID (no 户号 in the file)


def _frame(grid: Grid, header: Header, data: list[int] | np.ndarray) -> pd.DataFrame:
    width = max((j for idx in header.columns.values() for j in idx), default=-1) + 1
    rows = np.asarray(data, dtype=np.int64)
    if grid.columns is not None:  # a columnar grid: whole columns taken at C speed
        cols = {j: grid.column(j, rows) for idx in header.columns.values() for j in idx}
        out = {}
        for canon, idx in header.columns.items():
            if len(idx) == 1:
                out[canon] = cols[idx[0]].to_pandas()
            else:
                out[canon] = _combine(canon, [cols[j].to_pylist() for j in idx], len(rows))
        return pd.DataFrame(out)
    body = [grid.rows[i] for i in rows]
    body = [r if len(r) >= width else r + [""] * (width - len(r)) for r in body]
    cols = list(zip(*body)) if body else [()] * width  # one transpose, at C speed
    out = {}
    for canon, idx in header.columns.items():
        if len(idx) == 1:
            out[canon] = list(cols[idx[0]]) if body else []
        else:
            out[canon] = _combine(canon, [cols[j] for j in idx], len(body))
    return pd.DataFrame(out, dtype=object)


def _combine(canon: str, parts: list, n: int) -> list[str]:
    """One contract column written over several columns: helper text joined, or money sub-columns without
    a total summed (a part that is not a number is kept, so the row is rejected with its text)."""
    if not n:
        return []
    if canon.startswith("_"):
        return [" ".join(x for x in cells if x) for cells in zip(*parts)]
    vals = []
    for cells in zip(*parts):
        texts = [t for t in cells if t and t.strip()]
        nums = [parse_money(t) for t in texts]
        vals.append(
            ""
            if not texts
            else ("无法合计：" + "/".join(texts))
            if any(v is None for v in nums)
            else f"{sum(nums):.2f}"
        )
    return vals


def _statement_columns(raw: pd.DataFrame, notes: list[str], label: str) -> pd.DataFrame:
    """Bank statements as banks give them: date and time in two columns, income and expense in two
    columns or a signed amount, no channel column (inferred from the summary where it says, else 未知)."""
    raw = raw.copy()
    if "_date" in raw:
        t = raw.get("time", pd.Series("", index=raw.index)).astype(str).str.strip()
        t = t.where(~t.str.fullmatch(r"\d{6}"), t.str.slice(0, 2) + ":" + t.str.slice(2, 4) + ":" + t.str.slice(4, 6))
        has_date = t.str.contains(r"\d{4}[-/年.]?\d{1,2}[-/月.]?\d{1,2}", regex=True)
        raw["time"] = t.where(has_date, (raw["_date"].astype(str).str.strip() + " " + t).str.strip())
        notes.append(f"{label}：交易日期与交易时间分列，已合并")
    if "amount" not in raw and ("_income" in raw or "_expense" in raw):
        inc = raw.get("_income", pd.Series("", index=raw.index)).astype(str).str.strip()
        exp = raw.get("_expense", pd.Series("", index=raw.index)).astype(str).str.strip()
        spent = exp.str.strip("0.-").ne("") & exp.ne("")
        raw["amount"] = exp.where(spent, inc)
        if "direction" not in raw:
            raw["direction"] = pd.Series(["支出" if x else "存入" for x in spent], index=raw.index)
        notes.append(f"{label}：收入、支出分列，已合并为金额和收支")
    if "amount" in raw and "direction" not in raw:
        a = raw["amount"].astype(str).str.strip()
        signed = a.str.startswith(("-", "+"))
        if signed.any():
            raw["direction"] = a.str.startswith("-").map({True: "支出", False: "存入"}).where(signed, "")
            raw["amount"] = a.str.lstrip("+-")
            notes.append(f"{label}：金额带正负号，负数记为支出、正数记为存入")
    if "channel" not in raw:
        summary = raw.get("_summary", pd.Series("", index=raw.index)).astype(str)
        guess = pd.Series("未知", index=raw.index, dtype=object)
        for word, channel in reversed(_CHANNEL_HINTS):
            guess = guess.where(~summary.str.contains(word, regex=False), channel)
        raw["channel"] = guess
        unknown = int((guess == "未知").sum())
        notes.append(
            f"{label}：没有交易渠道列，已按摘要推断；{unknown:,}条无法推断（记为“未知”，"
            f"依赖渠道的规则 CARD-04/05/07/08 对这些交易不作判断）"
        )
    return raw.drop(columns=[c for c in raw.columns if c.startswith("_")])


def _village_code(township: object, name: object) -> str:
    """A stable code for a village known only by name (the national export has no 村代码)."""
    import hashlib as _h

    key = f"{township or ''}|{name or ''}"
    return "V" + _h.sha1(key.encode("utf-8")).hexdigest()[:10].upper()


def _derivable(table: str, header: Header, grid: Grid, file_name: str) -> dict[str, str]:
    """Required columns a file lacks that can be derived from what it has, with how (said once)."""
    have = set(header.columns)
    out = {}
    if table == "withdrawals":
        out["channel"] = "按摘要推断"
        if "account_no" not in have and _own_account(grid, header, file_name):
            out["account_no"] = "取自文件名或表头上方的卡号"
    if table == "payments" and "period" not in have and title_period(grid, header):
        out["period"] = "取自标题"
    if table == "payments" and "case_id" not in have and "_person_id" in have:
        out["case_id"] = "发放表没有低保编号，按身份证号对应到低保名册的户主"
    if table in ("cases", "persons"):
        if "household_id" not in have and ("head_id" in have or "_head_id" in have):
            out["household_id"] = "无户号，按户主身份证号归户"
        if "village_code" not in have and ("_village_name" in have or "village_name" in have):
            out["village_code"] = "无村代码，按乡镇与村（社区）名称生成固定代码"
        elif "village_code" not in have and (place := _title_place(grid, header)):
            out["village_code"] = f"无村（社区）列，取标题中的地区（{place}）生成固定代码"
        if "township" not in have:
            out["township"] = "导出没有乡镇（街道）列，记为未注明（按乡镇的权限和统计对这些户不适用）"
    if table == "persons":
        if "county" not in have:
            out["county"] = "未注明县（市、区）"
        if "household_id" not in have and "_head_id" not in have and "_head_name" in have:
            out["household_id"] = "无户号和户主身份证号，按地区、户主姓名和户主所在行归户，户主的身份证号作户号"
    if table == "cases":
        if "case_id" not in have and "_card_no" in have and "_id" in have:
            out["case_id"] = "证件号码即低保证号（另有身份证号码列）"
        if "approval_date" not in have and "_first_month" not in have and "_registered" in have:
            out["approval_date"] = "无审批日期，取登记时间"
        if "head_id" not in have and "_id" in have:
            out["head_id"] = "一户一行的名册，身份证号即户主身份证号"
            if "household_id" not in have:
                out["household_id"] = "无户号，按户主身份证号归户"
        where = _area_hint(grid, header, file_name)
        if "area_type" not in have and where:
            out["area_type"] = f"城乡类别取自{where[1]}（{where[0]}）"
        elif "area_type" not in have and "benefit_type" in have:
            out["area_type"] = "城乡类别取自保障类别（城市低保/农村低保）"
        if "benefit_type" not in have:
            out["benefit_type"] = "导出中没有保障类别（常补/非常补），RCK-01 对这些户不判断复核间隔"
        if "approval_date" not in have and "_first_month" in have:
            out["approval_date"] = "无审批日期，取最初享受月的1日"
        if "status" not in have and "_change" in have:
            out["status"] = "无状态列，按变动种类：停保、注销、退保记为停保（停保日期取变动时间），其余记为在保"
        elif "status" not in have:
            out["status"] = "导出即在保名单，状态记为在保"
    return out


def _area_hint(grid: Grid, header: Header, file_name: str) -> tuple[str, str] | None:
    """城市/农村 named by the file name or the title above the header (the national and 浪潮 exports)."""
    title = " ".join(c for r in grid.rows[: header.start] for c in r if c)
    for text, where in ((file_name, "文件名"), (title, "标题")):
        for word, area in (("农村", "农村"), ("城市", "城市"), ("城镇", "城市")):
            if word in text:
                return area, where
    return None


def _title_place(grid: Grid, header: Header) -> str | None:
    """The place a title names before the table's kind (浪潮 台账统计明细: '{地区}台账统计明细'), else the
    统计单位/制表单位 line."""
    import re as _re

    lines = [c for r in grid.rows[: header.start] for c in r if c]
    for text in lines:
        text = _re.sub(r"农村|城市|城镇|\d{4}\s*年(?:\s*\d{1,2}\s*月)?", "", text)
        m = _re.match(r"\s*([\u4e00-\u9fff]+(?:村|社区|居委会|街道|镇|乡))", text)
        if m and not _re.match(r"\s*(?:制表|统计|填报|填表)", text):
            return m.group(1)
    for text in lines:
        m = _re.match(r"\s*(?:统计|制表|填报|填表)单位\s*[:：]\s*(\S+)", text)
        if m:
            return m.group(1)
    return None


def _own_account(grid: Grid, header: Header, file_name: str) -> str | None:
    import re as _re

    text = " ".join([file_name] + [c for r in grid.rows[: header.start] for c in r if c])
    m = _re.search(r"(?<!\d)(\d{16,19})(?!\d)", text)
    return m.group(1) if m else None


def _apply_derived(
    table: str, raw: pd.DataFrame, how: dict[str, str], grid: Grid, header: Header, file_name: str
) -> pd.DataFrame:
    raw = raw.copy()
    n = len(raw)
    blank = pd.Series([""] * n, index=raw.index, dtype=object)
    if "head_id" in how:
        raw["head_id"] = raw["_id"]
    if "township" in how:
        raw["township"] = "未注明"
    if "case_id" in how and table == "cases":
        raw["case_id"] = raw["_card_no"]
    if "household_id" in how and "_head_name" in raw and "_head_id" not in raw and "head_id" not in raw:
        is_head = raw["relation_to_head"].astype(str).str.strip().str.lower().map(RELATION_CODES).eq("户主")
        place = raw["_village_name"] if "_village_name" in raw else blank
        raw["household_id"], notes = households_by_head_name(place, raw["_head_name"], raw["person_id"], is_head)
        how["household_id"] += "；" + "；".join(notes) if notes else ""
    elif "household_id" in how:
        raw["household_id"] = raw["head_id"] if "head_id" in raw else raw["_head_id"]
    if "village_code" in how and "_village_name" not in raw and "village_name" not in raw:
        raw["_village_name"] = _title_place(grid, header)
    if "village_code" in how:
        names = raw["_village_name"] if "_village_name" in raw else raw["village_name"]
        town = raw["township"] if "township" in raw else blank
        raw["village_code"] = [_village_code(t, v) for t, v in zip(town, names)]
        if "village_name" not in raw:
            raw["village_name"] = names
    if "county" in how:
        raw["county"] = "未注明"
    if "area_type" in how:
        where = _area_hint(grid, header, file_name)
        if where:
            raw["area_type"] = where[0]
        else:  # 享受保障类别 such as 城市低保 / 农村低保; anything else stays blank and is rejected by name
            kind = raw["benefit_type"].astype(str)
            raw["area_type"] = np.where(
                kind.str.contains("农村"), "农村", np.where(kind.str.contains("城市|城镇"), "城市", "")
            )
    if "benefit_type" in how:
        raw["benefit_type"] = "未注明"
    if "approval_date" in how and "_first_month" not in raw:
        raw["approval_date"] = raw["_registered"]
    elif "approval_date" in how:
        raw["approval_date"] = (
            raw["_first_month"]
            .astype(str)
            .str.strip()
            .map(lambda v: (m.strftime("%Y-%m-%d") if (m := parse_month(v)) is not None else v) if v else v)
        )
    if "status" in how and "_change" in raw:
        stopped = raw["_change"].astype(str).str.contains("停保|注销|退保|停发|终止", regex=True)
        raw["status"] = np.where(stopped, "停保", "在保")
        if "exit_date" not in raw and "_change_date" in raw:
            raw["exit_date"] = raw["_change_date"].where(stopped, "")
    elif "status" in how:
        raw["status"] = "在保"
    if "account_no" in how:
        raw["account_no"] = _own_account(grid, header, file_name)
    return raw


def read_mapping(workspace: Path) -> dict:
    """The user's saved column mapping (列对应.json): {file: {"table": name, "columns": {header: column}}}."""
    import json

    path = Path(workspace) / MAPPING_FILE
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{MAPPING_FILE}：列对应文件不是有效的 JSON（{exc}）。请删除后在数据导入页面重新设置。"
        ) from None
    return data if isinstance(data, dict) else {}


def save_mapping(workspace: Path, file: str, table: str, columns: dict[str, str]) -> Path:
    """Save (merge) one file's mapping into 列对应.json in the workspace, atomically."""
    import json

    if table not in TABLES:
        raise InputError(f"未知的数据表 {table!r}。")
    bad = [c for c in columns.values() if c not in {col.name for col in TABLES[table].columns}]
    if bad:
        raise InputError(f"数据表 {table} 没有这些列：{'、'.join(bad)}。")
    data = read_mapping(workspace)
    data[file] = {"table": table, "columns": {str(k): v for k, v in columns.items() if k}}
    path = Path(workspace) / MAPPING_FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def _guess_headers(grid: Grid) -> list[str]:
    """The likeliest header row of a file nothing recognised: the first row with three or more cells."""
    for r in grid.rows[:15]:
        cells = [c for c in r if c]
        if len(cells) >= 3 and len(set(cells)) > 1:
            return cells
    return []


def _user_extra(entry: dict | None) -> dict[str, str]:
    return {norm_header(h): c for h, c in ((entry or {}).get("columns") or {}).items()}


def _identify(grid: Grid, named: str | None, user: dict | None = None) -> tuple[str | None, Header | None, str]:
    """The table a grid holds: by the user's mapping, by its name when it names one, else by its
    headers. Returns the table, the header and, when none fits, the reason in Chinese."""
    file_name = grid.label.split(":", 1)[0]
    named = (user or {}).get("table") or named
    mine = _user_extra(user)
    if named is not None:
        h = locate_header(grid, TABLES[named], {**EXTRA_HEADERS.get(named, {}), **mine})
        return named, h, "" if h else "找不到表头"
    best: tuple[int, str, Header] | None = None
    for name, spec in TABLES.items():
        h = locate_header(grid, spec, {**EXTRA_HEADERS.get(name, {}), **mine})
        if h is None:
            continue
        can = _derivable(name, h, grid, file_name)
        missing = [c.name for c in spec.columns if c.required and c.name not in h.columns and c.name not in can]
        rank = (0 if missing else 1, sum(1 for c in spec.columns if c.required), h.score)
        if best is None or rank > best[0]:
            best = (rank, name, h, missing)
    if best is None:
        return None, None, "表头与任何数据表都不对应"
    (complete, _, _), name, h, missing = best
    if not complete:
        return None, None, (f"表头最接近“{TABLES[name].zh[0]}”（{name}），但缺少必填列：{'、'.join(missing)}")
    return name, h, ""


def discover(workspace: Path, digests: dict[str, str] | None = None) -> tuple[list[Found], list[str], list[dict]]:
    """Every table found in the folder (by file or sheet name, else by its headers), the warnings, and
    every file or sheet not used with the reason. ``digests``: file name -> SHA-256 already taken this run
    (by :func:`audit.run.folder_fingerprint`), so that a file is not hashed twice."""
    if not workspace.is_dir():
        raise InputError(f"工作目录不存在或不是文件夹：{workspace}")
    found, warnings, unused = [], [], []
    mapping = read_mapping(workspace)
    for path in sorted(p for p in workspace.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))):
        if path.name in {"truth.csv", "README.md", MAPPING_FILE}:
            continue
        if path.suffix.lower() not in SUFFIXES:
            unused.append({"file": path.name, "reason": "不是 CSV/XLSX/XLS 表格"})
            continue
        digest, size = (digests or {}).get(path.name) or file_sha256(path), path.stat().st_size
        try:
            grids = [g for g in read_grids(path, read_text) if g.has_content()]
        except InputError as exc:
            unused.append({"file": path.name, "reason": str(exc)})
            continue
        if not grids:
            unused.append({"file": path.name, "reason": "文件中没有数据"})
            continue
        named = table_by_filename(path.stem)
        for n, grid in enumerate(grids):
            if named is not None and n > 0:
                unused.append({"file": grid.label, "reason": f"文件名对应数据表 {named}，只读取第一个工作表"})
                continue
            sheet = grid.label.split(":", 1)[1] if ":" in grid.label else None
            table = named or (table_by_filename(sheet) if sheet else None)
            user = mapping.get(grid.label) or mapping.get(path.name)
            table, header, why = _identify(grid, table, user)
            if user:
                warnings.append(f"{grid.label}：按保存的列对应（{MAPPING_FILE}）读取为 {table}")
            if table is None or header is None:
                unused.append({"file": grid.label, "reason": why, "headers": _guess_headers(grid)})
                continue
            label = path.name if (named is not None or len(grids) == 1) else grid.label
            data, structure = split_body(grid, header)
            info = SourceInfo(table, label, grid.encoding, digest, size)
            info.header_row = (
                int(grid.numbers[header.start])
                if header.depth == 1
                else f"{grid.numbers[header.start]}-{grid.numbers[header.start + header.depth - 1]}"
            )
            info.structure = [{"row": int(grid.numbers[i]), "kind": k} for i, k in structure if k != "空行"]
            info.blank_rows = sum(1 for _, k in structure if k == "空行")
            info.ignored_columns = header.ignored
            info.notes = list(header.notes)
            raw = _frame(grid, header, data)
            how = _derivable(table, header, grid, path.name)
            if table == "withdrawals":
                raw = _statement_columns(raw, info.notes, label)
                how.pop("channel", None)
            if table == "payments" and "period" in how:
                month = title_period(grid, header)
                raw["period"] = month
                info.notes.append(f"{label}：发放月份取自标题（{month}）")
                how.pop("period")
            raw = _apply_derived(table, raw, how, grid, header, path.name)
            info.notes += [f"{label}：{v}" for v in how.values()]
            excel_rows = pd.Series(np.asarray(grid.numbers)[np.asarray(data, dtype=np.int64)])
            source = SourceInfo(table, label, grid.encoding, digest, size)
            by_head = table in ("cases", "persons") and "household_id" in how
            found += _member_tables(table, raw, label, excel_rows, header.labels, source, by_head)
            join = None
            if table == "payments" and "case_id" in how:
                join = raw["_person_id"].astype(str).str.strip().str.upper().reset_index(drop=True)
                raw["case_id"] = ""
            raw = raw.drop(columns=[c for c in raw.columns if c.startswith("_")])
            money = [c.name for c in TABLES[table].columns if c.kind == "money"]
            checks = total_checks(grid, header, data, structure, money)
            labels = dict(header.labels)
            found.append(
                Found(
                    table,
                    label,
                    raw,
                    info,
                    labels,
                    pd.Series(np.asarray(grid.numbers)[np.asarray(data, dtype=np.int64)]),
                    checks,
                    header.order,
                    join,
                    by_head=by_head,
                )
            )
    return found, warnings, unused


def _enrolled(relief: pd.Series) -> pd.Series:
    """是/否 as written (是否保障对象), else a filled 救助类型 means enrolled."""
    text = relief.astype(str).str.strip()
    yes_no = text.str.lower().map(YES_NO)
    return yes_no.fillna((text != "").map({True: "是", False: "否"}))


def _member_tables(
    table: str,
    raw: pd.DataFrame,
    label: str,
    rows: pd.Series,
    labels: dict[str, str],
    source: SourceInfo,
    by_head: bool,
) -> list[Found]:
    """Tables a roster also holds: the members of the national person export (低保证号 on every row), of
    浪潮 家庭成员信息 (是否保障对象, joined to the roll by the head's ID) and of 浪潮 台账统计明细 (members as
    column pairs, unpivoted to persons and members)."""

    def derived(name: str, frame: pd.DataFrame, suffix: str, note: str, headers: dict, at: pd.Series, **kw) -> Found:
        info = SourceInfo(name, f"{label}（{suffix}）", source.encoding, source.sha256, source.size)
        info.notes = [f"{label}：{note}"]
        return Found(name, info.file, frame.reset_index(drop=True), info, headers, at.reset_index(drop=True), **kw)

    if table == "persons" and "_case_id" in raw:  # the national person export
        m = raw[raw["_case_id"].astype(str).str.strip() != ""]
        enrolled = _enrolled(m["_relief"]) if "_relief" in m else pd.Series("是", index=m.index)
        members = pd.DataFrame({"case_id": m["_case_id"], "person_id": m["person_id"], "enrolled": enrolled})
        return [
            derived(
                "case_members",
                members,
                "保障成员",
                "保障成员取自人员表的低保证号，救助类型为空的记为未纳入保障",
                {"case_id": "低保(特困)证号", "person_id": "身份证号", "enrolled": "救助类型"},
                rows[m.index.to_numpy()],
                derived=True,
            )
        ]
    if table == "persons" and "_head_name" in raw and "_relief" in raw:  # 浪潮 家庭成员信息
        members = pd.DataFrame({"case_id": "", "person_id": raw["person_id"], "enrolled": _enrolled(raw["_relief"])})
        return [
            derived(
                "case_members",
                members,
                "保障成员",
                "保障成员按户主身份证号对应到低保名册的低保证号，是否保障对象为“否”的记为未纳入保障",
                {"person_id": labels.get("person_id", "身份证号"), "enrolled": "是否保障对象"},
                rows,
                derived=True,
                join_ids=raw["household_id"].astype(str).str.strip().str.upper().reset_index(drop=True),
                join_label="户主姓名",
            )
        ]
    if table != "cases" or not member_slots(raw.columns):
        return []
    long, at = unpivot_members(raw, rows, labels)  # 浪潮 台账统计明细
    case = raw.iloc[long["_case_pos"].to_numpy()].reset_index(drop=True)
    head = long["slot"].eq(0).to_numpy()
    persons = pd.DataFrame(
        {
            "person_id": long["person_id"],
            "name": long["name"],
            "household_id": case["household_id"],
            "relation_to_head": np.where(head, "户主", "其他"),
            "village_code": case["village_code"],
            "township": case["township"],
            "county": "未注明",
            "area_type": case["area_type"],
        }
    )
    for col, helper in (("phone", "_phone"), ("sex", "_sex")):
        if helper in case:
            persons[col] = np.where(head, case[helper].astype(str), "")
    if "_village_name" in case:
        persons["village_name"] = case["_village_name"]
    enjoys = "是"  # 户主是否享受 blank or not exported: the head is enrolled
    if "_head_enjoys" in case:
        enjoys = _enrolled(case["_head_enjoys"]).where(case["_head_enjoys"].astype(str).str.strip() != "", "是")
    members = pd.DataFrame(
        {"case_id": case["case_id"], "person_id": long["person_id"], "enrolled": np.where(head, enjoys, "是")}
    )
    id_labels = long["_id_label"].reset_index(drop=True)
    listed = members.enrolled.eq("是").groupby(long["_case_pos"]).sum()
    counted = pd.to_numeric(raw["enrolled_count"], errors="coerce").iloc[listed.index.to_numpy()].to_numpy()
    differ = int((listed.to_numpy() != counted).sum())
    note = "成员取自成员一至成员九的姓名和身份证号列；与户主关系未导出，记为“其他”"
    return [
        derived(
            "persons",
            persons,
            "家庭成员",
            note,
            {"person_id": id_labels, "name": "姓名"},
            at,
            derived=True,
            by_head=by_head,
        ),
        derived(
            "case_members",
            members,
            "保障成员",
            "户主按“户主是否享受”，列出的成员均记为纳入保障"
            + (f"；{differ}户列出的保障人数与“享受保障人数”不一致，请核对" if differ else ""),
            {"person_id": id_labels, "enrolled": "户主是否享受"},
            at,
            derived=True,
        ),
    ]


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
    """``s.map(fn)`` calling ``fn`` once per distinct text and spreading the results by position (a dict
    lookup per cell is the slow part on a million Arrow strings)."""
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    done = np.array([fn(u) for u in uniq] + [None], dtype=object)
    return pd.Series(done[codes], index=s.index, dtype=object)


_DATE_REASON = {"date": "BAD_DATE", "month": "BAD_MONTH", "datetime": "BAD_DATETIME"}


def _parse_column(kind: str, codes: dict[str, str], s: pd.Series) -> tuple[pd.Series, pd.Series, str]:
    """Returns (parsed values, bad mask, reason code for bad cells)."""
    blank = s == ""
    if kind == "id":
        ids, why = validate_resident_id_array(pa.array(s, from_pandas=True))
        val = pd.Series(ids.to_pandas(), index=s.index)  # stays Arrow strings where pandas uses them
        reason = pd.Series(why, index=s.index, dtype=object)
        return val.where(~blank, None), reason.notna() & ~blank, reason
    if kind == "holder_id":
        res = _map_unique(s, _check_holder)
        return res.map(lambda r: r[0]).where(~blank, None), res.map(lambda r: r[1]).notna() & ~blank, "BAD_HOLDER_ID"
    if kind in ("date", "month", "datetime"):
        if kind == "date":
            val, _ = parse_date_series(s)
            val = val.dt.normalize()
        elif kind == "month":
            val = pd.to_datetime(_map_unique(s, parse_month), errors="coerce")
        else:
            val = pd.to_datetime(s, format="%Y-%m-%d %H:%M:%S", errors="coerce")
            todo = val.isna() & ~blank
            if todo.any():
                val.loc[todo] = pd.to_datetime(s[todo].map(parse_time), errors="coerce")
        unreadable = val.isna() & ~blank
        outside = val.notna() & ((val < DATE_RANGE[0]) | (val > DATE_RANGE[1]))
        bad = unreadable | outside
        # a reason for the bad cells only (the rejects are recorded for them; a million-row text array is not)
        on_bad = outside[bad]
        reason = pd.Series(np.where(on_bad, "DATE_OUT_OF_RANGE", _DATE_REASON[kind]), index=on_bad.index, dtype=object)
        return val.where(~outside), bad, reason
    if kind in ("money", "int"):
        val = pd.to_numeric(s.where(~blank, None), errors="coerce").astype(float)
        todo = val.isna() & ~blank
        if todo.any():  # 1,234.50 / ¥300 / ３００元: parsed one distinct text at a time (pandas 2 and 3 alike)
            extra = pd.to_numeric(_map_unique(s[todo], parse_money), errors="coerce").astype(float)
            val = val.where(~todo, extra.reindex(val.index))
        val = val.where(np.isfinite(val) & (val.abs() < MAX_AMOUNT))  # inf, 1e20: not an amount
        if kind == "int":
            bad = (val.isna() | (val != np.floor(val.fillna(0)))) & ~blank
            return val.where(~bad).astype("Int64"), bad, "BAD_INT"
        return val, val.isna() & ~blank, "BAD_MONEY"
    if kind == "enum":  # decided once per distinct text, spread by position (blank: no value, not bad)
        at, texts = pd.factorize(s.str.lower(), use_na_sentinel=True)
        value = np.array([codes.get(t) if t != "" else None for t in texts] + [None], dtype=object)
        bad = np.array([t != "" and codes.get(t) is None for t in texts] + [False], dtype=bool)
        return pd.Series(value[at], index=s.index, dtype=object), pd.Series(bad[at], index=s.index), "UNKNOWN_CODE"
    if kind == "idlist":

        def check(cell: str) -> str | None:
            ids = [p for p in cell.replace("；", ";").replace(",", ";").split(";") if p.strip()]
            ok = [_check_id(p) for p in ids]
            return None if any(e for _, e in ok) else ";".join(i for i, _ in ok)

        val = _map_unique(s, check)
        return val.where(~blank, None), val.isna() & ~blank, "BAD_ID_FORMAT"
    return s.where(~blank, None), pd.Series(False, index=s.index), ""


_ASCII_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "  # what str.strip() removes from an ASCII text


def _normalise_column(s: pd.Series) -> pd.Series:
    """``NFKC(str(v).strip()).strip()`` for every cell: ASCII cells (NFKC leaves them alone) are stripped by
    Arrow, the others by Arrow's NFKC too (no Python call per distinct text)."""
    arr = pa.array(s, from_pandas=True) if isinstance(s.dtype, pd.StringDtype) else None
    if arr is None or not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pa.array(s.astype(str), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):  # a column made by concatenating frames comes in chunks
        arr = arr.combine_chunks()
    arr = pc.fill_null(arr, "")
    ascii_ = pc.string_is_ascii(arr)
    if 2 * (pc.sum(ascii_).as_py() or 0) < len(arr):  # mostly non-ASCII text (names, places): each distinct text once
        enc = pc.dictionary_encode(arr)
        done = pc.utf8_trim(pc.utf8_normalize(pc.utf8_trim(enc.dictionary, SPACES), "NFKC"), SPACES)
        return pd.Series(done.take(enc.indices).to_pandas(), index=s.index)
    out = pc.utf8_trim(arr, _ASCII_SPACE)
    if not pc.all(ascii_).as_py():
        # Arrow's NFKC (utf8proc) and a trim of every character str.isspace() accepts; it differs from
        # Python's unicodedata only on code points Python 3.11's Unicode 14 does not yet assign
        # — once per distinct text (a roster repeats its villages, relations and codes a million times)
        enc = pc.dictionary_encode(arr.filter(pc.invert(ascii_)))
        done = pc.utf8_trim(pc.utf8_normalize(pc.utf8_trim(enc.dictionary, SPACES), "NFKC"), SPACES)
        out = pc.replace_with_mask(out, pc.invert(ascii_), done.take(enc.indices))
    return pd.Series(out.to_pandas(), index=s.index)


def parse_table(
    spec: TableSpec,
    label: str,
    raw: pd.DataFrame,
    info: SourceInfo,
    row_offset: int = 2,
    headers: dict[str, str] | None = None,
    rows: pd.Series | None = None,
) -> tuple[pd.DataFrame, list[dict]]:
    """Parse one raw string frame (canonical headers) into typed columns and reject records.

    ``headers`` maps canonical names back to the file's own headers, so that a reject names
    the column as the user sees it in Excel; ``rows`` gives each row's Excel row number (else
    ``row_offset`` onwards: a header in row 1).
    """
    headers = headers or {}
    raw = raw.reset_index(drop=True)  # the caller's frame is no longer referenced from here on
    for c in list(raw.columns):  # column by column, so that each raw column is freed as it is replaced
        raw[c] = _normalise_column(raw[c])
    rows = (
        pd.Series(np.arange(len(raw)) + row_offset, index=raw.index)
        if rows is None
        else pd.Series(np.asarray(rows), index=raw.index)
    )
    rejects: list[dict] = []
    bad_rows = pd.Series(False, index=raw.index)
    out = {}
    key_cols = [k for k in REJECT_KEYS if k in raw.columns]
    if "official_id" not in raw.columns and spec.name == "officials" and "person_id" in raw.columns:
        key_cols.append("official_id")

    def keys_of(i) -> dict:
        got = {k: raw.at[i, "person_id" if (k == "official_id" and spec.name == "officials") else k] for k in key_cols}
        if spec.name == "officials":
            got.pop("person_id", None)
        return {k: (v.upper() if k.endswith("_id") else v) for k, v in got.items() if v}

    def header_of(column: str, i) -> str:  # a header per row where rows were unpivoted from column pairs
        h = headers.get(column, column)
        return str(h.iat[i]) if isinstance(h, pd.Series) else h

    def record(mask: pd.Series, column: str, reason_codes, action: str) -> None:
        idx = mask[mask].index
        if not len(idx):
            return
        codes = reason_codes.loc[idx] if isinstance(reason_codes, pd.Series) else pd.Series(reason_codes, index=idx)
        for i, code in zip(idx, codes):
            rejects.append(
                {
                    "table": spec.name,
                    "file": label,
                    "row": int(rows[i]),
                    "column": header_of(column, i),
                    "value": mask_value(column, raw.at[i, column]),
                    "reason_code": code,
                    "reason": REASONS_ZH.get(code, code),
                    "action": action,
                    **keys_of(i),
                }
            )

    for col in spec.columns:
        if col.name not in raw.columns:  # an absent optional column: typed and empty
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
    frame = pd.DataFrame(out, index=raw.index, copy=False)
    frame["src_row"] = rows
    frame["src_file"] = label
    if spec.key:
        ok = frame[[*spec.key, "src_row"]]  # the key columns only: a filter of the whole frame is costly
        ok = ok[~bad_rows] if bad_rows.any() else ok
        # the rows whose key repeats (one hash of the keys), then which of them repeat an earlier row; a
        # single key whose distinct values are as many as the rows (the usual case) repeats nowhere, which
        # Arrow's hash tells faster than pandas' factorize of a million strings (0.1 s against 0.6 s)
        twice = ok.iloc[:0] if _all_distinct(ok, spec.key) else ok[ok.duplicated(list(spec.key), keep=False)]
        again = twice.duplicated(list(spec.key), keep="first")
        if again.any():
            first_rows = {tuple(k): row for *k, row in twice[~again].itertuples(index=False)}
            for i, *k in twice[again][list(spec.key)].itertuples():
                k = tuple(k)
                first = first_rows[k]
                rejects.append(
                    {
                        "table": spec.name,
                        "file": label,
                        "row": int(rows[i]),
                        "column": "+".join(header_of(c, i) for c in spec.key),
                        "value": "+".join(mask_value(c, str(v)) for c, v in zip(spec.key, k)),
                        "reason_code": "DUPLICATE_KEY",
                        "reason": f"{REASONS_ZH['DUPLICATE_KEY']}（与第{int(first)}行重复）",
                        "action": "整行剔除",
                        **keys_of(i),
                    }
                )
            bad_rows |= again.reindex(frame.index, fill_value=False)
    if bad_rows.any():  # the kept rows by position (a boolean mask over every column costs twice as much)
        frame = frame.take(np.flatnonzero(~bad_rows.to_numpy(dtype=bool)))
    frame = frame.reset_index(drop=True)
    info.rows_read, info.rows_loaded = len(raw), len(frame)
    info.rows_rejected = int(bad_rows.sum())
    return frame, rejects


def _all_distinct(frame: pd.DataFrame, key: tuple[str, ...] | list[str]) -> bool:
    """True when a one-column key holds no value twice (a blank counts as one value, as pandas has it);
    False when it does, or when the key has several columns (left to pandas)."""
    if len(key) != 1 or not isinstance(frame[key[0]].dtype, pd.StringDtype):
        return False
    column = pa.array(frame[key[0]].array)
    return len(pc.unique(column)) == len(column)


def _take_raw(f: Found) -> pd.DataFrame:
    """The found table's raw strings, handed over (the Found keeps no reference, so the import holds one
    copy of a million rows at a time, not the raw and the parsed side by side)."""
    raw, f.raw = f.raw, None
    return raw


def _derive_person_fields(persons: pd.DataFrame) -> pd.DataFrame:
    """Birth date and sex from the ID; fill the columns where they are blank."""
    got = id_births_and_sexes(persons["person_id"])  # the import keeps valid 18-character IDs only
    if got is not None:
        persons["id_birth_date"] = pd.Series(got[0].astype("datetime64[us]"), index=persons.index)
        persons["id_sex"] = np.where(got[1], "男", "女")
    else:
        pid = persons["person_id"].astype(str)
        persons["id_birth_date"] = pd.to_datetime(pid.str.slice(6, 14), format="%Y%m%d", errors="coerce")
        persons["id_sex"] = np.where(pid.str.slice(16, 17).astype(int) % 2 == 1, "男", "女")
    persons["birth_date"] = pd.to_datetime(persons["birth_date"]).fillna(persons["id_birth_date"])
    persons["sex"] = persons["sex"].fillna(pd.Series(persons["id_sex"], index=persons.index))
    return persons


def load_workspace(
    workspace: str | Path, progress: Callable[[str], None] | None = None, digests: dict[str, str] | None = None
) -> Workspace:
    """Import every table of a workspace folder.

    Raises
    ------
    InputError
        When a required table or column is missing (every problem listed in one message),
        or when a file cannot be decoded.
    """
    workspace = Path(workspace)
    found, warnings, unused = discover(workspace, digests)
    problems = ErrorCollector(InputError, f"无法导入工作目录 {workspace}")
    seen: dict[str, str] = {}
    mapped = []
    for f in sorted(found, key=lambda f: f.derived):  # a table's own file first, members of a roster after
        if f.table in seen and f.derived:
            warnings.append(f"{f.label}：已由 {seen[f.table]} 提供数据表 {f.table}，未使用这些由名册生成的行")
            continue
        if f.table in seen:
            problems.add(f"数据表 {f.table} 出现在两个文件中：{seen[f.table]} 和 {f.label}；请只保留一个。")
            continue
        seen[f.table] = f.label
        spec = TABLES[f.table]
        for col in spec.columns:
            if col.required and col.name not in f.raw.columns:
                cols = f.columns_written
                problems.add(
                    f"{f.label}: 缺少必填列 '{col.name}'。可接受的列名：{'、'.join(col.all_names())}。"
                    f"文件中的列（第{f.info.header_row}行）：{'、'.join(cols) or '（无）'}。"
                )
        if f.info.ignored_columns:
            warnings.append(f"{f.label}: 未识别的列已忽略：{'、'.join(f.info.ignored_columns)}")
        warnings.extend(f.info.notes)
        if f.info.structure:
            kinds = pd.Series([x["kind"] for x in f.info.structure]).value_counts()
            warnings.append(
                f"{f.label}: 表头在第{f.info.header_row}行；跳过表格结构行 "
                + "、".join(f"{k}{v}行" for k, v in kinds.items())
                + "（不是数据，未作为异常）"
            )
        mapped.append(f)
    for t in REQUIRED_TABLES:
        if t not in seen:
            names = "、".join((t, *TABLES[t].zh))
            near = [u for u in unused if TABLES[t].zh[0] in u["reason"] or f"（{t}）" in u["reason"]]
            hint = f"（{near[0]['file']}：{near[0]['reason']}）" if near else ""
            problems.add(
                f"缺少必需的数据表 {t}：请提供文件名或工作表名为 {names} 之一的 CSV/XLSX，"
                f"或表头能识别为该表的文件{hint}。"
            )
    for u in unused:
        warnings.append(f"未使用 {u['file']}：{u['reason']}")
    problems.raise_if_any()

    tables, rejects, sources = {}, [], []
    by_head = {f.table for f in mapped if f.by_head}
    for f in sorted(mapped, key=lambda f: f.join_ids is not None):  # joins after the tables they join to
        spec = TABLES[f.table]
        unmatched = []
        if f.join_ids is not None:
            heads = dict(zip(tables["cases"].head_id, tables["cases"].case_id)) if "cases" in tables else {}
            found_case = f.join_ids.map(heads)
            miss = found_case.isna().to_numpy()
            code = "NO_CASE_FOR_ID" if f.table == "payments" else "NO_CASE_FOR_HEAD"
            keep = f.raw.get("person_id", f.join_ids)
            for row, head_, pid_ in zip(f.rows[miss], f.join_ids[miss], keep[miss]):
                unmatched.append(
                    {
                        "table": spec.name,
                        "file": f.label,
                        "row": int(row),
                        "column": f.join_label,
                        "value": mask_value("person_id", head_) if f.table == "payments" else "",
                        "reason_code": code,
                        "reason": REASONS_ZH[code],
                        "action": "整行剔除",
                        "person_id": pid_ or None,
                    }
                )
            f.raw = f.raw[~miss].assign(case_id=found_case[~miss].to_numpy())
            f.rows = f.rows[~miss].reset_index(drop=True)
            f.headers = {
                k: (v[~miss].reset_index(drop=True) if isinstance(v, pd.Series) else v) for k, v in f.headers.items()
            }
        if progress:
            progress(f"导入 {f.label}（{len(f.raw):,} 行）")
        frame, rej = parse_table(spec, f.label, _take_raw(f), f.info, headers=f.headers, rows=f.rows)
        if unmatched:
            rej += unmatched
            f.info.rows_read += len(unmatched)
            f.info.rows_rejected += len(unmatched)
        if spec.name == "persons":
            frame = _derive_person_fields(frame)
        tables[spec.name] = frame
        rejects.extend(rej)
        for c in f.checks:  # a 合计 row that does not agree with the rows: reported, nothing dropped
            rejects.append(
                {
                    "table": spec.name,
                    "file": f.label,
                    "row": c["row"],
                    "column": c["column"],
                    "value": "",
                    "reason_code": "TOTAL_MISMATCH",
                    "reason": c["reason"],
                    "action": "请核对",
                }
            )
        sources.append(f.info)
    warnings += reconcile_households(tables, by_head)
    rej = pd.DataFrame(rejects, columns=REJECT_FRAME_COLUMNS)
    _refuse_empty_tables(tables, sources, rej, warnings)
    return Workspace(
        tables, rej.sort_values(["file", "row"], kind="stable").reset_index(drop=True), sources, warnings, unused
    )


def _refuse_empty_tables(
    tables: dict[str, pd.DataFrame], sources: list[SourceInfo], rej: pd.DataFrame, warnings: list[str]
) -> None:
    """A table whose file had rows but none imported (columns shifted by a stray comma, a wrong sheet)
    must not let its rules "run" on nothing: a required table stops the import, another is left out."""
    problems = ErrorCollector(InputError, "导入的数据表为空")
    for name in list(tables):
        read = sum(s.rows_read for s in sources if s.table == name)
        if len(tables[name]) or not read:
            continue
        mine = rej[rej.table == name]
        top = mine.groupby(["column", "reason"]).size().sort_values(ascending=False).head(3)
        why = "；".join(f"{col}：{reason}（{n}行）" for (col, reason), n in top.items())
        files = "、".join(sorted({s.file for s in sources if s.table == name}))
        text = (
            f"{files}：全部{read}行均未能导入（{why}）。常见原因是列错位（行首或行尾多了逗号）或选错了工作表，"
            f"请打开文件核对后重新导入。"
        )
        if name in REQUIRED_TABLES:
            problems.add(text)
        else:
            del tables[name]
            warnings.append(text + f"依赖 {name} 表的规则将跳过。")
    problems.raise_if_any()


def inspect_workspace(workspace: str | Path) -> list[dict]:
    """What the import makes of each file, for the column-mapping screen: the table it was read as (or
    None), every header as written, the contract columns recognised and the required ones missing."""
    found, _, unused = discover(Path(workspace))
    out = []
    for f in found:
        if f.derived:
            continue
        spec = TABLES[f.table]
        missing = [c.name for c in spec.columns if c.required and c.name not in f.raw.columns]
        out.append(
            {
                "file": f.label,
                "table": f.table,
                "headers": f.columns_written,
                "recognised": f.headers,
                "missing": missing,
            }
        )
    for u in unused:
        out.append(
            {
                "file": u["file"],
                "table": None,
                "headers": u.get("headers", []),
                "recognised": {},
                "missing": [],
                "reason": u["reason"],
            }
        )
    return out
