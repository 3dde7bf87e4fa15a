"""The rule catalogue (a copy of the specification's RULES.md shipped with the package)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["RuleDoc", "catalogue", "FAMILY_ZH"]

RULES_MD = Path(__file__).with_name("rules") / "RULES.md"
FAMILY_ZH = {"KIN": "关系保与回避", "CARD": "银行卡代管与资金", "RCK": "动态管理与时限", "AWD": "待遇公平",
             "VOTE": "民主评议", "ELIG": "资格比对", "PRIV": "公示隐私", "DATA": "数据质量"}


@dataclass(frozen=True)
class RuleDoc:
    code: str
    family: str
    text: str
    severity: str
    source: str


@lru_cache(maxsize=1)
def catalogue() -> dict[str, RuleDoc]:
    """Every rule code in RULES.md with its text, severity and the family's policy sources."""
    rules: dict[str, RuleDoc] = {}
    source = ""
    for line in RULES_MD.read_text(encoding="utf-8").splitlines():
        if line.startswith("Source:"):
            source = line.removeprefix("Source:").strip()
        m = re.match(r"^\| ([A-Z]+)-(\d\d) \| (.+) \| ([a-z/]+) \|$", line)
        if m:
            code = f"{m[1]}-{m[2]}"
            rules[code] = RuleDoc(code, m[1], m[3].strip(), m[4], source if m[1] != "DATA" else "")
    return rules
