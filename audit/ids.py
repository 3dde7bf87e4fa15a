"""Identifier checks: resident ID (GB 11643), social credit code (GB 32100), Luhn, masking.

Examples
--------
>>> id_check_char("52273219800101001")
'6'
>>> upgrade_id15("522732800101001")
'522732198001010016'
>>> mask_id("522732198001010016")
'522732********0016'
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "id_check_char",
    "validate_resident_id",
    "validate_resident_ids",
    "upgrade_id15",
    "id_birth_date",
    "id_sex",
    "uscc_valid",
    "luhn_valid",
    "mask_id",
    "mask_account",
    "mask_phone",
    "mask_value",
]

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_ID18 = re.compile(r"^\d{17}[\dX]$")
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_char(first17: str) -> str:
    """Check character of an 18-digit resident ID from its first 17 digits."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _W)) % 11]


def upgrade_id15(id15: str) -> str:
    """Upgrade a legacy 15-digit ID (born 19yy) to 18 digits."""
    first17 = id15[:6] + "19" + id15[6:]
    return first17 + id_check_char(first17)


def validate_resident_id(raw: str) -> tuple[str | None, str | None]:
    """Normalise and check an ID; returns ``(id, None)`` or ``(None, reason_code)``."""
    s = raw.strip().upper()
    if len(s) == 15 and s.isdigit():
        s = upgrade_id15(s)
    if not _ID18.match(s):
        return None, "BAD_ID_FORMAT"
    if id_check_char(s[:17]) != s[17]:
        return None, "BAD_ID_CHECKSUM"
    try:
        dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None, "BAD_ID_BIRTHDATE"
    return s, None


def validate_resident_ids(values: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``validate_resident_id`` over a column: (ids or None, reason codes or None), as object arrays.

    Well-formed 18-character IDs (ASCII digits, X/x last) are checked as one integer matrix (check digit
    and birth date); anything else goes through ``validate_resident_id`` one distinct text at a time, so
    15-digit IDs, stray spaces and every reason code come out exactly as from the scalar check.

    >>> ids, why = validate_resident_ids(
    ...     ["522732198001010016", "52273219800101001X", "5227321980013", "522732800101001"]
    ... )
    >>> list(ids), list(why)
    (['522732198001010016', None, None, '522732198001010016'], [None, 'BAD_ID_CHECKSUM', 'BAD_ID_FORMAT', None])
    """
    arr = np.asarray(values, dtype=object)
    ids, why = validate_resident_id_array(pa.array(arr, type=pa.large_string(), from_pandas=True))
    return np.asarray(ids.to_pylist(), dtype=object), why


def validate_resident_id_array(text: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """:func:`validate_resident_ids` on an Arrow string column, the ids staying in Arrow (no Python string
    per cell): (ids as large strings, null where invalid or blank; reason codes or None, an object array)."""
    text = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    text = text.cast(pa.large_string())
    n = len(text)
    why = np.full(n, None, dtype=object)
    ids = pa.nulls(n, pa.large_string())
    if not n:
        return ids, why
    shaped = pc.fill_null(pc.match_substring_regex(text, r"^[0-9]{17}[0-9Xx]$"), False).to_numpy(zero_copy_only=False)
    pos = np.flatnonzero(shaped)
    if len(pos):
        upper = pc.utf8_upper(text)
        data = _id_bytes(upper.filter(pa.array(shaped)))
        weighted = np.zeros(len(data), dtype=np.int32)
        for j, w in enumerate(_W):
            weighted += _number(data, j, j + 1) * w
        check = np.frombuffer(_CHECK.encode(), dtype=np.uint8)[weighted % 11]
        year, month, day = _number(data, 6, 10), _number(data, 10, 12), _number(data, 12, 14)
        leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
        month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)] + (
            leap & (month == 2)
        )
        born = (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
        ok_sum = check == data[:, 17]
        valid = np.zeros(n, dtype=bool)
        valid[pos] = ok_sum & born
        ids = pc.if_else(pa.array(valid), upper, pa.scalar(None, pa.large_string()))
        bad = ~(ok_sum & born)  # reasons only where there is one (a million Nones cost more than the checks)
        why[pos[bad]] = np.where(~ok_sum[bad], "BAD_ID_CHECKSUM", "BAD_ID_BIRTHDATE")
    rest = np.flatnonzero(~shaped)
    if len(rest):
        values = text.take(pa.array(rest)).to_pylist()
        lookup = {u: validate_resident_id(u) for u in set(values)}
        got = [lookup[v] for v in values]
        in_rest = np.zeros(n, dtype=bool)
        in_rest[rest] = True
        ids = pc.replace_with_mask(ids, pa.array(in_rest), pa.array([g[0] for g in got], type=pa.large_string()))
        why[rest] = [g[1] for g in got]
    return ids, why


def id_births_and_sexes(ids) -> tuple[np.ndarray, np.ndarray] | None:
    """Birth dates (datetime64[D]) and whether male, for a column of valid 18-character IDs, read from their
    bytes (no text parsing per cell); None when any cell is not 18 ASCII characters."""
    arr = pa.array(ids, from_pandas=True)
    arr = (arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr).cast(pa.large_string())
    if not len(arr):
        return np.array([], dtype="datetime64[D]"), np.array([], dtype=bool)
    if arr.null_count or not pc.all(pc.equal(pc.binary_length(arr), 18)).as_py():
        return None
    data = _id_bytes(arr)
    if ((data[:, :17] < 48) | (data[:, :17] > 57)).any():  # not the digits of a checked ID
        return None
    months = (_number(data, 6, 10) - 1970) * 12 + _number(data, 10, 12) - 1
    days = _number(data, 12, 14) - 1
    born = months.astype("datetime64[M]").astype("datetime64[D]") + days.astype("timedelta64[D]")
    return born, _number(data, 16, 17) % 2 == 1


def _id_bytes(arr: pa.Array) -> np.ndarray:
    """The bytes of a large-string array of 18-byte ids as an n × 18 matrix (no copy)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    return np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 18)


def _number(data: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The decimal number written in columns lo..hi-1 of every row of an id byte matrix, column by column."""
    out = data[:, lo].astype(np.int32) - 48  # at most four digits here
    for j in range(lo + 1, hi):
        out = out * 10 + (data[:, j].astype(np.int32) - 48)
    return out


def id_birth_date(pid: str) -> dt.date:
    return dt.date(int(pid[6:10]), int(pid[10:12]), int(pid[12:14]))


def id_sex(pid: str) -> str:
    """'男' for an odd sequence digit, '女' for even."""
    return "男" if int(pid[16]) % 2 else "女"


def uscc_valid(code: str) -> bool:
    """Unified social credit code (18 characters, GB 32100) with its check character."""
    s = code.strip().upper()
    if len(s) != 18 or any(c not in _USCC_CHARS for c in s):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(s[:17], _USCC_W))
    return _USCC_CHARS[(31 - total % 31) % 31] == s[17]


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def mask_id(pid: str | None) -> str:
    """Keep region (6) and the last 4 characters."""
    if not pid:
        return ""
    s = str(pid)
    return s[:6] + "*" * max(len(s) - 10, 0) + s[-4:] if len(s) > 10 else "*" * len(s)


def mask_account(acc: str | None) -> str:
    if not acc:
        return ""
    s = str(acc)
    return s[:4] + "*" * max(len(s) - 8, 0) + s[-4:] if len(s) > 8 else "*" * len(s)


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    s = str(phone)
    return s[:3] + "****" + s[-4:] if len(s) >= 11 else "*" * len(s)


def mask_value(column: str, value: str | None) -> str:
    """Mask a raw value when its column holds an ID, an account or a phone number."""
    if value is None:
        return ""
    kind = sensitive_kind(column)
    return {"id": mask_id, "account": mask_account, "phone": mask_phone}.get(kind, str)(value)


def sensitive_kind(column: str) -> str | None:
    if column.endswith("_id") and column not in {"household_id", "case_id", "meeting_id", "terminal_id"}:
        return "id"
    if column.endswith("account") or column.startswith("account_no"):
        return "account"
    if "phone" in column:
        return "phone"
    return None
