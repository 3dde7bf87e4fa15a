"""Finding, Severity and the detector registry (one contract for every rule)."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from audit.catalogue import catalogue
from audit.errors import RegistryError
from audit.profile import PARAMS
from audit.schema import TABLES

if TYPE_CHECKING:
    from audit.context import AuditContext

__all__ = [
    "Severity",
    "Finding",
    "DetectorSpec",
    "REGISTRY",
    "detector",
    "all_detectors",
    "stable_hash",
    "FINDING_COLUMNS",
    "template_fields",
    "case_keys",
]

FINDING_COLUMNS = [
    "finding_id",
    "rule",
    "family",
    "severity",
    "score",
    "case_id",
    "household_id",
    "person_id",
    "official_id",
    "account_no",
    "meeting_id",
    "village_code",
    "township",
    "explanation",
    "evidence",
    "policy_ref",
]


class Severity(str, Enum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def stable_hash(*parts: object) -> str:
    """Stable 16-hex id from rule and keys (never from text), identical across runs and machines."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    rule: str
    severity: Severity
    explanation: str
    case_id: str | None = None
    household_id: str | None = None
    person_id: str | None = None
    official_id: str | None = None
    account_no: str | None = None
    meeting_id: str | None = None
    village_code: str | None = None
    township: str | None = None
    score: float = 1.0
    policy_ref: str = ""
    key_extra: str | None = None  # disambiguates findings whose contract keys coincide
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def family(self) -> str:
        return self.rule.split("-")[0]

    @property
    def finding_id(self) -> str:
        return stable_hash(
            self.rule,
            self.case_id,
            self.person_id,
            self.official_id,
            self.account_no,
            self.meeting_id,
            self.village_code,
            self.key_extra,
        )


DetectorFn = Callable[["AuditContext"], Iterable[Finding]]


@dataclass(frozen=True)
class DetectorSpec:
    code: str
    fn: DetectorFn
    severity: Severity
    title_zh: str
    requires: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    policy_ref: str = ""
    explain_zh: str = ""
    optional: tuple[str, ...] = ()  # parameters read when the profile sets them (None = not applicable)

    @property
    def family(self) -> str:
        return self.code.split("-")[0]

    @property
    def doc(self) -> str:
        return self.fn.__doc__ or ""


REGISTRY: dict[str, DetectorSpec] = {}


def template_fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def detector(
    code: str,
    *,
    severity: Severity,
    title_zh: str = "",
    requires: tuple[str, ...] = (),
    params: tuple[str, ...] = (),
    policy_ref: str = "",
    explain_zh: str = "",
    optional: tuple[str, ...] = (),
) -> Callable[[DetectorFn], DetectorFn]:
    """Register a detector function under a RULES.md code.

    Raises
    ------
    RegistryError
        The code is registered twice, is not in RULES.md, the function has no docstring, or it
        names a table or profile parameter that does not exist, or it has no Chinese title. The
        title, description and cited clauses come from audit/rules/rules_zh.yaml; ``title_zh`` is
        only for a rule not written there yet.
    """

    def register(fn: DetectorFn) -> DetectorFn:
        if code in REGISTRY:
            raise RegistryError(f"规则代码 {code!r} 重复注册：{REGISTRY[code].fn.__qualname__} 与 {fn.__qualname__}。")
        if code not in catalogue():
            raise RegistryError(f"规则代码 {code!r} 不在规则目录 RULES.md 中。")
        title = catalogue()[code].title or title_zh
        if not title:
            raise RegistryError(f"检测器 {code} 没有中文名称：请在 audit/rules/rules_zh.yaml 中写明 title。")
        if not (fn.__doc__ or "").strip():
            raise RegistryError(f"检测器 {code} 没有文档字符串；规则页面需要它。")
        if bad := [t for t in requires if t not in TABLES and t != "rejects"]:
            raise RegistryError(f"检测器 {code} 需要未知数据表：{bad}。")
        if bad := [p for p in (*params, *optional) if p not in PARAMS]:
            raise RegistryError(f"检测器 {code} 使用未定义的政策参数：{bad}。")
        REGISTRY[code] = DetectorSpec(
            code,
            fn,
            severity,
            title,
            tuple(requires),
            tuple(params),
            policy_ref or catalogue()[code].source,
            explain_zh,
            tuple(optional),
        )
        return fn

    return register


# the cases table's columns that locate a case-level finding (what :func:`case_keys` reads)
CASE_KEY_COLUMNS = ["case_id", "household_id", "village_code", "township"]


def case_keys(r) -> dict:
    """The keys locating a case-level finding, from a row of the cases table."""
    return {k: getattr(r, k) for k in CASE_KEY_COLUMNS}


def all_detectors() -> list[DetectorSpec]:
    import detectors  # noqa: F401  (fills the registry)

    return [REGISTRY[c] for c in sorted(REGISTRY)]
