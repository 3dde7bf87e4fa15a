"""Files as real systems export them: raw grids, the header row found (not assumed), merged multi-row
headers resolved to the column meant, and total / footer / title rows recognised as structure.

A *grid* is every row of a sheet as strings with the row number Excel shows. ``locate_header`` scores
each candidate header block (1–3 rows among the first rows) against a table's aliases; ``split_body``
separates data rows from 合计/小计 rows, 制表人/审核人 footers, column-number rows and blank rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from audit.errors import InputError
from audit.parse import norm_header, parse_money

__all__ = ["Grid", "Header", "read_grids", "locate_header", "split_body", "TOTAL_WORDS", "title_period"]

HEAD_SCAN = 15  # rows searched for the header
TOTAL_WORDS = ("本页合计", "总合计", "合计", "小计", "总计", "累计")
FOOTER_WORDS = (
    "制表人",
    "制表",
    "审核人",
    "审核",
    "填表人",
    "填报人",
    "负责人",
    "单位负责人",
    "经办人",
    "制表时间",
    "制表日期",
    "打印时间",
    "打印日期",
    "以上数据",
    "备注:",
    "说明:",
    "注:",
    "联系电话:",
)
_SUB_TOTAL = {"合计", "小计", "总计", "合计金额", "发放合计", "金额合计"}


@dataclass
class Grid:
    """Every row of a sheet as strings. A *columnar* grid (a large CSV read by Arrow) keeps its rows as one
    string array per column in ``columns`` and only the first ``HEAD_SCAN`` rows as lists in ``rows`` (what
    the header search reads); ``height``, ``row`` and ``column`` serve both kinds."""

    label: str  # file name, or file:sheet
    rows: list[list[str]]
    numbers: list[int] | np.ndarray  # the row number Excel (or a text editor) shows for each row
    encoding: str = ""
    columns: list[pa.Array] | None = None

    @property
    def height(self) -> int:
        return len(self.columns[0]) if self.columns else len(self.rows)

    def row(self, i: int) -> list[str]:
        if self.columns is None or i < len(self.rows):
            return self.rows[i]
        return [c[i].as_py() for c in self.columns]

    def column(self, j: int, rows: np.ndarray) -> pa.Array | list[str]:
        """Column ``j`` at the given row indexes (blank where a short row has no such cell)."""
        if self.columns is not None:
            if len(rows) and rows[-1] - rows[0] + 1 == len(rows):  # one run of rows (the usual case)
                return self.columns[j].slice(int(rows[0]), len(rows))
            return self.columns[j].take(pa.array(rows, type=pa.int64()))
        return [self.rows[i][j] if j < len(self.rows[i]) else "" for i in rows]

    def has_content(self) -> bool:
        if self.columns is not None:
            return any(pc.any(pc.not_equal(c, "")).as_py() for c in self.columns)
        return any(any(c for c in r) for r in self.rows)


@dataclass
class Header:
    table: str
    start: int  # index in grid.rows of the first header row
    depth: int  # header rows (1–3)
    columns: dict[str, list[int]]  # canonical column -> grid column indexes (several = summed)
    labels: dict[str, str]  # canonical column -> the header as the user wrote it
    notes: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    score: int = 0
    order: list[str] = field(default_factory=list)  # every header as written, left to right


# ---------------------------------------------------------------- reading
def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S") if (v.hour or v.minute or v.second) else v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _arrow_grid(payload: pa.Buffer, delim: str, label: str, encoding: str, quoted: bool = True) -> Grid | None:
    """A rectangular CSV (every record as wide as the first) read by Arrow's CSV reader into string columns;
    None when any record is wider or narrower (a title row, a blank line, a ragged row) or a cell is not
    UTF-8, which the exact row-by-row reader then handles. ``quoted=False`` says the file holds no quote
    mark (so no value spans lines, and Arrow splits the records in parallel without looking for one)."""
    from pyarrow import csv as pacsv

    ragged = []

    def on_invalid(row) -> str:
        ragged.append(row)
        return "skip"

    start = payload.slice(0, min(len(payload), 1 << 16)).to_pybytes()
    head = start[: start.find(b"\n") + 1 or None].decode("utf-8", errors="replace")
    first = next(csv.reader(io.StringIO(head), delimiter=delim), [])
    try:
        table = pacsv.read_csv(
            pa.BufferReader(payload),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delim, newlines_in_values=quoted, ignore_empty_lines=False, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{j}": pa.string() for j in range(len(first))},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeError):
        return None
    if ragged or table.num_columns != len(first) or not table.num_rows:
        return None
    columns = [c.combine_chunks() for c in table.columns]
    n = table.num_rows
    head = [[c[i].as_py() for c in columns] for i in range(min(n, HEAD_SCAN))]
    return Grid(label, head, np.arange(1, n + 1), encoding, columns)


def _delimiter(text: str) -> str:
    """Tab when the file's first 4,096 characters hold more tabs than commas, else comma."""
    sample = text[:4096]
    return "\t" if sample.count("\t") > sample.count(",") else ","


def _csv_grid(path: Path, decode) -> Grid:
    data = path.read_bytes()
    if not data.startswith(b"\xef\xbb\xbf") and b"\x00" not in data and b"\r" not in data:
        # likely UTF-8: Arrow's reader checks every cell's UTF-8 itself, so the file is not decoded twice
        # (a file that is not UTF-8, or is ragged, is declined and read below)
        delim = _delimiter(data[: 1 << 14].decode("utf-8", errors="ignore"))
        fast = _arrow_grid(pa.py_buffer(data), delim, path.name, "utf-8", quoted=b'"' in data)
        if fast is not None:
            return fast
    text, enc = decode(data, path.name)
    delim = _delimiter(text)
    if enc.startswith("utf-8") and b"\x00" not in data and b"\r" not in data:
        payload = pa.py_buffer(data).slice(3 if enc == "utf-8-sig" else 0)  # the file's own bytes, not a copy
        del text
    else:
        payload = pa.py_buffer(text.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").encode("utf-8"))
        del text
    del data
    fast = _arrow_grid(payload, delim, path.name, enc)
    if fast is not None:
        return fast
    text = payload.to_pybytes().decode("utf-8")
    del payload
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delim))  # cells are stripped when parsed
    except csv.Error as exc:
        raise InputError(
            f"{path.name}：无法按 CSV 读取（{exc}）。请用 Excel 打开后另存为 CSV 或 .xlsx 再导入。"
        ) from None
    return Grid(path.name, rows, list(range(1, len(rows) + 1)), enc)


def _xlsx_grids(path: Path) -> list[Grid]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as exc:
        raise InputError(
            f"{path.name}：不是有效的 Excel 文件，或文件已损坏（{type(exc).__name__}）。"
            "请用 Excel 打开后另存为 .xlsx 再导入。"
        ) from None
    out = []
    for ws in wb.worksheets:
        rows, numbers = [], []
        for i, r in enumerate(ws.iter_rows(values_only=True), start=1):
            rows.append([_cell(v) for v in r])
            numbers.append(i)
        out.append(Grid(f"{path.name}:{ws.title}", rows, numbers, "xlsx"))
    wb.close()
    return out


def _xls_grids(path: Path) -> list[Grid]:
    head = path.read_bytes()[:512].lstrip().lower()
    if head.startswith((b"<", b"\xef\xbb\xbf<")):  # 浪潮 next-excel writes an HTML table named .xls
        return _html_grids(path)
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)  # merged cells need the formatting
    except Exception as exc:  # xlrd raises its own XLRDError and struct errors on damaged files
        raise InputError(
            f"{path.name}：无法读取 .xls 文件（{type(exc).__name__}）。请用 Excel 打开后另存为 .xlsx 再导入。"
        ) from None
    out = []
    for sh in book.sheets():
        rows = []
        for r in range(sh.nrows):
            vals = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    vals.append(_cell(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
                else:
                    vals.append(_cell(cell.value))
            rows.append(vals)
        for r0, r1, c0, c1 in getattr(sh, "merged_cells", []):  # spread a merged header's text over its span
            if r0 < HEAD_SCAN:
                text = rows[r0][c0]
                for rr in range(r0, min(r1, len(rows))):
                    for cc in range(c0, c1):
                        if not rows[rr][cc]:
                            rows[rr][cc] = text
        out.append(Grid(f"{path.name}:{sh.name}", rows, list(range(1, len(rows) + 1)), "xls"))
    return out


def _html_grids(path: Path) -> list[Grid]:
    """The tables of an HTML page saved as .xls (浪潮 next-excel), cell texts exactly as written (an ID, a
    低保证号 with leading zeros, an account number stay text). A header cell spanning rows or columns
    spreads its text over the span, as a merged Excel header does; a body cell does not (a merged amount
    is one amount)."""
    import lxml.html

    raw = path.read_bytes()
    text = raw.decode("utf-8") if _is_utf8(raw) else raw.decode("gb18030", errors="replace")
    try:
        doc = lxml.html.document_fromstring(text)
    except Exception:  # lxml's ParserError on a page with no elements
        doc = None
    tables = doc.findall(".//table") if doc is not None else []
    out = []
    for i, table in enumerate(t for t in tables if t.find(".//table") is None):  # innermost tables only
        rows: list[list[str]] = []
        pending: dict[tuple[int, int], str] = {}  # cells covered by a span from above
        for r, tr in enumerate(table.iter("tr")):
            row: list[str] = []
            c = 0
            for td in tr:
                if td.tag not in ("td", "th"):
                    continue
                while (r, c) in pending:
                    row.append(pending.pop((r, c)))
                    c += 1
                value = " ".join(td.text_content().split())
                span_c = max(1, _int_attr(td, "colspan"))
                span_r = max(1, _int_attr(td, "rowspan"))
                spread = value if r < HEAD_SCAN else ""
                row += [value] + [spread] * (span_c - 1)
                for rr in range(r + 1, r + span_r):
                    for cc in range(c, c + span_c):
                        pending[(rr, cc)] = spread
                c += span_c
            while (r, c) in pending:
                row.append(pending.pop((r, c)))
                c += 1
            rows.append(row)
        if any(any(x for x in row) for row in rows):
            out.append(Grid(f"{path.name}:表{i + 1}", rows, list(range(1, len(rows) + 1)), "html"))
    if not out:
        raise InputError(f"{path.name}：.xls 文件实为网页表格，但其中没有可读取的表格。")
    return out


def _int_attr(el, name: str) -> int:
    try:
        return int(str(el.get(name, "1")).strip() or 1)
    except ValueError:
        return 1


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_grids(path: Path, decode) -> list[Grid]:
    """Every sheet of a CSV/TXT, XLSX/XLSM or XLS file as a grid; a damaged file is a Chinese InputError."""
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise InputError(f"{path.name}：文件是空的（0 字节）。")
    if suffix in (".csv", ".txt"):
        return [_csv_grid(path, decode)]
    if suffix == ".xls":
        return _xls_grids(path)
    return _xlsx_grids(path)


# ---------------------------------------------------------------- header
def _filled(rows: list[list[str]], width: int) -> list[list[str]]:
    """Header rows with merged spans filled: a parent's text runs right over the empty cells above its
    sub-columns, and an empty cell below a label (a vertical merge) takes the label above."""
    grid = [r + [""] * (width - len(r)) for r in rows]
    for i in range(len(grid) - 1):
        last = ""
        for j in range(width):
            below = any(grid[k][j] for k in range(i + 1, len(grid)))
            if grid[i][j]:
                last = grid[i][j]
            elif last and below:
                grid[i][j] = last
            else:
                last = ""
    for i in range(1, len(grid)):
        for j in range(width):
            if not grid[i][j]:
                grid[i][j] = grid[i - 1][j]
    return grid


def _paths(rows: list[list[str]], width: int) -> list[list[str]]:
    grid = _filled(rows, width)
    out = []
    for j in range(width):
        path = []
        for i in range(len(grid)):
            if grid[i][j] and (not path or path[-1] != grid[i][j]):
                path.append(grid[i][j])
        out.append(path)
    return out


def _resolve(paths: list[list[str]], hmap: dict[str, str], kinds: dict[str, str]) -> tuple[dict, dict, list, list]:
    columns: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    notes: list[str] = []
    groups: dict[str, list[int]] = {}
    for j, path in enumerate(paths):
        if not path:
            continue
        leaf = hmap.get(norm_header(path[-1]))
        if leaf and leaf.startswith("_") and leaf in columns:  # helper text columns: every one counts
            columns[leaf].append(j)
            continue
        if leaf and leaf not in columns:
            columns[leaf] = [j]
            labels[leaf] = "/".join(path)
            continue
        for k in range(len(path) - 1):
            parent = hmap.get(norm_header(path[k]))
            if parent:
                groups.setdefault(parent, []).append(j)
                break
    for canon, idx in groups.items():
        if canon in columns:
            continue
        subs = {j: norm_header(paths[j][-1]) for j in idx}
        total = [j for j, s in subs.items() if s in _SUB_TOTAL]
        parent = paths[idx[0]][0]
        if total:
            columns[canon] = total[:1]
            labels[canon] = "/".join(paths[total[0]])
            notes.append(f"“{parent}”下有{len(idx)}个子列，取“{paths[total[0]][-1]}”列")
        elif kinds.get(canon) == "money" and len(idx) > 1:
            columns[canon] = idx
            labels[canon] = parent
            notes.append(f"“{parent}”下的子列（{'、'.join(paths[j][-1] for j in idx)}）没有合计列，按各子列之和计")
        elif len(idx) == 1:
            columns[canon] = idx
            labels[canon] = "/".join(paths[idx[0]])
    used = {j for v in columns.values() for j in v}
    ignored = ["/".join(p) for j, p in enumerate(paths) if p and j not in used]
    return columns, labels, notes, ignored


def _structural_start(row: list[str]) -> bool:
    """The row begins like a total or footer line (its first cell), unlike a sub-header with a 合计 column."""
    first = next((c for c in row if c and not c.isspace()), "")
    return bool(first) and bool(_TOTAL_RE.match(first) or _FOOTER_RE.match(first))


def _looks_like_value(cell: str) -> bool:
    c = cell.replace(",", "").replace("元", "").strip()
    return bool(re.fullmatch(r"[-+]?\d+(\.\d+)?|\d{17}[\dXx]|\d{4}[-/年.]\d{1,2}([-/月.]\d{1,2})?日?", c))


def _continues(row: list[str], above: list[list[str]], columns: dict[str, list[int]]) -> bool:
    """A row under a header block that is itself header: text only (no amount, ID or date), and empty
    under most columns the block above names (a merged header's second row)."""
    cells = [c for c in row if c]
    if not cells or any(_looks_like_value(c) for c in cells):
        return False
    top = above[-1] if above else []
    named = [j for j in range(len(top)) if top[j]]
    empty = sum(1 for j in named if j >= len(row) or not row[j])
    repeated = sum(1 for j in named if j < len(row) and row[j] == top[j])  # a vertical merge spread down
    # the row's own texts must sit under merged spans (a parent cell followed by empty ones): sub-columns
    # of 月保障金额 do, a data row with one stray word (",待定") under ordinary columns does not
    new = [j for j, c in enumerate(row) if c and not (j < len(top) and c == top[j])]

    def spanned(j: int) -> bool:  # empty above, or above a merged cell (blank or spread to a neighbour)
        if j >= len(top):
            return False
        left, right = (top[j - 1] if j else None), (top[j + 1] if j + 1 < len(top) else None)
        return not top[j] or right == "" or top[j] in (left, right)

    in_span = all(spanned(j) for j in new)
    return empty + repeated >= max(1, len(named) // 2) and repeated < len(named) and len(new) >= 2 and in_span


_META = (
    "制表单位",
    "填报单位",
    "填表单位",
    "统计单位",
    "单位:",
    "日期:",
    "制表日期",
    "填报日期",
    "统计时间",
    "数据截至",
)


def _is_title(row: list[str]) -> bool:
    """A title or 制表单位/日期 row above the header: one text (a merged cell spread over the row) or a
    meta line; never part of the header block."""
    cells = [c for c in row if c]
    first = re.sub(r"\s+", "", cells[0]).replace("：", ":") if cells else ""
    return bool(cells) and (len(set(cells)) == 1 and len(row) > 2 or any(first.startswith(w) for w in _META))


def locate_header(grid: Grid, spec, extra: dict[str, str] | None = None) -> Header | None:
    """The best header block for ``spec`` among the first rows: most contract columns recognised,
    then the most required ones, then the shallower and earlier block. None when nothing matches.
    ``extra`` maps further headers (normalised) to helper columns (``_date`` …) the loader combines."""
    hmap = {**spec.header_map(), **(extra or {})}
    kinds = {c.name: c.kind for c in spec.columns}
    required = {c.name for c in spec.columns if c.required}
    best: Header | None = None
    scan = grid.rows[:HEAD_SCAN]
    width = max((len(r) for r in scan), default=0)
    for start in range(len(scan)):
        if not any(scan[start]) or _is_title(scan[start]):
            continue
        for depth in (1, 2, 3):
            block = scan[start : start + depth]
            if (
                len(block) < depth
                or not all(any(r) for r in block)
                or any(_structural_start(r) for r in block[1:])
                or any(_looks_like_value(c) for r in block[1:] for c in r if c)
            ):  # nor a row holding values
                break
            paths = _paths(block, width)
            columns, labels, notes, ignored = _resolve(paths, hmap, kinds)
            score = len(columns) * 10 + len(required & set(columns)) * 3 - depth
            if depth > 1 and all(_continues(block[k], block[:k], columns) for k in range(1, depth)):
                score += depth  # the lower row is the sub-header of a merged header, not data
            if best is None or score > best.score:
                best = Header(
                    spec.name, start, depth, columns, labels, notes, ignored, score, ["/".join(p) for p in paths if p]
                )
    return best if best is not None and best.columns else None


# ---------------------------------------------------------------- body
# a total word, spaces allowed between its characters (合  计)
_TOTAL_RE = re.compile(r"\s*(?:" + "|".join("\\s*".join(w) for w in TOTAL_WORDS) + ")")
_FOOTER_RE = re.compile(r"\s*(?:" + "|".join(re.escape(w).replace(":", "[:：]") for w in FOOTER_WORDS) + ")")


def _kind(row: list[str], first_body_row: bool = False) -> str | None:
    """合计行, 表尾, 列序号行 (only right under the header), 空行 — or None for a data row. Cheap on data rows:
    one regular expression on the first non-empty cell."""
    first = next((c for c in row if c and not c.isspace()), None)
    if first is None:
        return "空行"
    if _TOTAL_RE.match(first):
        return "合计行"
    if _FOOTER_RE.match(first):
        return "表尾"
    if len(first) <= 3 and first.strip().isdigit():  # "1 | 合计 | …": a numbered total line
        second = next((c for c in row[row.index(first) + 1 :] if c and not c.isspace()), "")
        if _TOTAL_RE.fullmatch(second.strip()):
            return "合计行"
    if first_body_row:
        nums = [re.sub(r"\s+", "", c) for c in row if c.strip()]
        nums = nums[1:] if nums and not nums[0].isdigit() else nums
        if (
            len(nums) >= 3
            and all(c.isdigit() for c in nums)
            and all(int(a) < int(b) for a, b in zip(nums, nums[1:]))
            and int(nums[0]) <= 2
        ):
            return "列序号行"
    return None


# Python's str.isspace() characters (what str.strip() removes; the last is U+3000), for Arrow's trims and,
# as a class, for Arrow's RE2 (whose \\s is ASCII only)
SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_WS = "[" + "".join(f"\\x{{{ord(c):x}}}" for c in SPACES) + "]"
_RE2_TOTAL = "(?:" + "|".join(f"{_WS}*".join(w) for w in TOTAL_WORDS) + ")"
_RE2_FOOTER = "(?:" + "|".join(re.escape(w).replace(":", "[:：]") for w in FOOTER_WORDS) + ")"


def _candidates(columns: list[pa.Array]) -> np.ndarray:
    """Rows of a columnar body that might not be data (blank, or a total / footer line), decided cheaply
    by Arrow; ``_kind`` then classifies exactly these rows, as it does every row of a small grid.

    A row whose first cell holds more than three characters is decided by that cell alone (a total or
    footer word at its start). The other rows (a blank or short first cell: blank lines, "1 | 合计",
    numbered data rows) have their cells joined with a separator that is neither blank nor text (\\x01),
    so that three regular expressions over one column decide: the row is blank; its first non-blank cell
    starts with a total or footer word; or that cell is short and a total word is in the row (a 计 in
    it). The last is a superset of the numbered total line (``_kind`` decides exactly)."""
    if not columns:
        return np.zeros(0, dtype=bool)
    lead = f"^{_WS}*(?:{_RE2_TOTAL}|{_RE2_FOOTER})"
    first = pc.fill_null(columns[0], "")
    rest = pc.or_(pc.less_equal(pc.utf8_length(first), 3), pc.match_substring_regex(first, f"^{_WS}*$"))
    out = pc.and_(pc.invert(rest), pc.match_substring_regex(first, lead)).to_numpy(zero_copy_only=False)
    todo = np.flatnonzero(rest.to_numpy(zero_copy_only=False))
    if not len(todo):
        return out
    pick = pa.array(todo, type=pa.int64())
    row = pc.binary_join_element_wise(
        *[pc.cast(c.take(pick), pa.large_string()) for c in columns],
        pa.scalar("\x01", pa.large_string()),
        null_handling="replace",
        null_replacement="",
    )
    blank_cells = f"(?:{_WS}*\x01)*"
    empty = pc.match_substring_regex(row, f"^(?:{_WS}|\x01)*$")
    starts = pc.match_substring_regex(row, f"^{blank_cells}{_WS}*(?:{_RE2_TOTAL}|{_RE2_FOOTER})")
    numbered = pc.and_(
        pc.match_substring_regex(row, f"^{blank_cells}[^\x01]{{1,3}}(?:\x01|$)"),
        pc.match_substring(row, "计"),  # every total word ends in 计: a literal search, not a regex
    )
    out[todo] = pc.or_(pc.or_(empty, starts), numbered).to_numpy(zero_copy_only=False)
    return out


def split_body(grid: Grid, header: Header) -> tuple[list[int] | np.ndarray, list[tuple[int, str]]]:
    """Indexes of data rows after the header, and (index, kind) of structural rows."""
    data, structure = [], []
    first = header.start + header.depth
    if grid.columns is not None and first < grid.height:
        look = _candidates([c.slice(first) for c in grid.columns])
        look[0] = True  # the first body row may be a column-number row
        keep = np.ones(len(look), dtype=bool)
        for k in np.flatnonzero(look):
            kind = _kind(grid.row(first + int(k)), k == 0)
            if kind is not None:
                keep[k] = False
                structure.append((first + int(k), kind))
        return np.flatnonzero(keep) + first, structure
    for i in range(first, grid.height):
        k = _kind(grid.rows[i], i == first)
        if k is None:
            data.append(i)
        else:
            structure.append((i, k))
    return data, structure


def total_checks(
    grid: Grid, header: Header, data: list[int], structure: list[tuple[int, str]], money_cols: list[str]
) -> list[dict]:
    """Compare each 合计 row with the rows imported: amount per money column, and the count where the
    total row states one (共N户/人/条, or a number under 序号)."""
    out = []
    totals = [i for i, k in structure if k == "合计行"]
    if not totals:
        return out
    i = totals[-1]
    row = grid.row(i)
    rows = np.asarray(data, dtype=np.int64)
    for canon in money_cols:
        idx = header.columns.get(canon)
        if not idx:
            continue
        stated = [parse_money(row[j]) if j < len(row) else None for j in idx]
        if any(s is None for s in stated):
            continue
        got = 0.0
        for j in idx:
            col = grid.column(j, rows)
            vals = [parse_money(v) for v in (col.to_pylist() if isinstance(col, pa.Array) else col)]
            got += sum(v for v in vals if v is not None)
        want = sum(stated)
        if abs(got - want) > 0.5:
            out.append(
                {
                    "row": grid.numbers[i],
                    "column": header.labels.get(canon, canon),
                    "reason": f"合计行金额{want:,.2f}元与导入明细之和{got:,.2f}元不符（相差{got - want:+,.2f}元）",
                }
            )
    text = "".join(row)
    m = re.search(r"共\s*(\d+)\s*(户|人|条|行)", text)
    if m and int(m.group(1)) != len(data):
        out.append(
            {
                "row": grid.numbers[i],
                "column": "合计",
                "reason": f"合计行写明共{m.group(1)}{m.group(2)}，导入明细为{len(data)}行",
            }
        )
    return out


def title_period(grid: Grid, header: Header) -> str | None:
    """A month named only in the title rows above the header (浪潮 发放明细: '2024-05城市低保发放明细')."""
    text = " ".join(c for r in grid.rows[: header.start] for c in r if c)
    m = re.search(r"(20\d\d)\s*[-年./]\s*(\d{1,2})\s*月?", text)
    return f"{m.group(1)}-{int(m.group(2)):02d}" if m and 1 <= int(m.group(2)) <= 12 else None
