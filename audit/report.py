"""County self-audit report (自查报告) in the usual government document layout: HTML, PDF and Word.

Charts are plotly figures; the PDF is printed and the Word pictures rendered by headless Chromium
(Debian's ``chromium``), so Chinese text uses the installed Noto CJK fonts. Personal numbers are masked.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from audit import figures
from audit.catalogue import FAMILY_ZH, catalogue
from audit.documents import Block, date_zh, to_html, write_all
from audit.results import SEVERITY_ZH, RunResults, masked
from audit.scoring import rank
from audit.settings import DocSettings

__all__ = ["self_audit_blocks", "self_audit_html", "write_report", "rectification_indicators"]


def rectification_indicators(findings: pd.DataFrame, ledger: pd.DataFrame | None) -> dict[str, str]:
    """Verification, rectification and recovery progress and ledger-to-system consistency from the ledger."""
    if ledger is None or ledger.empty:
        return {k: "尚未建立台账" for k in ("核实率", "整改率", "追缴进度", "台账与系统一致率")}
    active = ledger[ledger.status != "已消除"]
    checked = active.status.isin(["核实中", "属实", "部分属实", "不属实", "整改中", "已整改", "已移交纪检"]).mean()
    true = active[active.status.isin(["属实", "部分属实", "整改中", "已整改", "已移交纪检"])]
    fixed = true.status.isin(["已整改", "已移交纪检"]).mean() if len(true) else 0.0
    consistent = ledger.finding_id.isin(set(findings.finding_id)).where(ledger.status != "已消除", True).mean()
    return {
        "核实率": f"{checked:.1%}",
        "整改率": f"{fixed:.1%}（{len(true)}条属实线索）",
        "追缴进度": f"{true.status.eq('已整改').mean() if len(true) else 0:.1%}",
        "台账与系统一致率": f"{consistent:.1%}",
    }


def _coverage_blocks(findings: pd.DataFrame, top: int, villages: dict[str, str]) -> list[Block]:
    """应保尽保: the proactive-discovery section (households to visit, not misconduct)."""
    from audit.coverage import coverage, visit_list

    c = coverage(findings)
    if c.empty:
        return [("p", "本次未发现需主动走访的潜在救助对象（或未提供防返贫监测、申请记录、经济状况核对等数据）。")]
    titles = {c: d.title for c, d in catalogue().items()}
    by_rule = c.groupby("rule").household_id.nunique().rename("户数").reset_index()
    by_rule.insert(1, "情形", by_rule.rule.map(titles))
    by_rule = by_rule.rename(columns={"rule": "规则"})
    lst = visit_list(findings, villages=villages)
    return [
        (
            "p",
            f"按照“应保尽保”和主动发现要求，比对防止返贫监测对象、申请及不予批准记录、停保记录、经济状况核对结果和"
            f"其他救助名册，发现{lst.shape[0]:,}户可能符合条件而未纳入保障的家庭（潜在救助对象清单另附），"
            f"其中紧急{(lst['紧迫程度'] == '紧急').sum():,}户。",
        ),
        ("table", by_rule),
        ("p", f"按紧迫程度排序的前{min(top, len(lst))}户如下，请乡镇（街道）限期入户走访，符合条件的及时纳入。"),
        (
            "table",
            lst.head(top)[
                [
                    "序号",
                    "紧迫程度",
                    "乡镇",
                    "村（社区）",
                    "户号",
                    "核对人均月收入（元）",
                    "月低保标准（元）",
                    "可能符合",
                ]
            ],
        ),
    ]


def _progress(ind: dict[str, str]) -> str:
    if all(v == "尚未建立台账" for v in ind.values()):
        return "尚未建立线索台账，核实率、整改率、追缴进度和台账与系统一致率暂无数据；请将本次线索并入台账后逐条销号。"
    return "；".join(f"{k}为{v}" for k, v in ind.items()) + "。"


def _basis(profile) -> str:
    """《标题》（文号）、《标题》（文号）等文件 — the notices along the profile's chain."""
    from audit.catalogue import policies

    notices = policies()[0]
    names = [notices[k].name for k in getattr(profile, "notices", ()) if k in notices]
    if not names:
        return f"政策配置“{profile.title or profile.name}”"
    return "、".join(names[:2]) + ("等文件" if len(names) > 1 else "")


def self_audit_blocks(
    res: RunResults,
    profile,
    settings: DocSettings | None = None,
    ledger: pd.DataFrame | None = None,
    top: int = 10,
) -> list[Block]:
    from audit.coverage import misconduct

    settings = settings or DocSettings.defaults(res.county)
    everything, run = res.findings, res.run
    f = misconduct(everything)
    county = settings.county or "本县"
    rows = run["row_counts"]
    by_family = (
        f.groupby("family")
        .agg(
            线索数=("rule", "size"),
            高=("severity", lambda s: (s == "high").sum()),
            中=("severity", lambda s: (s == "medium").sum()),
            低=("severity", lambda s: (s == "low").sum()),
        )
        .reset_index()
    )
    by_family.insert(0, "问题类型", by_family.pop("family").map(lambda x: FAMILY_ZH.get(x, x)))
    by_town = f.assign(乡镇=f.township.fillna("（无法定位乡镇）")).groupby("乡镇").size().rename("线索数").reset_index()
    ranked = masked(
        rank(f, profile)
        .head(top)
        .assign(score=lambda d: d.score.round(1))
        .rename(
            columns={
                "case_id": "低保编号",
                "score": "风险分",
                "reasons": "主要问题",
                "township": "乡镇",
                "money": "涉及金额（元）",
            }
        )
    )
    ind = rectification_indicators(f, ledger)
    titles = {c: d.title for c, d in catalogue().items()}
    skipped = [f"{titles.get(c, c)}（{v['reason']}）" for c, v in run["rules"].items() if v["status"] != "ran"]
    sev = {SEVERITY_ZH[k]: int((f.severity == k).sum()) for k in ("high", "medium", "low")}
    head: list[Block] = []
    if settings.mark:
        head.append(("mark", settings.mark))
    if settings.report_number:
        head.append(("docno", settings.report_number))
    return [
        *head,
        ("title", f"关于{county}城乡低保专项治理自查情况的报告"),
        (
            "p",
            f"根据{_basis(profile)}要求，我局以{date_zh(run['as_of'])}为核查基准日，对全县城乡低保对象开展了"
            f"数据比对和自查，现将有关情况报告如下。",
        ),
        ("h1", "基本情况"),
        (
            "p",
            f"本次共导入户籍人口{rows.get('persons', {}).get('loaded', 0):,}人、低保名册"
            f"{rows.get('cases', {}).get('loaded', 0):,}户，比对发放记录、账户流水、复核、评议、公示"
            f"及车辆、工商、财政供养、死亡殡葬等数据，运行检查规则{run['rules_summary']['ran']}条。"
            f"导入时发现并登记数据问题{run['rejects']:,}条，均已列入数据质量清单。",
        ),
        ("h1", "发现的主要问题"),
        (
            "p",
            f"共发现问题线索{len(f):,}条，其中高风险（需纪检核查）{sev['高']:,}条、中风险（需整改）{sev['中']:,}条、"
            f"低风险（数据与程序）{sev['低']:,}条。分类情况如下。",
        ),
        ("table", by_family),
        ("fig", figures.findings_by_family(f)),
        ("p", "分乡镇（街道）情况如下。"),
        ("table", by_town),
        ("fig", figures.findings_by_township(f)),
        ("h1", "整改推进情况"),
        ("p", _progress(ind)),
        ("h1", "重点问题线索"),
        ("p", f"按风险分排序的前{len(ranked)}条线索如下（身份证号、账号已脱敏），建议优先入户核实。"),
        ("table", ranked[["低保编号", "乡镇", "风险分", "主要问题", "涉及金额（元）"]]),
        ("h1", "应保尽保（主动发现）情况"),
        *_coverage_blocks(everything, top, res.villages),
        ("h1", "下一步工作"),
        (
            "p",
            "一是对高风险线索逐条入户核实，涉及干部及其近亲属的移交纪检监察机关；二是对逾期复核、程序缺失的案件限期整改；"
            "三是对应追缴资金建立台账、限期追回；四是对潜在救助对象逐户走访，符合条件的及时纳入；"
            "五是完善近亲属备案、银行卡管理和公示脱敏制度，防止问题反弹。",
        ),
        ("p", f"本次未运行的规则：{'；'.join(skipped) or '无'}。"),
        ("sign", f"{settings.issuer or county + '民政局'}\n{date_zh(settings.date_for(run['as_of']))}"),
    ]


def _title(settings: DocSettings | None, res: RunResults) -> str:
    return f"{(settings.county if settings else res.county) or '本县'}城乡低保专项治理自查报告"


def self_audit_html(
    res: RunResults, profile, settings: DocSettings | None = None, ledger: pd.DataFrame | None = None
) -> str:
    return to_html(self_audit_blocks(res, profile, settings, ledger), _title(settings, res))


def write_report(
    res: RunResults,
    profile,
    out_dir: Path,
    settings: DocSettings | None = None,
    ledger: pd.DataFrame | None = None,
    word: bool = True,
) -> list[Path]:
    """Write 自查报告.html, 自查报告.pdf (where Chromium is installed) and 自查报告.docx."""
    return write_all(
        self_audit_blocks(res, profile, settings, ledger), out_dir / "自查报告.html", _title(settings, res), word
    )
