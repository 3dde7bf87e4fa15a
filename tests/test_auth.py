import json

import pandas as pd
import pytest

from audit.auth import add_user, authenticate, log_access, scope
from audit.errors import AuditError


def test_passwords_are_hashed_and_checked(tmp_path):
    f = tmp_path / "users.json"
    add_user(f, "zhang", "s3cret-pass", "township", township="大河镇")
    assert "s3cret-pass" not in f.read_text(encoding="utf-8")
    assert authenticate(f, "zhang", "s3cret-pass").township == "大河镇"
    assert authenticate(f, "zhang", "wrong-pass") is None and authenticate(f, "nobody", "x") is None


def test_bad_roles_are_refused(tmp_path):
    with pytest.raises(AuditError, match="角色必须是"):
        add_user(tmp_path / "u.json", "a", "longenough", "admin")
    with pytest.raises(AuditError, match="必须指定乡镇"):
        add_user(tmp_path / "u.json", "a", "longenough", "township")


def test_township_scope_hides_other_townships(tmp_path):
    f = tmp_path / "users.json"
    town = add_user(f, "t", "password1", "township", township="大河镇")
    county = add_user(f, "c", "password1", "county")
    frame = pd.DataFrame({"township": ["大河镇", "普安镇", None]})
    assert list(scope(frame, town).township) == ["大河镇"]
    assert len(scope(frame, county)) == 3


def test_access_log_records_who_and_what(tmp_path):
    user = add_user(tmp_path / "u.json", "c", "password1", "county")
    log_access(tmp_path, user, "open_case", "LB1")
    entry = json.loads((tmp_path / "access_log.jsonl").read_text(encoding="utf-8"))
    assert (entry["user"], entry["action"], entry["target"]) == ("c", "open_case", "LB1")


def _log(folder):
    return [json.loads(line) for line in (folder / "access_log.jsonl").read_text(encoding="utf-8").splitlines()]


def test_sign_in_locks_a_name_after_repeated_failures_and_logs_every_attempt(tmp_path):
    from audit.auth import LoginGuard, LoginPolicy, sign_in

    f = tmp_path / "users.json"
    add_user(f, "zhang", "s3cret-pass", "county")
    guard = LoginGuard(f, LoginPolicy(max_failures=3, window_minutes=15, lockout_minutes=10))
    t0 = 1_000_000.0
    for i in range(3):
        u, msg = sign_in(f, "zhang", "wrong", tmp_path, guard, now=t0 + i)
        assert u is None and "用户名或密码不正确" in msg
    assert "已锁定10分钟" in msg
    u, msg = sign_in(f, "zhang", "s3cret-pass", tmp_path, guard, now=t0 + 60)  # right password, still locked
    assert u is None and "暂时锁定" in msg and "9分钟" in msg
    u, msg = sign_in(f, "zhang", "s3cret-pass", tmp_path, guard, now=t0 + 11 * 60)  # lock over
    assert u is not None and msg == ""
    assert guard.locked_until("zhang", now=t0 + 11 * 60) is None
    actions = [e["action"] for e in _log(tmp_path)]
    assert actions == ["login_failed"] * 3 + ["login_locked", "login"]
    assert "s3cret-pass" not in (tmp_path / "access_log.jsonl").read_text(encoding="utf-8")
    # the failures survive a restart of the dashboard (a new guard reads the same file)
    for i in range(3):
        sign_in(f, "zhang", "wrong", tmp_path, guard, now=t0 + 2000 + i)
    assert LoginGuard(f, guard.policy).locked_until("zhang", now=t0 + 2010) is not None


def test_an_unknown_user_costs_a_full_password_check(tmp_path, monkeypatch):
    import audit.auth as auth

    f = tmp_path / "users.json"
    add_user(f, "zhang", "s3cret-pass", "county")
    calls = []
    real = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda p, h: calls.append(h) or real(p, h))
    assert auth.authenticate(f, "nobody", "whatever") is None
    assert auth.authenticate(f, "zhang", "whatever") is None
    assert len(calls) == 2 and all(h.startswith("pbkdf2_sha256$240000$") for h in calls)


def test_markdown_from_input_is_shown_as_written():
    import re

    from app_pages.state import md

    hostile = [
        "[点我](http://evil.example/x)",
        "![](http://evil.example/a.png)",
        "**粗体** _斜体_",
        ":red[红字]",
        "$x^2$",
        "<img src=x onerror=alert(1)>",
        "# 标题",
        "`代码`",
        "LB1\\]",
    ]
    for text in hostile:
        out = md(text)
        assert re.sub(r"\\(.)", r"\1", out) == text  # nothing lost
        assert not re.search(r"(?<!\\)[\[\]()!*_:$<>`#]", out)  # every special character escaped


def test_sessions_survive_a_reload_until_idle_or_too_old_and_end_on_sign_out(tmp_path):
    """The session cookie is only a key: the server keeps its hash and enforces the idle and maximum ages."""
    from audit.auth import LoginPolicy, SessionStore

    store = SessionStore(tmp_path / "users.json", LoginPolicy(idle_minutes=30, max_session_hours=10))
    t0 = 1_000_000.0
    token = store.issue("jiwei", now=t0)
    assert token not in store.path.read_text(encoding="utf-8")  # only its SHA-256 is on disk
    assert store.resume(token, now=t0 + 29 * 60) == ("jiwei", t0)  # used again within 30 minutes
    assert store.resume(token, now=t0 + 58 * 60) == ("jiwei", t0)  # idle counted from the last use
    assert store.resume(token, now=t0 + 58 * 60 + 31 * 60) is None  # idle too long
    long = store.issue("jiwei", now=t0)
    for m in range(20, 600, 20):
        assert store.resume(long, now=t0 + m * 60)  # in use every 20 minutes all day …
    assert store.resume(long, now=t0 + 10 * 3600 + 60) is None  # … but not beyond 10 hours
    again = store.issue("jiwei", now=t0)
    store.revoke(again)
    assert store.resume(again, now=t0 + 1) is None and store.resume("made-up", now=t0) is None
