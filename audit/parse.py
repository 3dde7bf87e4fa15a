"""Cell parsers for dates, months, money and codes as they arrive in county exports."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

import numpy as np
import pandas as pd

__all__ = [
    "map_distinct",
    "norm_text",
    "norm_header",
    "parse_date",
    "parse_month",
    "parse_money",
    "parse_time",
    "parse_date_series",
]

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)


def norm_text(value: object) -> str:
    """NFKC (full-width digits and brackets to ASCII) and strip; None/NaN -> ''."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


_UNIT = re.compile(r"\((元|万元|人|户|个|天|月|岁|次|平方米|㎡|m2|元/年|元/月|元/人|元/人/月|元/人·月|元/户)\)$")


def norm_header(value: object) -> str:
    """Header key: NFKC, no spaces, lower case; （） and () compare equal; a unit suffix such as （元）
    or （平方米） and the variant 帐 (for 账) do not matter.

    >>> norm_header("月保障金额（元）") == norm_header("月保障金额"), norm_header("银行帐号") == norm_header("银行账号")
    (True, True)
    """
    key = re.sub(r"\s+", "", norm_text(value)).lower().replace("帐", "账")
    return _UNIT.sub("", key)


def map_distinct(s: pd.Series, fn) -> pd.Series:
    """``s.map(fn)`` with ``fn`` called once per distinct value (a million rows, a few hundred labels).
    Missing values stay missing, as ``Series.map`` leaves them for a function that returns None for them."""
    codes, uniq = pd.factorize(s)  # missing values get code -1: the extra last slot
    out = [fn(u) for u in uniq]
    vals = np.array([np.nan if v is None else v for v in out] + [np.nan], dtype=object)
    return pd.Series(vals[codes], index=s.index, dtype=object, name=s.name)


def _excel_serial(s: str) -> dt.date | None:
    try:
        n = float(s)
    except ValueError:
        return None
    if 1 <= n < 2958466 and n == int(n):
        return _EXCEL_EPOCH + dt.timedelta(days=int(n))
    return None


def parse_date(raw: str) -> dt.date | None:
    """Parse any accepted date form; None when unparseable.

    >>> parse_date("2021年3月10日"), parse_date("44265"), parse_date("2021.03.10")
    (datetime.date(2021, 3, 10), datetime.date(2021, 3, 10), datetime.date(2021, 3, 10))
    """
    s = norm_text(raw)
    for pat in _DATE_PATTERNS:
        m = pat.match(s)
        if m:
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        return _excel_serial(s)
    return None


def parse_time(raw: str) -> dt.datetime | None:
    """Timestamp: a date form plus HH:MM[:SS], or an Excel serial with a fraction."""
    s = norm_text(raw)
    m = re.match(r"^(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$", s)
    if m:
        d = parse_date(m[1])
        if d is None:
            return None
        try:
            return dt.datetime(d.year, d.month, d.day, int(m[2]), int(m[3]), int(m[4] or 0))
        except ValueError:
            return None
    try:
        n = float(s)
        if 20000 < n < 80000:
            return dt.datetime.combine(_EXCEL_EPOCH, dt.time()) + dt.timedelta(days=n)
    except ValueError:
        pass
    d = parse_date(s)
    return dt.datetime(d.year, d.month, d.day) if d else None


def parse_month(raw: str) -> dt.date | None:
    """Month as the first day of that month; a full date is accepted too."""
    s = norm_text(raw)
    for pat in _MONTH_PATTERNS:
        m = pat.match(s)
        if m and 1 <= int(m[2]) <= 12:
            return dt.date(int(m[1]), int(m[2]), 1)
    d = parse_date(s)
    return d.replace(day=1) if d else None


def parse_money(raw: str) -> float | None:
    """Yuan with optional 元/¥/￥/thousands separators; None when not a number."""
    s = norm_text(raw).replace(",", "").replace("元", "").replace("¥", "").replace("￥", "").strip()
    try:
        v = float(s)
    except ValueError:
        return None
    return None if np.isnan(v) else v


def parse_date_series(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Vectorised fast path for ISO dates, per-cell fallback for the rest.

    Returns (dates as datetime64[ns] with NaT for blanks/bad, boolean mask of bad cells).
    """
    s = values.fillna("").astype(str)
    fast = pd.to_datetime(s, format="%Y-%m-%d", errors="coerce")
    todo = fast.isna() & (s != "")
    if todo.any():
        parsed = s[todo].map(parse_date)
        fast.loc[todo] = pd.to_datetime(parsed, errors="coerce")
    bad = fast.isna() & (s != "")
    return fast, bad


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_GROUP = re.compile(r"^第?([0-9]+|[零〇一二两三四五六七八九十百]+)(?:村民|居民)?(?:小组|组|队|社)$")


def _cn_number(s: str) -> int | None:
    if s.isdigit():
        return int(s)
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        elif ch == "十":
            total += (cur or 1) * 10
            cur = 0
        elif ch == "百":
            total += (cur or 1) * 100
            cur = 0
        else:
            return None
    return total + cur


def norm_group(label: object) -> str | None:
    """Village-group label (村民小组) as one key: 第1村民小组 / 1组 / 一组 / 第一组 / 1队 -> '1'.

    A label without a recognisable number is compared as written (NFKC, no spaces).

    >>> [norm_group(x) for x in ("第1村民小组", "1组", "一组", "第十二组", "12队", "第1居民小组", "老街")]
    ['1', '1', '1', '12', '12', '1', '老街']
    """
    s = re.sub(r"\s+", "", norm_text(label))
    if not s:
        return None
    m = _GROUP.match(s)
    if m:
        n = _cn_number(m[1])
        if n is not None:
            return str(n)
    return s
