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
