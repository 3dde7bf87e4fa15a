"""Evidence packet per clue (交办单): facts, kinship chart, timeline, money trail, policy, checks to make.

HTML with the charts embedded, printed to PDF by headless Chromium like the self-audit report.
Personal numbers are masked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from audit import figures
from audit.catalogue import FAMILIES
from audit.context import AuditContext
from audit.documents import Block, to_html, write_all
from audit.ids import mask_account, mask_id
from audit.results import SEVERITY_ZH, masked
from audit.timeline import case_timeline

__all__ = ["packet_blocks", "packet_html", "write_packet", "CHECKS"]

CHECKS = {k: list(f.checks) for k, f in FAMILIES.items()}


def packet_blocks(ctx: AuditContext, findings: pd.DataFrame, finding_id: str) -> list[Block]:
    f = findings[findings.finding_id == finding_id]
    if f.empty:
        raise KeyError(finding_id)
    r = f.iloc[0]
    ev = json.loads(r.evidence) if r.evidence else {}
    m = masked(f).iloc[0]
    blocks: list[Block] = [
        ("h1", "低保问题线索交办单"),
        (
            "table",
            pd.DataFrame(
                [
                    {
                        "线索编号": r.finding_id,
                        "规则": r.rule,
                        "严重程度": SEVERITY_ZH[r.severity],
                        "乡镇": r.township,
                        "低保编号": r.case_id,
                        "身份证号": m.person_id,
                        "干部": m.official_id,
                        "账号": m.account_no,
                    }
                ]
            )
            .astype(object)
            .fillna(""),
        ),
        ("h2", "一、问题情况"),
        ("p", r.explanation),
        ("p", f"政策依据：{r.policy_ref}"),
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
            ("h2", "二、亲属关系"),
            ("p", " → ".join(mask_id(p) if i % 2 == 0 else p for i, p in enumerate(path))),
            ("fig", fig),
        ]
    if isinstance(r.case_id, str) and r.case_id in set(ctx.table("cases").case_id):
        t = case_timeline(ctx, r.case_id)
        blocks += [
            ("h2", "三、办理过程"),
            (
                "table",
                t.assign(date=t.date.dt.strftime("%Y-%m-%d")).rename(
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
                ("h2", "四、资金流向"),
                ("p", "发放账号：" + "、".join(mask_account(a) for a in sorted(set(pay.account_no)))),
                ("fig", figures.payouts_chart(pay, wd)),
            ]
    blocks += [("h2", "五、建议核实事项")] + [("p", f"{i}. {c}") for i, c in enumerate(CHECKS.get(r.family, []), 1)]
    blocks += [
        ("h2", "六、核实结果（由承办人填写）"),
        ("p", "□ 属实　□ 部分属实　□ 不属实（原因：______）"),
        ("p", "承办人：________　　日期：________"),
    ]
    return blocks


def packet_html(ctx: AuditContext, findings: pd.DataFrame, finding_id: str) -> str:
    return to_html(packet_blocks(ctx, findings, finding_id), f"交办单 {finding_id}")


def write_packet(
    ctx: AuditContext, findings: pd.DataFrame, finding_id: str, out_dir: Path, word: bool = True
) -> list[Path]:
    """交办单-<id>.html, .pdf (where Chromium is installed) and .docx."""
    return write_all(
        packet_blocks(ctx, findings, finding_id), out_dir / f"交办单-{finding_id}.html", f"交办单 {finding_id}", word
    )
