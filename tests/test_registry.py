"""The common contract test (STYLE E10): every registered detector, on generated and empty data."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audit.catalogue import catalogue
from audit.context import AuditContext
from audit.errors import RegistryError
from audit.profile import load_profile
from audit.schema import TABLES
from detectors.base import Severity, all_detectors, detector, template_fields


@pytest.mark.parametrize("spec", all_detectors(), ids=lambda s: s.code)
def test_detector_contract(spec, audited):
    assert spec.code in catalogue() and spec.doc.strip()
    assert spec.severity.value in catalogue()[spec.code].severity
    assert "Evidence:" in spec.doc and "Profile parameters:" in spec.doc
    found = list(spec.fn(audited.ctx))
    for f in found:
        assert f.rule == spec.code and f.explanation and 0 <= f.score <= 1
        watch = f.evidence.get("tier") == "观察" and f.severity.value == "low"  # KIN-05's watch tier (issue 11)
        assert f.severity.value in catalogue()[spec.code].severity or watch
        json.dumps(dict(f.evidence), ensure_ascii=False, default=str)
        assert template_fields(spec.explain_zh) <= set(f.evidence) | {"row", "file"}
    assert len({f.finding_id for f in found}) == len(found)


@pytest.mark.parametrize("spec", all_detectors(), ids=lambda s: s.code)
def test_detector_on_empty_tables_finds_nothing(spec):
    """Files with headers and no rows, imported by the real loader, give no finding and no crash."""
    import datetime as dt

    from audit.load import REJECT_COLUMNS, SourceInfo, _derive_person_fields, parse_table

    tables = {}
    for name in {*spec.requires, "persons", "cases", "officials"} - {"rejects"}:
        raw = pd.DataFrame(columns=[c.name for c in TABLES[name].columns], dtype=str)
        frame, _ = parse_table(TABLES[name], f"{name}.csv", raw, SourceInfo(name, f"{name}.csv", "utf-8", "", 0))
        tables[name] = _derive_person_fields(frame) if name == "persons" else frame
    ctx = AuditContext(tables, load_profile("sandu-2021"), dt.date(2024, 12, 31), pd.DataFrame(columns=REJECT_COLUMNS))
    assert list(spec.fn(ctx)) == []


def test_registry_refuses_duplicates_unknown_codes_and_missing_docs(monkeypatch):
    from detectors.base import REGISTRY

    monkeypatch.delitem(REGISTRY, "PRIV-01")  # a documented code that is free for the test
    with pytest.raises(RegistryError, match="重复注册"):

        @detector("DATA-01", severity=Severity.LOW, title_zh="x")
        def again(ctx):
            """Doc."""

    with pytest.raises(RegistryError, match="不在规则目录"):

        @detector("CARD-99", severity=Severity.LOW, title_zh="x")
        def unknown(ctx):
            """Doc."""

    with pytest.raises(RegistryError, match="没有文档字符串"):

        @detector("PRIV-01", severity=Severity.LOW, title_zh="x")
        def nodoc(ctx):
            pass

    with pytest.raises(RegistryError, match="未定义的政策参数"):

        @detector("PRIV-01", severity=Severity.LOW, title_zh="x", params=("no_such_param",))
        def badparam(ctx):
            """Doc."""


def test_catalogue_holds_every_rules_md_code():
    codes = catalogue()
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "audit" / "rules" / "RULES.md").read_text(encoding="utf-8")
    in_md = set(re.findall(r"^\| ([A-Z]+-\d\d) \|", text, flags=re.M))
    assert set(codes) == in_md
    assert {"KIN-01", "CARD-08", "RCK-07", "AWD-08", "VOTE-07", "ELIG-10", "COVER-06", "PRIV-01", "DATA-03"} <= set(
        codes
    )
