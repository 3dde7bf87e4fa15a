"""三张清单 (notice 002: 问题清单、任务清单、责任清单) as one Excel workbook, personal numbers masked."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from audit.catalogue import FAMILY_ZH, catalogue
from audit.results import SEVERITY_ZH, masked, to_excel_bytes

__all__ = ["three_lists", "TASKS"]

TASKS = {
    "KIN": ("核实亲属关系，补办近亲属备案；不符合条件的停发并追缴，对未回避的经办人员追责", "乡镇民政助理员", "乡镇纪委"),
    "CARD": ("收回被代管的银行卡（存折），核实资金去向，追缴截留或冒领资金", "乡镇民政助理员", "县纪委监委"),
    "RCK": ("限期完成复核、停发或程序补正，计算应追缴金额", "乡镇民政助理员", "县民政局"),
    "AWD": ("重新核算家庭收入和补差金额，纠正平均分配或人情保", "乡镇民政助理员", "县民政局"),
    "VOTE": ("重新组织民主评议，纠正评议程序，核实评议记录真实性", "村民委员会", "乡镇人民政府"),
    "ELIG": ("入户核查比对信息，不符合条件的停发并追缴", "乡镇民政助理员", "县民政局"),
    "PRIV": ("撤下或重新张贴脱敏后的公示", "村民委员会", "乡镇人民政府"),
    "DATA": ("更正信息系统中的错误数据，与线下台账核对一致", "县民政局经办人员", "县民政局"),
}


def three_lists(findings: pd.DataFrame, as_of: str, days: int = 30) -> bytes:
    """问题清单 (every clue), 任务清单 (a task and deadline per clue), 责任清单 (who answers for it)."""
    f = masked(findings)
    titles = {c: d.text for c, d in catalogue().items()}
    problems = pd.DataFrame({
        "线索编号": f.finding_id, "规则": f.rule, "问题类型": f.family.map(FAMILY_ZH), "严重程度": f.severity.map(SEVERITY_ZH),
        "乡镇": f.township, "村代码": f.village_code, "低保编号": f.case_id, "问题描述": f.explanation,
        "政策依据": f.policy_ref, "规则说明": f.rule.map(titles)})
    due = (dt.date.fromisoformat(as_of) + dt.timedelta(days=days)).isoformat()
    tasks = pd.DataFrame({"线索编号": f.finding_id, "整改任务": f.family.map(lambda x: TASKS[x][0]),
                          "完成时限": due, "整改标准": "问题核实清楚、资金追缴到位、台账销号"})
    duty = pd.DataFrame({"线索编号": f.finding_id, "乡镇": f.township, "责任单位/岗位": f.family.map(lambda x: TASKS[x][1]),
                         "督办单位": f.family.map(lambda x: TASKS[x][2]), "责任人（填写）": "", "签字确认（填写）": ""})
    return to_excel_bytes({"问题清单": problems.fillna(""), "任务清单": tasks, "责任清单": duty.fillna("")})
