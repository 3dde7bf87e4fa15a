"""Literal-frame factory for detector tests: rows go through the real parser, like an import."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audit.context import AuditContext
from audit.ids import id_check_char
from audit.load import REJECT_FRAME_COLUMNS, SourceInfo, _derive_person_fields, parse_table
from audit.profile import load_profile
from audit.schema import TABLES
from detectors.base import REGISTRY, Finding


def pid(birth: str = "19800101", seq: int = 1, region: str = "522732") -> str:
    """A valid 18-digit ID; odd seq = male, even = female."""
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + id_check_char(first17)


def person(person_id: str, household_id: str = "H1", rel: str = "户主", name: str = "张三", **kw) -> dict:
    return {
        "person_id": person_id,
        "name": name,
        "household_id": household_id,
        "relation_to_head": rel,
        "village_code": kw.pop("village_code", "522732001001"),
        "township": kw.pop("township", "大河镇"),
        "county": "三都水族自治县",
        **kw,
    }


def make_ctx(profile: str = "sandu-2021", as_of: str = "2024-12-31", **tables: list[dict]) -> AuditContext:
    """Build an AuditContext from literal rows (all values as the strings a file would hold)."""
    frames, rejects = {}, []
    for name, rows in tables.items():
        raw = pd.DataFrame(rows, dtype=object).fillna("").astype(str)
        info = SourceInfo(name, f"{name}.csv", "utf-8", "", 0)
        frame, rej = parse_table(TABLES[name], f"{name}.csv", raw, info)
        if name == "persons":
            frame = _derive_person_fields(frame)
        frames[name] = frame
        rejects.extend(rej)
    return AuditContext(
        frames, load_profile(profile), dt.date.fromisoformat(as_of), pd.DataFrame(rejects, columns=REJECT_FRAME_COLUMNS)
    )


def run_rule(code: str, ctx: AuditContext) -> list[Finding]:
    import detectors  # noqa: F401

    return list(REGISTRY[code].fn(ctx))
