"""Read a run folder for the dashboard and exports: findings, rejects, run.json; masking and Excel."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit.catalogue import FAMILY_ZH, catalogue
from audit.ids import mask_account, mask_id
from audit.store import read_run

__all__ = [
    "csv_safe",
    "RunResults",
    "load_results",
    "masked",
    "mask_text",
    "to_excel_bytes",
    "SEVERITY_ZH",
    "COLUMNS_ZH",
]

SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
COLUMNS_ZH = {
    "finding_id": "线索编号",
    "rule": "规则",
    "family": "规则族",
    "severity": "严重程度",
    "score": "分值",
    "case_id": "低保编号",
    "household_id": "户号",
    "person_id": "身份证号",
    "official_id": "干部身份证号",
    "account_no": "账号",
    "meeting_id": "会议编号",
    "village_code": "村代码",
    "township": "乡镇",
    "explanation": "说明",
    "evidence": "证据",
    "policy_ref": "政策依据",
    "title_zh": "规则名称",
}


@dataclass
class RunResults:
    folder: Path
    findings: pd.DataFrame
    rejects: pd.DataFrame
    run: dict

    @property
    def county(self) -> str:
        """The county's name from the register ('' for runs written before places were recorded)."""
        return self.run.get("places", {}).get("county", "")

    @property
    def villages(self) -> dict[str, str]:
        """村（社区）名称 by village code."""
        return self.run.get("places", {}).get("villages", {})

    def rule_table(self) -> pd.DataFrame:
        """Every rule in Chinese: name, severity, status in this run, what it checks, why, what to verify, clauses."""
        params = self.run.get("profile", {}).get("params", {})
        rows = []
        for code, doc in catalogue().items():
            entry = self.run.get("rules", {}).get(code, {})
            zh = doc.describe(params)
            rows.append(
                {
                    "规则": code,
                    "规则名称": zh["title"] or entry.get("title_zh", ""),
                    "规则族": FAMILY_ZH[doc.family],
                    "严重程度": "/".join(SEVERITY_ZH.get(x, x) for x in doc.severity.split("/")),
                    "状态": {"ran": "已运行", "skipped": "已跳过", "error": "出错"}.get(
                        entry.get("status"), "尚未实现"
                    ),
                    "线索数": entry.get("findings", 0),
                    "说明": entry.get("reason", ""),
                    "检查内容": zh["what"],
                    "为何重要": zh["why"],
                    "现场核实": zh["verify"],
                    "政策依据": doc.source,
                }
            )
        return pd.DataFrame(rows)


def load_results(folder: str | Path) -> RunResults:
    folder = Path(folder)
    run = read_run(folder)
    findings = pd.read_parquet(folder / "findings.parquet")
    rejects = pd.read_csv(folder / "rejects.csv", dtype=str, encoding="utf-8-sig", keep_default_na=False)
    return RunResults(folder, findings, rejects, run)


def masked(frame: pd.DataFrame, full_view: bool = False) -> pd.DataFrame:
    """Mask ID numbers and accounts (keys and evidence) unless the role may see them."""
    if full_view:
        return frame
    out = frame.copy()
    for col in ("person_id", "official_id"):
        if col in out:
            out[col] = out[col].map(lambda v: mask_id(v) if isinstance(v, str) else v)
    if "account_no" in out:
        out["account_no"] = out["account_no"].map(lambda v: mask_account(v) if isinstance(v, str) else v)
    for col in FREE_TEXT:
        if col in out:
            out[col] = out[col].map(mask_text)
    return out


# columns that hold free text (from input files or typed by users) where numbers may appear
FREE_TEXT = ("evidence", "explanation", "note", "detail", "dismissal_reason", "old", "new", "reason", "value")


def mask_text(text: str) -> str:
    """Mask every resident ID, bank card and mobile number inside a free text.

    A number counts when it stands alone (not inside a code such as PY522732003004202011-0237): an
    18-character resident ID, any long number written after 账号/账户/卡号/存折, a 16–19 digit number with a
    card prefix (UnionPay 62/60, 9 for passbooks) that passes the Luhn check, and an 11-digit mobile
    number. Household and village codes stay readable (a Gansu household code also starts with 62, but
    fails the Luhn check nine times in ten; a labelled account is masked whatever its digits).

    >>> mask_text("账户6217790000000000018的低保金转入干部账户，户5227320010010049")
    '账户6217***********0018的低保金转入干部账户，户5227320010010049'
    >>> mask_text("联系电话13912345678；会议PY522732003004202011-0237")
    '联系电话139****5678；会议PY522732003004202011-0237'
    """
    import re

    from audit.ids import luhn_valid, validate_resident_id

    def repl(m: re.Match) -> str:
        label, s = m.group(1) or "", m.group(2)
        if len(s) == 18 and (validate_resident_id(s)[1] is None or s[-1] in "Xx"):
            return label + mask_id(s)
        if label and len(s) >= 10:
            return label + mask_account(s)
        if 16 <= len(s) <= 19 and s.startswith(_CARD_PREFIXES) and luhn_valid(s):
            return label + mask_account(s)
        if len(s) == 11 and s.startswith("1"):
            return label + s[:3] + "****" + s[-4:]
        return m.group(0)

    if not isinstance(text, str):
        return text
    return re.sub(
        r"((?:账号|账户|卡号|存折|account)[：:=\s]*)?(?<![A-Za-z\d])(\d{17}[\dXx]|\d{10,19})(?![\dA-Za-z])", repl, text
    )


_CARD_PREFIXES = ("62", "60", "9")  # UnionPay and passbook accounts; 4x/5x would hit household codes (42–46, 5x)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Text from input files is data, never a formula: a text cell starting with = + - @ (or a tab) gets
    a leading apostrophe in CSV exports, the way Excel itself marks typed text."""
    out = frame.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out


_MONEY = re.compile(r"金额|（元）|\(元\)|保障金|标准（元|收入（元|应追缴")
MONEY_FORMAT = '#,##0.00"元"'
DATE_FORMAT = "yyyy-mm-dd"


def _width(value) -> int:
    """Display width in Excel columns: a Chinese character is two."""
    text = str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _excel_frame(frame: pd.DataFrame, mask: bool) -> pd.DataFrame:
    """Dates as dates (ISO text and timestamps), free text masked, booleans as 是/否."""
    import datetime as dt

    out = frame.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_bool_dtype(col):
            out[c] = col.map({True: "是", False: "否"})
        elif pd.api.types.is_datetime64_any_dtype(col):
            out[c] = col.dt.tz_localize(None) if getattr(col.dt, "tz", None) else col
        elif col.dtype == object or pd.api.types.is_string_dtype(col):
            texts = col.dropna()
            texts = texts[texts.map(lambda v: isinstance(v, str) and v != "")]
            if len(texts) and texts.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all():
                out[c] = col.map(lambda v: dt.date.fromisoformat(v) if isinstance(v, str) and v else None)
            elif mask:
                out[c] = col.map(mask_text)
    return out


def to_excel_bytes(sheets: dict[str, pd.DataFrame], mask: bool = True) -> bytes:
    """An .xlsx workbook as county staff expect it: frozen header row, filters, columns as wide as their
    Chinese text, amounts as numbers shown with 元, dates as Excel dates, every resident ID, account
    and phone number in free text masked (``mask=False`` only for roles that may see them), and text
    that looks like a formula (=HYPERLINK(…) in a case id) stored as text, never as a live formula."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl", date_format=DATE_FORMAT, datetime_format=DATE_FORMAT) as xw:
        for name, raw in sheets.items():
            frame = _excel_frame(raw, mask)
            frame.to_excel(xw, sheet_name=name[:31], index=False)
            ws = xw.sheets[name[:31]]
            for row in ws.iter_rows(min_row=1):
                for cell in row:
                    if cell.data_type == "f" or (isinstance(cell.value, str) and cell.value.startswith("=")):
                        cell.data_type = "s"
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = ws.dimensions
            for i, col in enumerate(frame.columns, 1):
                letter = ws.cell(1, i).column_letter
                money = bool(_MONEY.search(str(col))) and pd.api.types.is_numeric_dtype(frame[col])
                if money:
                    for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                        cell.number_format = MONEY_FORMAT
                sample = [_width(col) + 2] + [_width(v) for v in frame[col].head(200).dropna()]
                ws.column_dimensions[letter].width = min(max(sample) + 2 + (4 if money else 0), 60)
    return buf.getvalue()
