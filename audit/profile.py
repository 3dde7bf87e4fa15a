"""Policy profiles: versioned YAML files, one per notice, with a source clause for every value.

A profile names a ``parent``; a parameter the notice is silent on (absent, or ``value: null``)
is inherited from the parent chain. A parameter that stays null is "silent": rules needing it
are skipped with a notice in run.json.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from audit.errors import ErrorCollector, ProfileError

__all__ = ["Param", "PARAMS", "OUTPUT_PARAMS", "Profile", "load_profile", "list_profiles", "PROFILE_DIR"]

PROFILE_DIR = Path(__file__).with_name("profiles")


@dataclass(frozen=True)
class Param:
    kind: str  # int | number | fraction | bool | list | map | str
    zh: str  # what it means, in Chinese


PARAMS: dict[str, Param] = {
    # standards and award formula
    "standard_urban_monthly": Param("number", "城市月低保标准（元），为空则取名册中的标准"),
    "standard_rural_monthly": Param("number", "农村月低保标准（元），为空则取名册中的标准"),
    "benefit_type_map": Param("map", "保障类别映射（如 A类→常补）"),
    "award_tolerance_yuan": Param("number", "核定金额与补差计算结果允许的误差（元）"),
    "edge_line_multiple": Param("number", "低保边缘线（低保标准的倍数）"),
    "single_person_route_allowed": Param("bool", "是否允许重度残疾、重病人员单人保"),
    "single_person_route_multiple": Param("number", "单人保补差基准（低保标准的倍数）"),
    "addon_min_share": Param("fraction", "分类施保增发下限（占低保标准比例）"),
    "addon_max_share": Param("fraction", "分类施保增发上限（占低保标准比例）"),
    "addon_cumulative": Param("bool", "分类施保是否可累加"),
    "income_exclusions": Param("list", "不计入家庭收入的项目"),
    "flat_rate_min_modal_share": Param("fraction", "平均分配村：同一金额案件占比下限"),
    "flat_rate_min_cases": Param("int", "平均分配检验所需最少案件数"),
    "flat_rate_min_need_cv": Param("number", "平均分配村：同额案件按收入核算补差的变异系数下限"),
    "flat_rate_amount_tolerance_yuan": Param("number", "平均分配村：视为“金额相同”的误差（元）"),
    "flat_rate_amount_tolerance_share": Param("fraction", "平均分配村：视为“金额相同”的误差（占金额比例）"),
    "split_before_application_months": Param("int", "申请前多少个月内分户视为拆户保"),
    "rotation_window_months": Param("int", "轮流坐庄：停保后多少个月内新增的户视为替补"),
    "rotation_min_rounds": Param("int", "轮流坐庄：至少连续出现的轮数"),
    "award_model_min_excess_share": Param("fraction", "统计模型：超出预期金额的比例下限"),
    "award_model_seed": Param("int", "统计模型随机种子"),
    "award_model_min_excess_yuan": Param("number", "统计模型：超出预期金额的最少元数"),
    "award_model_min_cases": Param("int", "统计模型：拟合所需的最少在保户数"),
    # rechecks and time limits
    "recheck_months_regular": Param("int", "常补（收入无变化）家庭复核间隔（月）"),
    "recheck_months_irregular": Param("int", "非常补（收入变化不大）家庭复核间隔（月）"),
    "recheck_months_unstable": Param("int", "有劳动能力且收入不稳定家庭复核间隔（月）"),
    "death_grace_months_urban": Param("int", "城市低保对象死亡后停发期限（月）"),
    "death_grace_months_rural": Param("int", "农村低保对象死亡后停发期限（月）"),
    "gradual_exit_max_months_civil_service": Param("int", "公职录用渐退期上限（月）"),
    "gradual_exit_max_months_employment": Param("int", "务工就业等渐退期上限（月）"),
    "gradual_exit_max_months_any": Param("int", "任何原因渐退期上限（月）"),
    "approval_limit_workdays_normal": Param("int", "审核确认时限（工作日）"),
    "approval_limit_workdays_delegated": Param("int", "下放乡镇审核确认时限（工作日）"),
    "approval_limit_workdays_extended": Param("int", "特殊情况延长时限（工作日）"),
    "notice_min_days": Param("int", "公示最短天数"),
    "notice_stages_required": Param("list", "必须的公示阶段"),
    "as_of_min_period_share": Param("fraction", "核查基准日：发放行数不到各月中位数该比例的月份不作为最后发放月"),
    "unanimous_min_meetings": Param("int", "全票一致：本村至少多少次会议才提示"),
    "unanimous_min_votes": Param("int", "全票一致：本村至少多少个案件的表决才提示"),
    "kin_concentration_min_cases": Param("int", "关系保集中：本村至少多少户与干部有近亲属关系才检验"),
    "award_model_driver_min_z": Param("number", "统计模型：与同类家庭相差多少个标准差的特征列为差异所在"),
    "notice_link_window_days": Param("int", "无低保编号的公示：审批前后多少天内的公示对应到案件"),
    "five_steps_required": Param("list", "审核审批必经环节"),
    "emergency_skip_steps": Param("list", "先行救助（紧急救助）可免的环节"),
    # appraisal
    "appraisal_required": Param("bool", "审批前是否必须民主评议"),
    "appraisal_min_members": Param("int", "评议小组最少人数"),
    "appraisal_rep_min_share": Param("fraction", "村民代表占评议小组人数下限"),
    "appraisal_every_group": Param("bool", "每个村民小组都须有代表"),
    "appraisal_quorum_share": Param("fraction", "参会人数占小组成员下限（会议有效）"),
    "appraisal_approval_share": Param("fraction", "同意票占参会人数下限（评议通过）"),
    "appraisal_recuse_lineal": Param("bool", "直系亲属须回避"),
    "appraisal_secret_ballot": Param("bool", "须无记名投票"),
    "minutes_copy_min_jaccard": Param("fraction", "参会名单雷同的相似度下限"),
    # eligibility
    "asset_ceiling_months": Param("int", "人均金融资产上限（月低保标准的倍数）"),
    "disqualifying_vehicle_types": Param("list", "不予纳入的车辆类型"),
    "disqualifying_property_types": Param("list", "不予纳入的房产类型"),
    "state_salary_employer_types": Param("list", "财政供养/稳定收入单位类型"),
    "strict_review_groups": Param("list", "从严审核的人群（四从严）"),
    "travel_alert_modes": Param("list", "出行预警方式"),
    # kinship
    "kin_definition": Param("list", "近亲属范围（类别列表）"),
    "kin_filing_required": Param("bool", "是否实行近亲属备案"),
    "kin_strict_recheck_months": Param("int", "备案近亲属从严复核间隔（月）"),
    "kin_concentration_max_p": Param("fraction", "关系保集中度检验的显著性水平"),
    "kin_concentration_watch_p": Param("fraction", "关系保集中度：列入观察（低风险）的水平"),
    "kin_quota_min_cadres": Param("int", "名额分配：本村至少几名村干部各有一两户近亲属在保"),
    # cards
    "card_custody_ban": Param("bool", "禁止经办人员借用、扣留银行卡"),
    "card_batch_min_accounts": Param("int", "批量取款：同一终端最少账户数"),
    "card_batch_window_minutes": Param("int", "批量取款：时间窗口（分钟）"),
    "card_batch_min_repeats": Param("int", "批量取款：重复出现的最少次数（不同月份）"),
    "card_sweep_hours": Param("int", "到账后全额支取的时限（小时）"),
    "card_sweep_min_months": Param("int", "到账即取的最少月数"),
    "card_flowback_hours": Param("int", "资金回流匹配时间窗（小时）"),
    "card_flowback_amount_tolerance": Param("fraction", "资金回流金额匹配容差（比例）"),
    # proactive discovery (COVER)
    "cover_lookback_months": Param("int", "主动发现：回溯多少个月内已办结的申请视为已处理"),
    "cover_elderly_age": Param("int", "主动发现：独居老人年龄下限（岁）"),
    "cover_edge_days": Param("int", "主动发现：低保边缘户收入低于标准后应纳入低保的天数"),
    "cover_refusal_grounds": Param("list", "主动发现：不予批准理由中视为依据收入财产的用语"),
    "cover_exit_grounds": Param("list", "主动发现：停保理由中视为收入、财产或家庭成员变化的用语"),
    # data quality
    "parent_min_age_gap_years": Param("int", "父母与子女最小年龄差（年）"),
    # risk ranking
    "risk_weight_high": Param("number", "风险分：每条高风险线索的权重"),
    "risk_weight_medium": Param("number", "风险分：每条中风险线索的权重"),
    "risk_weight_low": Param("number", "风险分：每条低风险线索的权重"),
    "risk_weight_official_link": Param("number", "风险分：涉及干部（关系保、代管等）的加权"),
    "risk_weight_per_1000_yuan": Param("number", "风险分：每1000元应追缴金额的加分"),
    "risk_weight_repeat_family": Param("number", "风险分：同一案件命中多个规则族时每多一族的加分"),
    # sampling
    "sample_village_share": Param("fraction", "抽查村比例下限"),
    "sample_households_per_village": Param("int", "每村抽查户数下限"),
    "sample_high_risk_quantile": Param("fraction", "抽查：风险分在该分位数以上的案件必抽"),
    # rectification
    "rectify_within_days": Param("int", "整改时限：三张清单完成时限和交办单办结时限（自核查基准日起的天数）"),
}


# parameters read by the outputs rather than by a rule (risk ranking, spot-check sampling)
OUTPUT_PARAMS = (
    "as_of_min_period_share",
    "risk_weight_high",
    "risk_weight_medium",
    "risk_weight_low",
    "risk_weight_official_link",
    "risk_weight_per_1000_yuan",
    "risk_weight_repeat_family",
    "sample_village_share",
    "sample_households_per_village",
    "sample_high_risk_quantile",
    "rectify_within_days",
)


def _coerce(key: str, value: Any) -> Any:
    kind = PARAMS[key].kind
    if value is None:
        return None
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind == "number" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind == "fraction":
        try:
            return Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            pass
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "list" and isinstance(value, list):
        return [str(v) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if kind == "str" and isinstance(value, str):
        return value
    raise ProfileError(f"参数 {key} 的值必须是 {kind}，实际为 {value!r}。")


@dataclass
class Entry:
    value: Any
    source: str
    defined_in: str


class Profile:
    """A resolved profile: every parameter with its value, source clause and defining profile."""

    def __init__(
        self,
        name: str,
        title: str,
        document: str,
        chain: list[str],
        entries: dict[str, Entry],
        notices: tuple[str, ...] = (),
    ):
        self.name, self.title, self.document, self.chain, self.entries = name, title, document, chain, entries
        self.notices = notices  # keys of the policy catalogue's notices along the chain, own notice first
        self.reads: set[str] = set()  # every parameter asked for (the common detector checks use it)

    def get(self, key: str) -> Any:
        if key not in PARAMS:
            raise ProfileError(f"未知的政策参数 {key!r}。")
        self.reads.add(key)
        e = self.entries.get(key)
        return None if e is None else e.value

    def require(self, key: str) -> Any:
        value = self.get(key)
        if value is None:
            raise ProfileError(f"政策配置 {self.name} 缺少参数 {key}（{PARAMS[key].zh}）。")
        return value

    def int(self, key: str) -> int:
        return int(self.require(key))

    def fraction(self, key: str) -> Fraction:
        return Fraction(self.require(key))

    def silent(self, keys) -> list[str]:
        """Parameters in ``keys`` the profile chain leaves without a value."""
        return [k for k in keys if self.get(k) is None]

    def as_dict(self) -> dict[str, Any]:
        return {
            k: (str(e.value) if isinstance(e.value, Fraction) else e.value) for k, e in sorted(self.entries.items())
        }

    def describe(self) -> str:
        lines = [f"{self.name}：{self.title}", f"依据文件：{self.document}", f"继承链：{' → '.join(self.chain)}", ""]
        for key, p in PARAMS.items():
            e = self.entries.get(key)
            if e is not None and e.value is None:
                lines.append(f"  {key} = （本政策不设此项）  # {p.zh}；来源：{e.source}")
                continue
            if e is None:
                lines.append(f"  {key} = （政策未规定，相关规则跳过）  # {p.zh}")
                continue
            v = str(e.value) if isinstance(e.value, Fraction) else e.value
            origin = "" if e.defined_in == self.name else f"［继承自 {e.defined_in}］"
            lines.append(f"  {key} = {v}  # {p.zh}；来源：{e.source}{origin}")
        return "\n".join(lines)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ProfileError(f"政策配置文件 {path} 不是有效的 YAML：{exc}") from exc
    if not isinstance(data, dict) or "name" not in data:
        raise ProfileError(f"政策配置文件 {path} 必须是包含 name、parent、params 的映射。")
    return data


def list_profiles() -> list[dict]:
    return [_read(p) for p in sorted(PROFILE_DIR.glob("*.yaml"))]


def _locate(name_or_path: str) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.exists():
        return p
    builtin = PROFILE_DIR / f"{name_or_path}.yaml"
    if builtin.exists():
        return builtin
    names = "、".join(d["name"] for d in list_profiles())
    raise ProfileError(f"找不到政策配置 {name_or_path!r}。可用：{names}；或给出 .yaml 文件路径。")


def load_profile(name_or_path: str) -> Profile:
    """Resolve a built-in profile name or a user's YAML file, following its parents.

    Raises
    ------
    ProfileError
        Unknown parameter, wrong type, missing source clause, cyclic parent, unknown profile;
        every problem of a file is listed in one message.
    """
    chain, docs, seen = [], [], set()
    ref: str | None = name_or_path
    while ref:
        path = _locate(ref)
        data = _read(path)
        if data["name"] in seen:
            raise ProfileError(f"政策配置继承出现循环：{' → '.join(chain + [data['name']])}")
        seen.add(data["name"])
        chain.append(data["name"])
        docs.append((data, path))
        ref = data.get("parent")
    entries: dict[str, Entry] = {}
    for data, path in reversed(docs):  # root first, children override
        problems = ErrorCollector(ProfileError, f"政策配置 {path.name} 有误")
        for key, spec in (data.get("params") or {}).items():
            if key not in PARAMS:
                problems.add(f"未知参数 {key!r}；可用参数见 `dibao-audit profiles show`。")
                continue
            if not isinstance(spec, dict) or "value" not in spec:
                problems.add(f"参数 {key} 必须写成 {{value: …, source: …}}，实际为 {spec!r}。")
                continue
            if spec["value"] is not None and not spec.get("source"):
                problems.add(f"参数 {key} 缺少来源条款 source。")
                continue
            try:
                value = _coerce(key, spec["value"])
            except ProfileError as exc:
                problems.add(str(exc))
                continue
            if value is not None:
                entries[key] = Entry(value, str(spec.get("source", "")), data["name"])
            elif spec.get("source"):  # null with a source: the notice unsets what it would inherit
                entries[key] = Entry(None, str(spec["source"]), data["name"])
        problems.raise_if_any()
    top = docs[0][0]
    notices = tuple(dict.fromkeys(str(d["notice"]) for d, _ in docs if d.get("notice")))
    return Profile(top["name"], top.get("title", ""), top.get("document", ""), chain, entries, notices)
