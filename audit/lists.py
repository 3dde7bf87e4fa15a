"""三张清单 (notice 002: 问题清单、任务清单、责任清单) as one Excel workbook, personal numbers masked."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from audit.catalogue import FAMILIES, FAMILY_ZH, catalogue, fill
from audit.results import SEVERITY_ZH, masked, to_excel_bytes

__all__ = ["three_lists", "TASKS"]

TASKS = {k: (f.task, f.owner, f.supervisor) for k, f in FAMILIES.items()}


def three_lists(
    findings: pd.DataFrame, as_of: str, days: int, villages: dict[str, str] | None = None, profile=None
) -> bytes:
    """问题清单 (every clue), 任务清单 (a task and deadline per clue), 责任清单 (who answers for it).

    ``days`` is the profile's rectify_within_days; ``villages`` names villages by code (run.json places);
    ``profile`` fills the rule descriptions' numbers (不少于5天), else they read （按政策配置）.
    """
    f = masked(findings)
    village = f.village_code.map(lambda c: (villages or {}).get(c, "") if isinstance(c, str) else "")
    titles = {c: f"{d.title}：{fill(d.what, profile)}" for c, d in catalogue().items()}
    problems = pd.DataFrame(
        {
            "线索编号": f.finding_id,
            "规则": f.rule,
            "问题类型": f.family.map(FAMILY_ZH),
            "严重程度": f.severity.map(SEVERITY_ZH),
            "乡镇": f.township,
            "村（社区）": village,
            "村代码": f.village_code,
            "低保编号": f.case_id,
            "问题描述": f.explanation,
            "政策依据": f.policy_ref,
            "规则说明": f.rule.map(titles),
        }
    )
    due = dt.date.fromisoformat(as_of) + dt.timedelta(days=days)
    tasks = pd.DataFrame(
        {
            "线索编号": f.finding_id,
            "整改任务": f.family.map(lambda x: TASKS[x][0]),
            "完成时限": due,
            "整改标准": "问题核实清楚、资金追缴到位、台账销号",
        }
    )
    duty = pd.DataFrame(
        {
            "线索编号": f.finding_id,
            "乡镇": f.township,
            "责任单位/岗位": f.family.map(lambda x: TASKS[x][1]),
            "督办单位": f.family.map(lambda x: TASKS[x][2]),
            "责任人（填写）": "",
            "签字确认（填写）": "",
        }
    )
    return to_excel_bytes({"问题清单": problems.fillna(""), "任务清单": tasks, "责任清单": duty.fillna("")})
