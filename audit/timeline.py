"""One case's procedure as a timeline for the dashboard.

申请 → 受理 → 入户 → 核对 → 评议 → 公示 → 审核 → 审批 → 复核 …
"""

from __future__ import annotations

import pandas as pd

from audit.context import AuditContext

__all__ = ["case_timeline", "condensed"]

COLUMNS = ["date", "event", "detail", "source"]


def case_timeline(ctx: AuditContext, case_id: str) -> pd.DataFrame:
    """Every dated event of a case from the roll, workflow, meetings, notices, rechecks, payouts and deaths.

    Returns
    -------
    DataFrame
        date, event (Chinese step name), detail, source (table), sorted by date.
    """
    rows: list[dict] = []
    cases = ctx.table("cases")
    c = cases[cases.case_id == case_id]
    if c.empty:
        return pd.DataFrame(columns=COLUMNS)
    r = c.iloc[0]
    for col, name in (
        ("application_date", "申请"),
        ("acceptance_date", "受理"),
        ("approval_date", "审批"),
        ("gradual_exit_start", "渐退开始"),
        ("exit_date", "停保"),
    ):
        if col in c and pd.notna(r[col]):
            rows.append({"date": r[col], "event": name, "detail": "", "source": "低保名册"})
    if "workflow" in ctx.tables:
        w = ctx.table("workflow")
        for s in w[w.case_id == case_id].itertuples(index=False):
            rows.append({"date": s.date, "event": s.step, "detail": s.result or "", "source": "审核审批流程"})
    if {"votes", "meetings"} <= set(ctx.tables):
        v = ctx.table("votes").merge(ctx.table("meetings"), on="meeting_id")
        for s in v[v.case_id == case_id].itertuples(index=False):
            ab = 0 if pd.isna(s.abstain) else int(s.abstain)
            rows.append(
                {
                    "date": s.date,
                    "event": "民主评议会议",
                    "detail": f"{s.meeting_id}：同意{s.yes}、反对{s.no}、弃权{ab}，{s.result}",
                    "source": "评议结果",
                }
            )
    if "notices" in ctx.tables:
        n = ctx.table("notices")
        hit = n[n.case_ids.fillna("").str.contains(case_id, regex=False)]
        for s in hit.itertuples(index=False):
            days = (s.end_date - s.start_date).days + 1
            rows.append(
                {
                    "date": s.start_date,
                    "event": f"{s.stage}公示",
                    "detail": f"至{s.end_date.year}年{s.end_date.month}月{s.end_date.day}日，共{days}天",
                    "source": "公示",
                }
            )
    if "rechecks" in ctx.tables:
        rc = ctx.table("rechecks")
        for s in rc[rc.case_id == case_id].itertuples(index=False):
            rows.append(
                {
                    "date": s.date,
                    "event": "复核",
                    "detail": f"{s.method or ''} {s.result or ''}".strip(),
                    "source": "复核记录",
                }
            )
    if "payments" in ctx.tables:
        p = ctx.table("payments")
        p = p[p.case_id == case_id]
        if len(p):
            rows.append(
                {
                    "date": p.period.min(),
                    "event": "首次发放（数据内）",
                    "detail": f"{p.amount.iloc[0]:,.0f}元",
                    "source": "发放记录",
                }
            )
            rows.append(
                {
                    "date": p.period.max(),
                    "event": "最近发放",
                    "detail": f"共{len(p)}个月，合计{p.amount.sum():,.0f}元",
                    "source": "发放记录",
                }
            )
    if "deaths" in ctx.tables and "case_members" in ctx.tables:
        m = ctx.table("case_members")
        d = ctx.table("deaths").merge(m[m.case_id == case_id], on="person_id")
        for s in d.itertuples(index=False):
            rows.append({"date": s.death_date, "event": "成员死亡", "detail": "", "source": "死亡殡葬"})
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["date"] = pd.to_datetime(out.date)
    # the roll and the workflow both record 申请/受理/审批: one line per step and day, the fuller one kept
    # (sources joined), so the timeline never lists a step twice
    out["_full"] = out.detail.fillna("").str.len()
    out["_day"] = out.date.dt.normalize()
    out = out.sort_values(["date", "_full"], ascending=[True, False], kind="stable")
    out["source"] = out.groupby(["_day", "event"], sort=False).source.transform(lambda s: "、".join(dict.fromkeys(s)))
    out = out.drop_duplicates(["_day", "event"])
    return out.drop(columns=["_full", "_day"]).sort_values("date", kind="stable").reset_index(drop=True)


def condensed(timeline: pd.DataFrame, min_run: int = 3) -> pd.DataFrame:
    """The timeline for a printed document: ``min_run`` or more consecutive rows of the same step with
    the same detail (years of routine 复核) become one row saying how many and from when to when."""
    if timeline.empty:
        return timeline
    key = timeline.event + "\x1f" + timeline.detail.fillna("")
    block = (key != key.shift()).cumsum()
    rows = []
    for _, g in timeline.groupby(block, sort=False):
        if len(g) < min_run:
            rows += g.to_dict("records")
            continue
        first, last = g.date.iloc[0], g.date.iloc[-1]
        rows.append(
            {
                "date": first,
                "event": f"{g.event.iloc[0]}（共{len(g)}次）",
                "detail": f"{g.detail.iloc[0]}；{first.year}年{first.month}月{first.day}日至"
                f"{last.year}年{last.month}月{last.day}日".lstrip("；"),
                "source": g.source.iloc[0],
            }
        )
    return pd.DataFrame(rows, columns=timeline.columns)
