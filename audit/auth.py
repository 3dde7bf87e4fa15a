"""Dashboard users: hashed passwords in a local file, roles with a jurisdiction, and an access log.

Roles: ``county`` (县级纪检, whole county), ``township`` (乡镇, own township only) and ``readonly``
(只读, whole county, no export). Personal numbers stay masked unless the user has ``full_view``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from audit.errors import AuditError

__all__ = ["User", "ROLES_ZH", "hash_password", "verify_password", "load_users", "add_user", "authenticate",
           "scope", "log_access"]

ROLES_ZH = {"county": "县级纪检", "township": "乡镇", "readonly": "只读"}
_ITER = 240_000


@dataclass(frozen=True)
class User:
    username: str
    role: str
    township: str | None = None
    full_view: bool = False
    display_name: str = ""

    @property
    def can_export(self) -> bool:
        return self.role != "readonly"

    @property
    def label(self) -> str:
        where = f"·{self.township}" if self.township else ""
        return f"{self.display_name or self.username}（{ROLES_ZH[self.role]}{where}）"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, _ITER)
    return f"pbkdf2_sha256${_ITER}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _, iters, salt, digest = stored.split("$")
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), int(iters))
    return hmac.compare_digest(got.hex(), digest)


def load_users(path: str | Path) -> dict[str, dict]:
    path = Path(path)
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {u["username"]: u for u in data.get("users", [])}


def add_user(path: str | Path, username: str, password: str, role: str, township: str | None = None,
             full_view: bool = False, display_name: str = "") -> User:
    """Add or replace a user; the file is written atomically and holds only password hashes."""
    if role not in ROLES_ZH:
        raise AuditError(f"角色必须是 {'、'.join(ROLES_ZH)} 之一，实际为 {role!r}。")
    if role == "township" and not township:
        raise AuditError("乡镇角色必须指定乡镇（--township）。")
    if len(password) < 8:
        raise AuditError("密码至少8位。")
    users = load_users(path)
    user = User(username, role, township, full_view, display_name)
    users[username] = {**asdict(user), "password": hash_password(password)}
    path = Path(path)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"users": list(users.values())}, ensure_ascii=False, indent=2), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return user


def authenticate(path: str | Path, username: str, password: str) -> User | None:
    u = load_users(path).get(username)
    if not u or not verify_password(password, u["password"]):
        return None
    return User(u["username"], u["role"], u.get("township"), bool(u.get("full_view")), u.get("display_name", ""))


def scope(frame: pd.DataFrame, user: User, column: str = "township") -> pd.DataFrame:
    """Rows the user may see: a township user only their township's (rows without one are county-level)."""
    if user.role != "township":
        return frame
    if column not in frame:
        return frame.iloc[0:0]
    return frame[frame[column] == user.township]


def log_access(folder: str | Path, user: User, action: str, target: str = "") -> None:
    """Append who did what to the run folder's access log (JSON lines; never personal numbers)."""
    entry = {"time": dt.datetime.now().isoformat(timespec="seconds"), "user": user.username, "role": user.role,
             "action": action, "target": target}
    with open(Path(folder) / "access_log.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")
