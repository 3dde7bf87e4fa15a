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

__all__ = [
    "id_check_char",
    "validate_resident_id",
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
