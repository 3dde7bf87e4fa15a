"""The rule catalogue: RULES.md (codes and severities, a copy of the specification), rules_zh.yaml
(the Chinese title, description and cited clauses of every rule) and policies.yaml (the five notices
and their clauses, quoted verbatim from rules/notices/)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "RuleDoc",
    "Notice",
    "Clause",
    "Family",
    "FAMILIES",
    "catalogue",
    "policies",
    "fill",
    "value_zh",
    "FAMILY_ZH",
]

RULES_DIR = Path(__file__).with_name("rules")
RULES_MD = RULES_DIR / "RULES.md"


@dataclass(frozen=True)
class Family:
    """Everything the outputs say about a rule family: names, the rectification task, who does it
    (责任单位) and who supervises (督办单位), and the checks an evidence packet suggests."""

    zh: str
    short: str
    task: str
    owner: str
    supervisor: str
    checks: tuple[str, ...]


FAMILIES: dict[str, Family] = {
    "KIN": Family(
        "关系保与回避",
        "关系保",
        "核实亲属关系，补办近亲属备案；不符合条件的停发并追缴，对未回避的经办人员追责",
        "乡镇民政助理员",
        "乡镇纪委",
        (
            "核对干部与保障对象的亲属关系（户籍、婚姻登记、当面询问）",
            "查阅近亲属备案登记表",
            "核查该干部是否参与入户调查、评议、审核并回避",
            "入户核实家庭收入和财产状况",
        ),
    ),
    "CARD": Family(
        "银行卡代管与资金",
        "银行卡",
        "收回被代管的银行卡（存折），核实资金去向，追缴截留或冒领资金",
        "乡镇民政助理员",
        "县纪委监委",
        (
            "向银行调取账户开户资料和预留手机号",
            "核实银行卡（存折）实际保管人，询问保障对象本人",
            "调取取款监控录像和柜台代办凭证",
            "核实资金去向",
        ),
    ),
    "RCK": Family(
        "动态管理与时限",
        "动态管理",
        "限期完成复核、停发或程序补正，计算应追缴金额",
        "乡镇民政助理员",
        "县民政局",
        ("调阅复核、审批、公示原始档案", "核实死亡、收入变化等情况及处理时间", "计算应停发、应追缴金额"),
    ),
    "AWD": Family(
        "待遇公平",
        "待遇",
        "重新核算家庭收入和补差金额，纠正平均分配或人情保",
        "乡镇民政助理员",
        "县民政局",
        ("重新核算家庭人均收入和补差金额", "调阅民主评议记录，核实定档依据", "入户核实家庭成员和生活状况"),
    ),
    "VOTE": Family(
        "民主评议",
        "评议",
        "重新组织民主评议，纠正评议程序，核实评议记录真实性",
        "村民委员会",
        "乡镇人民政府",
        ("调阅评议会议记录、签到表和表决票", "询问参会村民代表", "核实应回避人员是否回避"),
    ),
    "ELIG": Family(
        "资格比对",
        "资格",
        "入户核查比对信息，不符合条件的停发并追缴",
        "乡镇民政助理员",
        "县民政局",
        ("向相关部门核实车辆、工商、不动产、工资等比对信息", "入户核实并听取保障对象说明", "计算重叠期间应追缴金额"),
    ),
    "COVER": Family(
        "主动发现（应保尽保）",
        "主动发现",
        "入户走访，符合条件的告知并协助申请，依规纳入低保、特困或单人保",
        "乡镇民政助理员",
        "县民政局",
        (
            "入户走访，了解家庭成员、收入和困难情况",
            "开展家庭经济状况核对",
            "告知申请渠道，符合条件的协助申请",
            "不予批准的，核实理由是否依据收入和财产状况",
        ),
    ),
    "PRIV": Family(
        "公示隐私",
        "隐私",
        "撤下或重新张贴脱敏后的公示",
        "村民委员会",
        "乡镇人民政府",
        ("撤下公示，更换为脱敏版本", "核查公示制作和审核人员"),
    ),
    "DATA": Family(
        "数据质量",
        "数据",
        "更正信息系统中的错误数据，与线下台账核对一致",
        "县民政局经办人员",
        "县民政局",
        ("核对原始档案，更正系统数据",),
    ),
}
FAMILY_ZH = {k: f.zh for k, f in FAMILIES.items()}


@dataclass(frozen=True)
class Notice:
    """One of the five policy notices: 标题, 文号 (empty where the published text carries none), 发文机关, 日期."""

    key: str
    title: str
    number: str
    issuer: str
    date: str
    note: str = ""

    @property
    def name(self) -> str:
        """《标题》（文号）, or 《标题》（发文机关 日期） where the notice has no 文号."""
        y, m, d = (int(x) for x in self.date.split("-"))
        return f"《{self.title}》（{self.number or f'{self.issuer}{y}年{m}月{d}日'}）"


@dataclass(frozen=True)
class Clause:
    key: str
    notice: Notice
    label: str
    text: str

    def cite(self) -> str:
        """《标题》（文号）第X条：“the clause's own words”."""
        return f"{self.notice.name}{self.label}：“{self.text.rstrip('。；;')}”"


@dataclass(frozen=True)
class RuleDoc:
    """A rule as the outputs show it: code, family, severity, the Chinese title and description
    (what is checked, why it matters, what to verify on site) and the clauses it enforces.
    ``text`` is the English RULES.md line, kept for engineers; ``source`` is the full Chinese citation."""

    code: str
    family: str
    text: str
    severity: str
    title: str = ""
    what: str = ""
    why: str = ""
    verify: str = ""
    cites: tuple[Clause, ...] = ()
    reason: tuple[str, ...] = ()  # templates over a finding's evidence (audit.scoring.reason_of)

    @property
    def source(self) -> str:
        return "；".join(c.cite() for c in self.cites)

    def describe(self, profile=None) -> dict[str, str]:
        """The Chinese texts with ``{parameter}`` filled from ``profile`` (or 按政策配置 without one)."""
        return {k: fill(getattr(self, k), profile) for k in ("title", "what", "why", "verify")}


def _read_yaml(name: str) -> dict:
    import yaml

    return yaml.safe_load((RULES_DIR / name).read_text(encoding="utf-8")) or {}


@lru_cache(maxsize=1)
def policies() -> tuple[dict[str, Notice], dict[str, Clause]]:
    """The policy catalogue (rules/policies.yaml): the notices and the clauses rules cite."""
    raw = _read_yaml("policies.yaml")
    notices = {k: Notice(k, **{f: str(v) for f, v in n.items()}) for k, n in raw["notices"].items()}
    clauses = {k: Clause(k, notices[c["notice"]], c["label"], c["text"]) for k, c in raw["clauses"].items()}
    return notices, clauses


def fill(text: str, profile=None) -> str:
    """``text`` with every ``{parameter}`` replaced by the profile's value in words (2/3 → 三分之二, 0.3 → 30%)."""
    return re.sub(r"\{(\w+)\}", lambda m: value_zh(profile.get(m[1])) if profile else "（按政策配置）", text)


_DIGITS = "零一二三四五六七八九十"


def value_zh(v) -> str:
    """A parameter value in words: 2/3 → 三分之二, 0.3 → 30%, True → 是, a list joined with 、."""
    from fractions import Fraction

    if v is None:
        return "（本政策未规定）"
    if isinstance(v, str) and re.fullmatch(r"\d+/\d+", v):  # a fraction as run.json stores it
        v = Fraction(v)
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, Fraction) and v.denominator in (2, 3, 4):
        return f"{_DIGITS[v.denominator]}分之{_DIGITS[v.numerator]}"
    if isinstance(v, (float, Fraction)) and 0 < v < 1:
        return f"{float(v) * 100:g}%"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return "、".join(map(str, v))
    if isinstance(v, dict):
        return "；".join(f"{k}→{x}" for k, x in v.items())
    return str(v)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, RuleDoc]:
    """Every rule code in RULES.md with its severity, Chinese texts (rules/rules_zh.yaml) and citations."""
    zh = _read_yaml("rules_zh.yaml")
    _, clauses = policies()
    rules: dict[str, RuleDoc] = {}
    for line in RULES_MD.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| ([A-Z]+)-(\d\d) \| (.+) \| ([a-z/]+) \|$", line)
        if m:
            code = f"{m[1]}-{m[2]}"
            z = zh.get(code, {})
            cites = tuple(clauses[c] for c in z.get("cites", ()))
            texts = {k: z.get(k, "") for k in ("title", "what", "why", "verify")}
            rules[code] = RuleDoc(
                code, m[1], m[3].strip(), m[4], cites=cites, reason=tuple(z.get("reason", ())), **texts
            )
    return rules
