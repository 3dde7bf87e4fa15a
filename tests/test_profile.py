from fractions import Fraction

import pytest

from audit.errors import ProfileError
from audit.profile import PARAMS, list_profiles, load_profile

SEEDS = {"nanchang-2019", "yuncheng-2023", "yangquan-2019", "guizhou-2023", "sandu-2021"}


def test_five_seed_profiles_are_listed():
    assert SEEDS <= {d["name"] for d in list_profiles()}


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_every_value_has_a_source_clause(name):
    prof = load_profile(name)
    for key, entry in prof.entries.items():
        assert key in PARAMS and entry.source, key


def test_inheritance_follows_the_notices():
    sandu = load_profile("sandu-2021")
    assert sandu.get("death_grace_months_urban") == 1  # 004 itself
    assert sandu.entries["recheck_months_unstable"].defined_in == "yangquan-2019"  # 002 via parents
    assert sandu.get("approval_limit_workdays_delegated") == 20  # 003
    assert sandu.fraction("appraisal_quorum_share") == Fraction(2, 3)
    assert load_profile("nanchang-2019").get("appraisal_min_members") is None  # notice is silent
    assert load_profile("nanchang-2019").silent(["appraisal_min_members", "asset_ceiling_months"]) == [
        "appraisal_min_members"
    ]


def test_show_names_sources_and_inheritance():
    text = load_profile("yuncheng-2023").describe()
    assert "approval_limit_workdays_normal = 30" in text and "001" in text
    assert "［继承自 yangquan-2019］" in text
    assert "（政策未规定，相关规则跳过）" in text


def test_user_profile_file_inherits_and_overrides(tmp_path):
    f = tmp_path / "my-county.yaml"
    f.write_text(
        "name: my-county\nparent: sandu-2021\nparams:\n"
        "  card_batch_min_accounts: {value: 4, source: 本县纪委2024年口径}\n",
        encoding="utf-8",
    )
    prof = load_profile(str(f))
    assert prof.int("card_batch_min_accounts") == 4 and prof.get("notice_min_days") == 5


@pytest.mark.parametrize(
    "body,needle",
    [
        ("  card_batch_min_acounts: {value: 4, source: x}\n", "未知参数 'card_batch_min_acounts'"),
        ("  card_batch_min_accounts: {value: 三个, source: x}\n", "参数 card_batch_min_accounts 的值必须是 int"),
        ("  card_batch_min_accounts: 4\n", "必须写成 {value: …, source: …}"),
        ("  card_batch_min_accounts: {value: 4}\n", "缺少来源条款"),
    ],
)
def test_bad_profiles_are_refused_naming_the_parameter(tmp_path, body, needle):
    f = tmp_path / "bad.yaml"
    f.write_text("name: bad\nparent: sandu-2021\nparams:\n" + body, encoding="utf-8")
    with pytest.raises(ProfileError, match=needle.replace("{", r"\{").replace("}", r"\}")):
        load_profile(str(f))


def test_unknown_profile_and_missing_required_parameter():
    with pytest.raises(ProfileError, match="可用：.*sandu-2021"):
        load_profile("beijing-2030")
    with pytest.raises(ProfileError, match="缺少参数 appraisal_min_members"):
        load_profile("nanchang-2019").require("appraisal_min_members")


def test_cyclic_parents_are_refused(tmp_path):
    (tmp_path / "a.yaml").write_text(f"name: a\nparent: {tmp_path / 'b.yaml'}\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text(f"name: b\nparent: {tmp_path / 'a.yaml'}\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="循环"):
        load_profile(str(tmp_path / "a.yaml"))


def test_a_child_profile_unsets_an_inherited_value_with_a_source(tmp_path):
    (tmp_path / "mine.yaml").write_text(
        "name: mine\ntitle: t\ndocument: d\nparent: guizhou-2023\nparams:\n"
        "  gradual_exit_max_months_employment: {value: null, source: 本县通知：渐退不分原因}\n"
        "  gradual_exit_max_months_civil_service: {value: null}\n",
        encoding="utf-8",
    )
    p = load_profile(str(tmp_path / "mine.yaml"))
    assert p.get("gradual_exit_max_months_employment") is None  # unset, with its reason
    assert p.get("gradual_exit_max_months_civil_service") == 3  # null without a source: inherited
    assert "本政策不设此项" in p.describe()
