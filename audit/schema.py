"""Input table contracts (DATA-CONTRACT.md) as data: names, Chinese aliases, kinds, codes."""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.parse import norm_header

__all__ = ["Col", "TableSpec", "TABLES", "REQUIRED_TABLES", "table_by_filename"]

YES_NO = {
    "是": "是",
    "否": "否",
    "yes": "是",
    "no": "否",
    "y": "是",
    "n": "否",
    "1": "是",
    "0": "否",
    "true": "是",
    "false": "否",
}


def _codes(*values: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    out = {v.lower(): v for v in values}
    out.update({k.lower(): v for k, v in (extra or {}).items()})
    return out


@dataclass(frozen=True)
class Col:
    """One column: canonical name, Chinese aliases, kind and accepted codes.

    kind: str | id | holder_id | date | month | datetime | money | int | enum | idlist
    """

    name: str
    kind: str = "str"
    required: bool = False
    aliases: tuple[str, ...] = ()
    codes: dict[str, str] = field(default_factory=dict)
    default: str | None = None

    def all_names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class TableSpec:
    name: str
    zh: tuple[str, ...]
    columns: tuple[Col, ...]
    key: tuple[str, ...] = ()

    def col(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)

    def header_map(self) -> dict[str, str]:
        """normalised header -> canonical column name."""
        return {norm_header(n): c.name for c in self.columns for n in c.all_names()}


def C(name, kind="str", req=False, *aliases, codes=None, default=None):  # noqa: N802 - table DSL
    return Col(name, kind, req, tuple(aliases), codes or {}, default)


RELATION_TO_HEAD = _codes(
    "户主",
    "配偶",
    "子",
    "女",
    "父亲",
    "母亲",
    "兄",
    "弟",
    "姐",
    "妹",
    "孙子",
    "孙女",
    "外孙子",
    "外孙女",
    "儿媳",
    "女婿",
    "祖父",
    "祖母",
    "外祖父",
    "外祖母",
    "侄子",
    "侄女",
    "公公",
    "婆婆",
    "岳父",
    "岳母",
    "曾孙子",
    "曾孙女",
    "其他",
    extra={
        "本人": "户主",
        "妻": "配偶",
        "夫": "配偶",
        "妻子": "配偶",
        "丈夫": "配偶",
        "儿子": "子",
        "长子": "子",
        "次子": "子",
        "女儿": "女",
        "长女": "女",
        "次女": "女",
        "父": "父亲",
        "母": "母亲",
        "孙女婿": "其他",
        "孙媳妇": "其他",
        "head": "户主",
        "spouse": "配偶",
        "son": "子",
        "daughter": "女",
        "father": "父亲",
        "mother": "母亲",
        "other": "其他",
    },
)
BASE_RELATION = _codes(
    "父",
    "母",
    "子",
    "女",
    "夫",
    "妻",
    "配偶",
    "兄",
    "弟",
    "姐",
    "妹",
    "兄弟姐妹",
    extra={
        "父亲": "父",
        "母亲": "母",
        "儿子": "子",
        "女儿": "女",
        "丈夫": "夫",
        "妻子": "妻",
        "father": "父",
        "mother": "母",
        "son": "子",
        "daughter": "女",
        "husband": "夫",
        "wife": "妻",
        "spouse": "配偶",
        "sibling": "兄弟姐妹",
    },
)
OFFICIAL_ROLES = _codes(
    "村党支部书记",
    "村委会主任",
    "村委委员",
    "村监委委员",
    "村民小组长",
    "社会救助协理员",
    "乡镇民政助理员",
    "乡镇分管领导",
    "县民政局经办人员",
    "驻村干部/第一书记",
    extra={
        "驻村干部": "驻村干部/第一书记",
        "第一书记": "驻村干部/第一书记",
        "村支书": "村党支部书记",
        "村主任": "村委会主任",
    },
)
AREA = _codes("城市", "农村", extra={"urban": "城市", "rural": "农村", "城镇": "城市"})
# 收付标志 进/出 (调单), 借贷 借 Dr/贷 Cr (交通银行)
DIRECTION = _codes(
    "支出",
    "存入",
    extra={
        "出": "支出",
        "进": "存入",
        "借": "支出",
        "贷": "存入",
        "借dr": "支出",
        "贷cr": "存入",
        "借 dr": "支出",
        "贷 cr": "存入",
        "支": "支出",
        "收": "存入",
        "收入": "存入",
        "转出": "支出",
        "转入": "存入",
    },
)
# 未知: a statement without a channel column, where the summary does not say (the rules that need it say so)
CHANNEL = _codes(
    "ATM",
    "柜台",
    "POS",
    "助农取款点",
    "转账",
    "现金存入",
    "未知",
    extra={
        "自动柜员机": "ATM",
        "自助设备": "ATM",
        "柜面": "柜台",
        "网银": "转账",
        "超级网银": "转账",
        "掌上银行": "转账",
        "手机银行": "转账",
        "电子商务": "POS",
    },
)
SEX = _codes("男", "女", extra={"m": "男", "f": "女", "male": "男", "female": "女", "1": "男", "2": "女"})

PERSONS = TableSpec(
    "persons",
    ("人员", "户籍人口"),
    (
        C("person_id", "id", True, "公民身份号码", "身份证号", "身份证号码"),
        C("name", "str", True, "姓名"),
        C("sex", "enum", False, "性别", codes=SEX),
        C("birth_date", "date", False, "出生日期"),
        C("household_id", "str", True, "户号"),
        C("relation_to_head", "enum", True, "与户主关系", codes=RELATION_TO_HEAD),
        C("village_code", "str", True, "村(社区)代码", "村代码"),
        C("village_name", "str", False, "村(社区)", "村(社区)名称", "村名", "所属社区", "所属社", "所属村(社区)"),
        C("group", "str", False, "村民小组"),
        C("township", "str", True, "乡镇(街道)", "乡镇", "所属街道", "所属街", "所属乡镇"),
        C("county", "str", True, "县(市、区)", "县", "所属区县", "所属区"),
        C("area_type", "enum", False, "城乡类别", codes=AREA),
        C("residence_status", "enum", False, "居住状态", codes=_codes("在户", "外出", "户居分离")),
        C("phone", "str", False, "联系电话", "手机号"),
        C(
            "disability_grade",
            "enum",
            False,
            "残疾等级",
            codes=_codes(
                "一级", "二级", "三级", "四级", "无", extra={"1": "一级", "2": "二级", "3": "三级", "4": "四级"}
            ),
        ),
        C("serious_illness", "enum", False, "重病", codes=YES_NO),
        C("labour_capacity", "enum", False, "劳动能力", codes=_codes("有", "部分丧失", "完全丧失", "无")),
        C("household_split_date", "date", False, "分户日期"),
    ),
    key=("person_id",),
)

RELATIONS = TableSpec(
    "relations",
    ("亲属关系",),
    (
        C("person_id", "id", True, "公民身份号码", "身份证号"),
        C("relative_id", "id", True, "亲属身份证号", "亲属公民身份号码"),
        C("relation", "enum", True, "关系", "亲属关系", codes=BASE_RELATION),
        C("source", "enum", False, "来源", codes=_codes("户籍", "婚姻登记", "申报", "备案")),
    ),
)

OFFICIALS = TableSpec(
    "officials",
    ("干部及经办人员", "干部", "经办人员"),
    (
        C("person_id", "id", True, "公民身份号码", "身份证号"),
        C("name", "str", False, "姓名"),
        C("role", "enum", True, "职务", "岗位", codes=OFFICIAL_ROLES),
        C("level", "enum", True, "层级", codes=_codes("村", "乡镇", "县")),
        C("village_code", "str", False, "村(社区)代码", "村代码"),
        C("township", "str", False, "乡镇(街道)", "乡镇"),
        C("start_date", "date", False, "任职开始日期", "任职日期", "开始日期"),
        C("end_date", "date", False, "任职结束日期", "离任日期", "结束日期"),
    ),
)

KIN_FILINGS = TableSpec(
    "kin_filings",
    ("近亲属备案",),
    (
        C("official_id", "id", True, "干部身份证号", "经办人员身份证号"),
        C("relative_id", "id", True, "亲属身份证号", "近亲属身份证号"),
        C("filed_date", "date", False, "备案日期"),
        C("case_id", "str", False, "低保编号"),
    ),
)

CASES = TableSpec(
    "cases",
    ("低保名册", "低保对象", "案件"),
    (
        C("case_id", "str", True, "低保编号", "低保证号", "低保(特困)证号", "低保证编号", "低保证件号码"),
        C("household_id", "str", True, "户号"),
        C("head_id", "id", True, "户主身份证号", "户主公民身份号码"),
        C("village_code", "str", True, "村(社区)代码", "村代码"),
        C("township", "str", True, "乡镇(街道)", "乡镇", "所属街道", "所属街", "所属乡镇"),
        C("area_type", "enum", True, "城乡类别", codes=AREA),
        C("benefit_type", "str", True, "保障类别", "享受保障类别"),
        C("enrolled_count", "int", True, "保障人数", "保障人口", "保障人口数", "享受保障人数"),
        C("monthly_amount", "money", True, "月保障金额", "保障金额", "户月保障金额", "户月保障金"),
        C("per_capita_income", "money", False, "家庭人均月收入", "人均收入", "家庭月均收入"),
        C("standard", "money", False, "月低保标准", "低保标准", "最低生活标准", "最低生活保障标准"),
        C("addon_amount", "money", False, "分类施保金额", "家庭分类施保总额", "分类施保总额", "分类施保金"),
        C("addon_reasons", "str", False, "增发类别"),
        C("application_date", "date", False, "申请日期"),
        C("acceptance_date", "date", False, "受理日期"),
        C("approval_date", "date", True, "审批日期"),
        C("approval_level", "enum", False, "审批层级", codes=_codes("县", "乡镇")),
        C("status", "enum", True, "状态", codes=_codes("在保", "渐退", "停保", "注销")),
        C("exit_date", "date", False, "停保日期"),
        C("exit_reason", "str", False, "停保原因"),
        C("gradual_exit_start", "date", False, "渐退开始日期"),
        C(
            "gradual_exit_reason",
            "enum",
            False,
            "渐退原因",
            codes=_codes("公职录用", "务工就业", "公益性岗位", "产业增收", "其他"),
        ),
        C("labour_unstable", "enum", False, "有劳动能力且收入不稳定", codes=YES_NO),
        C("single_person_route", "enum", False, "单人保", codes=YES_NO),
        C("account_no", "str", False, "发放账号", "银行账号", "一卡通账号", "开户行账号"),
        C("emergency", "enum", False, "先行救助", codes=YES_NO),
    ),
    key=("case_id",),
)

CASE_MEMBERS = TableSpec(
    "case_members",
    ("保障成员",),
    (
        C("case_id", "str", True, "低保编号"),
        C("person_id", "id", True, "公民身份号码", "身份证号"),
        C("enrolled", "enum", True, "是否纳入保障", codes=YES_NO),
    ),
    key=("case_id", "person_id"),
)

PAYMENTS = TableSpec(
    "payments",
    ("发放记录",),
    (
        C("case_id", "str", True, "低保编号", "低保证号", "低保(特困)证号"),
        C("period", "month", True, "发放月份", "发放年月"),
        C("amount", "money", True, "发放金额", "金额", "发放合计", "实发金额"),
        C("account_no", "str", True, "发放账号", "银行账号", "账号", "一卡通账号", "银行卡号"),
        C("paid_date", "date", False, "发放日期"),
    ),
)

ACCOUNTS = TableSpec(
    "accounts",
    ("发放账户",),
    (
        C("account_no", "str", True, "银行账号/卡号", "银行账号", "卡号", "账号", "开户行账号", "一卡通账号"),
        C("holder_id", "holder_id", True, "户名身份证号/户名证件号", "户名身份证号", "户名证件号", "身份证号"),
        C("holder_name", "str", False, "户名", "账户名称", "银行账户名称"),
        C("holder_type", "enum", False, "账户类型", codes=_codes("个人", "村集体", "单位")),
        C("bank", "str", False, "开户行", "开户银行"),
        C("reserved_phone", "str", False, "预留手机号"),
        C("opened_date", "date", False, "开户日期"),
    ),
    key=("account_no",),
)

WITHDRAWALS = TableSpec(
    "withdrawals",
    ("账户流水",),
    (
        C("account_no", "str", True, "银行账号", "账号", "交易卡号", "交易账号", "借记卡号", "卡号"),
        C("time", "datetime", True, "交易时间"),
        C("amount", "money", True, "交易金额", "金额"),
        C("direction", "enum", False, "收支", "收付标志", "借贷", "借贷标志", codes=DIRECTION, default="支出"),
        C("channel", "enum", True, "渠道", "交易渠道", codes=CHANNEL),
        C("terminal_id", "str", False, "终端号/网点", "终端号", "网点", "交易网点名称", "网点名称"),
        C("operator_id", "id", False, "代办人身份证号"),
        C("counterparty_account", "str", False, "对方账号", "交易对手账卡号", "对方卡号/账号", "对方账户", "对手账号"),
    ),
)

RECHECKS = TableSpec(
    "rechecks",
    ("复核记录",),
    (
        C("case_id", "str", True, "低保编号"),
        C("date", "date", True, "复核日期", "日期"),
        C("method", "enum", False, "复核方式", codes=_codes("入户核查", "信息核对", "电话")),
        C("result", "enum", False, "复核结果", codes=_codes("继续保障", "调整", "停保")),
        C("officer_ids", "idlist", False, "复核人员身份证号", "复核人员"),
    ),
)

WORKFLOW = TableSpec(
    "workflow",
    ("审核审批流程",),
    (
        C("case_id", "str", True, "低保编号"),
        C(
            "step",
            "enum",
            True,
            "环节",
            codes=_codes(
                "申请",
                "受理",
                "入户调查",
                "信息核对",
                "民主评议",
                "公示",
                "乡镇审核",
                "县级审批/审核确认",
                "复核",
                extra={"县级审批": "县级审批/审核确认", "审核确认": "县级审批/审核确认", "审批": "县级审批/审核确认"},
            ),
        ),
        C("date", "date", True, "日期", "办理日期"),
        C("handler_id", "id", False, "经办人身份证号"),
        C("result", "str", False, "结果", "办理结果"),
    ),
)

MEETINGS = TableSpec(
    "meetings",
    ("评议会议",),
    (
        C("meeting_id", "str", True, "会议编号"),
        C("village_code", "str", True, "村(社区)代码", "村代码"),
        C("date", "date", True, "会议日期", "日期"),
        C("start_time", "str", False, "开始时间"),
        C("end_time", "str", False, "结束时间"),
        C("members_total", "int", True, "评议小组人数"),
        C("secret_ballot", "enum", False, "无记名", codes=YES_NO),
    ),
    key=("meeting_id",),
)

MEETING_ATTENDANCE = TableSpec(
    "meeting_attendance",
    ("参会人员",),
    (
        C("meeting_id", "str", True, "会议编号"),
        C("person_id", "id", True, "公民身份号码", "身份证号"),
        C(
            "role",
            "enum",
            True,
            "身份",
            "角色",
            codes=_codes("村委成员", "监委成员", "村民代表", "人大代表", "政协委员", "驻村干部", "其他"),
        ),
        C("group", "str", False, "村民小组"),
        C("signed", "enum", False, "签到", codes=YES_NO),
    ),
    key=("meeting_id", "person_id"),
)

VOTES = TableSpec(
    "votes",
    ("评议结果",),
    (
        C("meeting_id", "str", True, "会议编号"),
        C("case_id", "str", True, "低保编号"),
        C("yes", "int", True, "同意票", "同意"),
        C("no", "int", True, "反对票", "反对"),
        C("abstain", "int", False, "弃权票", "弃权"),
        C("result", "enum", True, "评议结果", "结果", codes=_codes("通过", "不通过")),
    ),
    key=("meeting_id", "case_id"),
)

NOTICES = TableSpec(
    "notices",
    ("公示",),
    (
        C("village_code", "str", True, "村(社区)代码", "村代码"),
        C(
            "stage",
            "enum",
            True,
            "公示阶段",
            "阶段",
            codes=_codes("一榜", "二榜", "三榜", extra={"村级": "一榜", "乡镇": "二榜", "县级": "三榜"}),
        ),
        C("start_date", "date", True, "公示开始日期", "开始日期"),
        C("end_date", "date", True, "公示结束日期", "结束日期"),
        C("case_ids", "str", False, "低保编号"),
        C("text", "str", False, "公示内容"),
    ),
)


def _xcheck(name, zh, *cols):
    return TableSpec(
        name, zh, (C("person_id", "id", True, "公民身份号码", "身份证号", "身份证号码", "身份证件号码"), *cols)
    )


CROSS_CHECKS = (
    _xcheck(
        "vehicles",
        ("车辆",),
        C("plate", "str", False, "号牌号码", "车牌号"),
        C(
            "vehicle_type",
            "enum",
            True,
            "车辆类型",
            codes=_codes("小型汽车", "大型农用车", "工程机械", "船舶", "摩托车"),
        ),
        C("registered_date", "date", True, "登记日期", "初次登记日期"),
        C("deregistered_date", "date", False, "注销日期"),
    ),
    _xcheck(
        "businesses",
        ("工商登记",),
        C("role", "enum", True, "身份", "角色", codes=_codes("法定代表人", "股东", "经营者")),
        C("entity_name", "str", False, "企业名称", "公司名称"),
        C("registered_capital", "money", False, "注册资本"),
        C("employees", "int", False, "从业人数", "参保人数"),
        C("start_date", "date", True, "成立日期", "开始日期"),
        C("end_date", "date", False, "注销日期", "结束日期"),
    ),
    _xcheck(
        "properties",
        ("不动产",),
        C("property_type", "enum", True, "房屋类型", codes=_codes("住宅", "商业", "办公", "别墅", "其他")),
        C("area", "money", False, "面积"),
        C("purchase_date", "date", True, "登记日期", "购买日期"),
    ),
    _xcheck(
        "salaried",
        ("财政供养及稳定就业", "财政供养"),
        C("employer", "str", False, "单位"),
        C(
            "employer_type",
            "enum",
            True,
            "单位类型",
            codes=_codes("机关", "事业单位", "社会团体", "国有企业", "大中型民营企业"),
        ),
        C("start_date", "date", True, "开始日期"),
        C("end_date", "date", False, "结束日期"),
        C("monthly_salary", "money", False, "月工资"),
    ),
    _xcheck(
        "deaths",
        ("死亡殡葬", "死亡"),
        C("death_date", "date", True, "死亡日期", "去世日期"),
        C("source", "str", False, "来源", "殡仪馆", "火化单位"),
    ),
    _xcheck(
        "detentions", ("服刑在押",), C("start_date", "date", True, "开始日期"), C("end_date", "date", False, "结束日期")
    ),
    _xcheck(
        "insurance",
        ("商业养老保险",),
        C("product", "str", False, "产品"),
        C("start_date", "date", True, "开始日期"),
        C("annual_premium", "money", False, "年缴保费"),
    ),
    _xcheck("assets", ("金融资产",), C("as_of_date", "date", True, "核对日期"), C("amount", "money", True, "金额")),
    _xcheck(
        "other_rolls",
        ("其他救助名册",),
        C(
            "program",
            "enum",
            True,
            "救助类别",
            codes=_codes(
                "低保",
                "特困",
                "孤儿",
                "低保边缘",
                "临时救助",
                extra={"低保边缘家庭": "低保边缘", "特困供养": "特困", "特困人员": "特困"},
            ),
        ),
        C("county", "str", True, "县(市、区)", "县"),
        C("start_date", "date", True, "开始日期"),
        C("end_date", "date", False, "结束日期"),
    ),
    _xcheck(
        "travel",
        ("出行",),
        C("date", "date", True, "日期", "出行日期"),
        C("mode", "enum", True, "出行方式", codes=_codes("飞机", "高铁一等座", "其他")),
    ),
)

APPLICATIONS = TableSpec(
    "applications",
    ("申请记录", "低保申请", "申请"),
    (
        C("application_id", "str", True, "申请编号", "业务编号"),
        C("household_id", "str", True, "户号"),
        C("applicant_id", "id", True, "申请人身份证号", "申请人公民身份号码"),
        C("application_date", "date", True, "申请日期"),
        C(
            "decision",
            "enum",
            True,
            "办理结果",
            "审批结果",
            codes=_codes(
                "批准",
                "不予批准",
                "撤回",
                "办理中",
                extra={
                    "同意": "批准",
                    "不同意": "不予批准",
                    "未通过": "不予批准",
                    "不批准": "不予批准",
                    "已撤回": "撤回",
                    "在办": "办理中",
                },
            ),
        ),
        C("decision_date", "date", False, "办结日期"),
        C("reason", "str", False, "不予批准理由", "理由"),
        C("case_id", "str", False, "低保编号"),
    ),
    key=("application_id",),
)

MONITORING = TableSpec(
    "monitoring",
    ("防止返贫监测对象", "防返贫监测对象", "监测对象"),
    (
        C("household_id", "str", True, "户号"),
        C("person_id", "id", True, "公民身份号码", "身份证号", "联系人身份证号"),
        C(
            "monitor_type",
            "enum",
            True,
            "监测类型",
            "监测对象类别",
            codes=_codes(
                "脱贫不稳定户",
                "边缘易致贫户",
                "突发严重困难户",
                extra={"脱贫不稳定": "脱贫不稳定户", "边缘易致贫": "边缘易致贫户", "突发严重困难": "突发严重困难户"},
            ),
        ),
        C("identified_date", "date", True, "识别日期", "纳入监测日期"),
        C("risk", "str", False, "风险类型", "致贫风险"),
        C("per_capita_income", "money", False, "人均纯收入", "人均纯收入（元/年）", "家庭人均纯收入"),
        C("risk_status", "enum", False, "风险状态", codes=_codes("未消除", "已消除")),
        C("removed_date", "date", False, "消除日期", "风险消除日期"),
    ),
)

INCOME_CHECKS = TableSpec(
    "income_checks",
    ("家庭经济状况核对", "经济状况核对", "核对结果"),
    (
        C("household_id", "str", True, "户号"),
        C("check_date", "date", True, "核对日期"),
        C("per_capita_income", "money", True, "家庭人均月收入", "人均月收入"),
        C("financial_assets", "money", False, "金融资产"),
        C("result", "enum", False, "核对结论", "核对结果", codes=_codes("符合", "不符合", "待定")),
        C("source", "enum", False, "来源", codes=_codes("核对平台", "入户调查", "复核")),
    ),
)

COVERAGE = (APPLICATIONS, MONITORING, INCOME_CHECKS)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        PERSONS,
        RELATIONS,
        OFFICIALS,
        KIN_FILINGS,
        CASES,
        CASE_MEMBERS,
        PAYMENTS,
        ACCOUNTS,
        WITHDRAWALS,
        RECHECKS,
        WORKFLOW,
        MEETINGS,
        MEETING_ATTENDANCE,
        VOTES,
        NOTICES,
        *CROSS_CHECKS,
        *COVERAGE,
    )
}
REQUIRED_TABLES = ("persons", "officials", "cases")
# deaths needs a unique key too (one death per person)
TABLES["deaths"] = TableSpec("deaths", TABLES["deaths"].zh, TABLES["deaths"].columns, key=("person_id",))


def table_by_filename(stem: str) -> str | None:
    """Table name for a file or sheet name (English or any Chinese form)."""
    key = norm_header(stem)
    for t in TABLES.values():
        if key == t.name or key in {norm_header(z) for z in t.zh}:
            return t.name
    return None
