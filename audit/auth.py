"""Dashboard users: hashed passwords in a local file, roles with a jurisdiction, and an access log.

Roles: ``county`` (县级纪检, whole county), ``township`` (乡镇, own township only) and ``readonly``
(只读, whole county, no export). Personal numbers stay masked unless the user has ``full_view``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from audit.errors import AuditError

__all__ = [
    "User",
    "SessionStore",
    "user_named",
    "ROLES_ZH",
    "hash_password",
    "verify_password",
    "load_users",
    "add_user",
    "authenticate",
    "scope",
    "log_access",
    "log_event",
    "LoginPolicy",
    "LoginGuard",
    "sign_in",
]

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


def add_user(
    path: str | Path,
    username: str,
    password: str,
    role: str,
    township: str | None = None,
    full_view: bool = False,
    display_name: str = "",
) -> User:
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


# stands in for an unknown user's hash, so that a wrong name costs the same time as a wrong password
_DUMMY_HASH = hash_password("dummy-password", salt=b"\0" * 16)


@dataclass(frozen=True)
class LoginPolicy:
    """Dashboard sign-in settings (tool settings, not policy; environment variables override them)."""

    max_failures: int = 5  # failed attempts for one user name within the window ...
    window_minutes: int = 15  # ... lock the name for lockout_minutes
    lockout_minutes: int = 15
    idle_minutes: int = 30  # a session unused this long must sign in again
    max_session_hours: int = 10  # and any session after this long

    @classmethod
    def from_env(cls) -> "LoginPolicy":
        env = {f.name: os.environ.get(f"DIBAO_LOGIN_{f.name.upper()}") for f in dataclasses.fields(cls)}
        return cls(**{k: int(v) for k, v in env.items() if v})


class LoginGuard:
    """Failed sign-ins per user name, kept in a file beside the users file (survives a restart)."""

    def __init__(self, users_path: str | Path, policy: LoginPolicy | None = None):
        self.path = Path(users_path).with_name(".login_failures.json")
        self.policy = policy or LoginPolicy.from_env()

    def _read(self) -> dict[str, list[float]]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write(self, data: dict[str, list[float]]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self.path)

    def _key(self, username: str) -> str:
        return hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:16]

    def locked_until(self, username: str, now: float | None = None) -> float | None:
        now = time.time() if now is None else now
        recent = [t for t in self._read().get(self._key(username), []) if now - t < self.policy.window_minutes * 60]
        if len(recent) >= self.policy.max_failures:
            until = recent[-1] + self.policy.lockout_minutes * 60
            return until if until > now else None
        return None

    def failed(self, username: str, now: float | None = None) -> int:
        now = time.time() if now is None else now
        data = self._read()
        key = self._key(username)
        keep = [
            t for t in data.get(key, []) if now - t < max(self.policy.window_minutes, self.policy.lockout_minutes) * 60
        ]
        data[key] = keep + [now]
        self._write(data)
        return len(data[key])

    def succeeded(self, username: str) -> None:
        data = self._read()
        if data.pop(self._key(username), None) is not None:
            self._write(data)


def authenticate(path: str | Path, username: str, password: str) -> User | None:
    u = load_users(path).get(username)
    ok = verify_password(password, u["password"] if u else _DUMMY_HASH)
    if not u or not ok:
        return None
    return user_named(path, u["username"])


def sign_in(
    path: str | Path,
    username: str,
    password: str,
    log_folder: str | Path,
    guard: LoginGuard | None = None,
    now: float | None = None,
) -> tuple[User | None, str]:
    """Check a sign-in with throttling: (user, "") on success, (None, Chinese message) otherwise.
    Every attempt is logged (the name as typed, truncated; never the password)."""
    guard = guard or LoginGuard(path)
    name = username.strip()[:64]
    until = guard.locked_until(name, now)
    if until is not None:
        log_event(log_folder, name[:32], "", "login_locked")
        left = max(1, round((until - (time.time() if now is None else now)) / 60))
        return None, f"该用户连续登录失败次数过多，已暂时锁定，请约{left}分钟后再试，或联系管理员。"
    u = authenticate(path, name, password)
    if u is None:
        n = guard.failed(name, now)
        log_event(log_folder, name[:32], "", "login_failed", f"第{n}次")
        rest = guard.policy.max_failures - n
        tail = (
            f"再失败{rest}次将锁定{guard.policy.lockout_minutes}分钟。"
            if rest > 0
            else f"已锁定{guard.policy.lockout_minutes}分钟。"
        )
        return None, "用户名或密码不正确。" + tail
    guard.succeeded(name)
    log_access(log_folder, u, "login")
    return u, ""


def scope(frame: pd.DataFrame, user: User, column: str = "township") -> pd.DataFrame:
    """Rows the user may see: a township user only their township's (rows without one are county-level)."""
    if user.role != "township":
        return frame
    if column not in frame:
        return frame.iloc[0:0]
    return frame[frame[column] == user.township]


def log_access(folder: str | Path, user: User, action: str, target: str = "", rows: int | None = None) -> None:
    """Append who did what to the run folder's access log (JSON lines; never personal numbers)."""
    log_event(folder, user.username, user.role, action, target, rows)


def log_event(
    folder: str | Path, username: str, role: str, action: str, target: str = "", rows: int | None = None
) -> None:
    entry = {
        "time": dt.datetime.now().isoformat(timespec="seconds"),
        "user": username,
        "role": role,
        "action": action,
        "target": target,
    }
    if rows is not None:
        entry["rows"] = int(rows)
    with open(Path(folder) / "access_log.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(entry, ensure_ascii=False) + "\n")


class SessionStore:
    """Dashboard sessions that survive a page reload: a random token in the browser's cookie, its
    SHA-256 here (a file beside the users file), with the user name, sign-in time and last use. The
    LoginPolicy's idle and maximum ages are enforced here, on the server, whatever the cookie says."""

    def __init__(self, users_path: str | Path, policy: LoginPolicy | None = None):
        self.path = Path(users_path).with_name(".sessions.json")
        self.policy = policy or LoginPolicy.from_env()

    def _read(self) -> dict[str, dict]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _write(self, data: dict[str, dict]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        tmp.replace(self.path)

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def _alive(self, s: dict, now: float) -> bool:
        return now - s["seen_at"] <= self.policy.idle_minutes * 60 and (
            now - s["login_at"] <= self.policy.max_session_hours * 3600
        )

    def issue(self, username: str, now: float | None = None) -> str:
        """A new token for a user who just signed in (expired sessions are dropped on the way)."""
        now = time.time() if now is None else now
        token = secrets.token_urlsafe(32)
        data = {k: s for k, s in self._read().items() if self._alive(s, now)}
        data[self._key(token)] = {"user": username, "login_at": now, "seen_at": now}
        self._write(data)
        return token

    def resume(self, token: str | None, now: float | None = None) -> tuple[str, float] | None:
        """(user name, sign-in time) for a live token, marking it used; None when unknown or expired."""
        if not isinstance(token, str) or not token:
            return None
        now = time.time() if now is None else now
        data = self._read()
        s = data.get(self._key(token))
        if s is None or not self._alive(s, now):
            if s is not None:
                data.pop(self._key(token))
                self._write(data)
            return None
        s["seen_at"] = now
        self._write(data)
        return s["user"], s["login_at"]

    def revoke(self, token: str | None) -> None:
        data = self._read()
        if isinstance(token, str) and token and data.pop(self._key(token), None) is not None:
            self._write(data)


def user_named(path: str | Path, username: str) -> User | None:
    """The current record of a user (role and township as the users file says now), or None if removed."""
    u = load_users(path).get(username)
    if not u:
        return None
    return User(u["username"], u["role"], u.get("township"), bool(u.get("full_view")), u.get("display_name", ""))
