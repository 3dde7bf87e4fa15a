"""The Chinese rule catalogue and the policy catalogue (issue 17 items 2–3, issue 18 item 2): every rule
has a Chinese title, description and the clauses it enforces; every clause is the notice's own words."""

from __future__ import annotations

import re

import pytest

from audit.catalogue import RULES_DIR, catalogue, fill, policies, value_zh
from audit.profile import PARAMS, list_profiles, load_profile
from detectors.base import all_detectors

SPECS = all_detectors()
PROFILES = [p["name"] for p in list_profiles()]
ASCII_WORD = re.compile(r"[A-Za-z]{2,}")


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


@pytest.mark.parametrize("key", sorted(policies()[1]))
def test_every_clause_is_quoted_verbatim_from_its_notice(key):
    clause = policies()[1][key]
    text = _norm((RULES_DIR / "notices" / f"{clause.notice.key}.txt").read_text(encoding="utf-8"))
    assert _norm(clause.text) in text, f"{key} is not the notice's own words"
    assert clause.label.startswith("第") and clause.notice.title


def test_a_clause_with_a_wrong_word_would_fail():
    """The verbatim check above is real: one changed character is not found in the notice."""
    clause = policies()[1]["004-quorum"]
    text = _norm((RULES_DIR / "notices" / "004.txt").read_text(encoding="utf-8"))
    assert _norm(clause.text.replace("三分之二", "二分之一")) not in text


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.code)
def test_every_rule_has_chinese_texts_and_cites_clauses(spec):
    doc = catalogue()[spec.code]
    assert spec.title_zh == doc.title
    for field in ("title", "what", "why", "verify"):
        text = getattr(doc, field)
        assert text, f"{spec.code} has no {field}"
        assert not ASCII_WORD.search(re.sub(r"\{\w+\}", "", text)), f"{spec.code}.{field} has English: {text}"
        for name in re.findall(r"\{(\w+)\}", text):
            assert name in PARAMS and name in (*spec.params, *spec.optional), f"{spec.code} fills {{{name}}}"
    assert doc.cites, f"{spec.code} cites no clause"
    assert spec.policy_ref == doc.source
    for c in doc.cites:
        assert c.cite().startswith(f"《{c.notice.title}》") and f"{c.label}：“" in c.cite()


@pytest.mark.parametrize("name", PROFILES)
def test_descriptions_read_with_every_profile(name):
    prof = load_profile(name)
    for code, doc in catalogue().items():
        for text in doc.describe(prof).values():
            assert "{" not in text and "None" not in text and not ASCII_WORD.search(text), (code, text)


def test_parameters_are_written_in_words():
    from fractions import Fraction

    assert value_zh(Fraction(2, 3)) == "三分之二" and value_zh("1/2") == "二分之一"
    assert value_zh(0.3) == "30%" and value_zh(Fraction(3, 10)) == "30%"
    assert (
        value_zh(True) == "是" and value_zh(["二榜", "三榜"]) == "二榜、三榜" and value_zh(None) == "（本政策未规定）"
    )
    assert fill("不少于{notice_min_days}天", load_profile("sandu-2021")) == "不少于5天"
    assert fill("不少于{notice_min_days}天") == "不少于（按政策配置）天"


def test_citation_names_document_number_or_issuer_and_date():
    notices, clauses = policies()
    assert (
        clauses["000-assets"]
        .cite()
        .startswith("《南昌市民政局关于进一步加强和改进低保操作管理的通知》（洪民字〔2019〕13号）第三条（七不保）：“")
    )
    assert notices["002"].name == "《阳泉市民政局关于进一步规范社会救助工作的通知》（阳泉市民政局2019年8月1日）"


def test_reasons_come_from_the_catalogue_templates():
    from audit.scoring import reason_of

    assert reason_of("KIN-01", {"kinship_term": "堂兄"}) == "关系保（堂兄，未备案）"
    assert reason_of("RCK-01", {"days_overdue": 210}) == "逾期复核210天"
    assert reason_of("CARD-04", {"months": 7}) == "银行卡被批量代取（7个月）"  # no custodian known
    assert reason_of("CARD-04", {"operator_desc": "村会计", "months": 7}) == "银行卡由村会计代管"
    assert reason_of("RCK-01", {}) == catalogue()["RCK-01"].title  # a field missing: the title
    for code, doc in catalogue().items():
        for template in doc.reason:
            assert not ASCII_WORD.search(re.sub(r"\{\w+\}", "", template)), (code, template)
