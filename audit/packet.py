"""Evidence packet per clue (交办单): facts, kinship chart, timeline, money trail, policy, checks to make.

HTML with the charts embedded, printed to PDF by headless Chromium like the self-audit report.
Personal numbers are masked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from audit import figures
from audit.catalogue import FAMILIES, FAMILY_ZH, catalogue, fill
from audit.context import AuditContext
from audit.documents import Block, date_zh, to_html, write_all
from audit.ids import mask_account, mask_id
from audit.results import SEVERITY_ZH, mask_text, masked
from audit.settings import DocSettings
from audit.timeline import case_timeline, condensed

__all__ = ["packet_blocks", "packet_html", "write_packet", "CHECKS"]

CHECKS = {k: list(f.checks) for k, f in FAMILIES.items()}


def packet_blocks(
    ctx: AuditContext,
    findings: pd.DataFrame,
    finding_id: str,
    settings: DocSettings | None = None,
    villages: dict[str, str] | None = None,
) -> list[Block]:
    """The 交办单 of one clue: who assigns it to whom, by when, the facts, the kinship chart, the
    procedure, the money, the policy clauses and what to verify — every number masked."""
    f = findings[findings.finding_id == finding_id]
    if f.empty:
        raise KeyError(finding_id)
    r = f.iloc[0]
    ev = json.loads(r.evidence) if r.evidence else {}
    m = masked(f).iloc[0]
    settings = settings or DocSettings.defaults("")
    doc = catalogue().get(r.rule)
    fam = FAMILIES.get(r.family)
    as_of = pd.Timestamp(ctx.as_of)
    issued = settings.date_for(as_of.date().isoformat())
    due = pd.Timestamp(issued) + pd.Timedelta(days=ctx.profile.int("rectify_within_days"))
    village = (villages or {}).get(r.village_code, "") if isinstance(r.village_code, str) else ""
    place = "".join(x for x in (r.township if isinstance(r.township, str) else "", village) if x)
    number = f"{settings.packet_prefix}{finding_id}号" if settings.packet_prefix else f"线索编号 {finding_id}"
    facts = {
        "交办单位": settings.packet_issuer or "县民政局",
        "承办单位": f"{r.township if isinstance(r.township, str) else ''}{fam.owner if fam else ''}",
        "督办单位": fam.supervisor if fam else "",
        "交办日期": date_zh(issued),
        "办结时限": f"{date_zh(due)}前办结并书面反馈",
        "问题类型": f"{FAMILY_ZH.get(r.family, r.family)}：{doc.title if doc else r.rule}（{r.rule}）",
        "风险等级": SEVERITY_ZH[r.severity],
        "所在地": place or "（未能定位）",
        "低保编号": r.case_id if isinstance(r.case_id, str) else "",
        "身份证号": m.person_id if isinstance(m.person_id, str) else "",
        "涉及干部": m.official_id if isinstance(m.official_id, str) else "",
        "发放账号": m.account_no if isinstance(m.account_no, str) else "",
    }
    blocks: list[Block] = [
        ("title", "低保问题线索交办单"),
        ("docno", number),
        ("table", pd.DataFrame([{"项目": k, "内容": v} for k, v in facts.items() if v])),
        ("h1", "问题情况"),
        ("p", mask_text(r.explanation)),
    ]
    path = ev.get("path")
    if isinstance(path, list) and len(path) > 2 and isinstance(r.official_id, str):
        G = ctx.kinship.ego_graph(r.official_id, radius=max(2, (len(path) - 1) // 2))
        members = set(ctx.table("case_members").person_id) if "case_members" in ctx.tables else set()
        fig = figures.kinship_network(
            G,
            r.official_id,
            path[::2],
            officials=set(ctx.table("officials").person_id),
            beneficiaries=members,
            mask=mask_id,
        )
        blocks += [
            ("h1", "亲属关系"),
            ("p", "关系路径：" + " → ".join(mask_id(p) if i % 2 == 0 else p for i, p in enumerate(path)) + "。"),
            ("fig", fig),
        ]
    if isinstance(r.case_id, str) and r.case_id in set(ctx.table("cases").case_id):
        t = condensed(case_timeline(ctx, r.case_id))
        blocks += [
            ("h1", "办理过程"),
            (
                "table",
                t.assign(date=t.date.map(date_zh), detail=t.detail.map(mask_text)).rename(
                    columns={"date": "日期", "event": "环节", "detail": "说明", "source": "来源"}
                ),
            ),
        ]
        pay = ctx.table("payments")
        pay = pay[pay.case_id == r.case_id]
        wd = (
            ctx.table("withdrawals")
            if "withdrawals" in ctx.tables
            else pd.DataFrame(columns=["account_no", "time", "amount", "channel", "terminal_id"])
        )
        wd = wd[wd.account_no.isin(set(pay.account_no))]
        if len(pay) or len(wd):
            blocks += [
                ("h1", "资金流向"),
                (
                    "p",
                    f"发放账号{'、'.join(mask_account(a) for a in sorted(set(pay.account_no)))}，"
                    f"数据内共发放{len(pay)}笔、合计{pay.amount.sum():,.2f}元；支取或转出{len(wd)}笔。",
                ),
                ("fig", figures.payouts_chart(pay, wd)),
            ]
    blocks += [("h1", "政策依据")]
    blocks += [("p", c.cite() + "。") for c in (doc.cites if doc else ())] or [("p", r.policy_ref)]
    checks = ([fill(doc.verify, ctx.profile)] if doc and doc.verify else []) + CHECKS.get(r.family, [])
    blocks += [("h1", "建议核实事项")] + [("p", f"{i}. {c}") for i, c in enumerate(dict.fromkeys(checks), 1)]
    blocks += [
        ("h1", "办理要求"),
        (
            "p",
            f"请承办单位于{date_zh(due)}前完成核实，属实的依规整改、追缴资金，涉及干部违纪违法的移交纪检监察机关；"
            f"核实结果填写下表，加盖公章后报{fam.supervisor if fam else '督办单位'}。",
        ),
        ("h1", "核实结果（由承办单位填写）"),
        ("p", "□ 属实　□ 部分属实　□ 不属实（原因：________）"),
        ("p", "处理情况：______________________________"),
        ("p", "承办人：______　负责人：______　日期：　　年　月　日"),
        ("sign", f"{settings.packet_issuer or '县民政局'}\n{date_zh(issued)}"),
    ]
    return blocks


def packet_html(
    ctx: AuditContext,
    findings: pd.DataFrame,
    finding_id: str,
    settings: DocSettings | None = None,
    villages: dict[str, str] | None = None,
) -> str:
    return to_html(packet_blocks(ctx, findings, finding_id, settings, villages), f"交办单 {finding_id}")


def write_packet(
    ctx: AuditContext,
    findings: pd.DataFrame,
    finding_id: str,
    out_dir: Path,
    word: bool = True,
    settings: DocSettings | None = None,
    villages: dict[str, str] | None = None,
) -> list[Path]:
    """交办单-<id>.html, .pdf (where Chromium is installed) and .docx."""
    return write_all(
        packet_blocks(ctx, findings, finding_id, settings, villages),
        out_dir / f"交办单-{finding_id}.html",
        f"交办单 {finding_id}",
        word,
    )
