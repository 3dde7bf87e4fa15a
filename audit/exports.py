"""Excel exports with Chinese headers: 风险排名 and 抽查方案 (the three lists are in audit.lists, the
ledger in audit.ledger). Village names come from run.json places; personal numbers are masked."""

from __future__ import annotations

import pandas as pd

from audit.catalogue import value_zh
from audit.results import masked
from audit.scoring import rank

__all__ = ["risk_sheets", "sampling_sheets", "RANK_ZH"]

RANK_ZH = {
    "score": "风险分",
    "findings": "线索数",
    "families": "问题类型",
    "money": "涉及金额（元）",
    "official_linked": "涉及干部",
    "reasons": "主要问题",
    "township": "乡镇",
}
_KEY_ZH = {"case_id": "低保编号", "official_id": "干部身份证号", "village_code": "村代码", "household_id": "户号"}

_META_ZH = {
    "seed": "随机种子",
    "weighted": "按金额加权抽取",
    "villages_total": "村（社区）总数",
    "villages_sampled": "抽查村数",
    "village_share_required": "抽查村比例下限",
    "households_per_village_required": "每村抽查户数下限",
    "high_score_threshold": "必抽风险分（不低于）",
    "households_sampled": "抽查户数",
    "meets_minimums": "满足最低抽查要求",
}


def _with_village(frame: pd.DataFrame, villages: dict[str, str]) -> pd.DataFrame:
    if "village_code" not in frame:
        return frame
    at = list(frame.columns).index("village_code")
    return frame.assign(**{"村（社区）": frame.village_code.map(lambda c: villages.get(c, ""))})[
        [*frame.columns[: at + 1], "村（社区）", *frame.columns[at + 1 :]]
    ]


def risk_sheets(clues: pd.DataFrame, profile, villages: dict[str, str]) -> dict[str, pd.DataFrame]:
    """风险排名 by case, by official and by village, with Chinese headers."""
    sheets = {}
    for level, name in (("case_id", "按案件"), ("official_id", "按干部"), ("village_code", "按村")):
        r = rank(clues, profile, level)
        r = masked(r) if level == "official_id" else r
        r = _with_village(r, villages).assign(
            official_linked=lambda d: d.official_linked.map({True: "是", False: "否"})
        )
        sheets[name] = r.rename(columns={**_KEY_ZH, **RANK_ZH})
    return sheets


def sampling_sheets(plan: pd.DataFrame, meta: dict, villages: dict[str, str]) -> dict[str, pd.DataFrame]:
    """抽查名单 and 方案参数, in Chinese (the seed is recorded so the plan can be drawn again)."""
    shown = _with_village(plan, villages).rename(
        columns={
            "village_code": "村代码",
            "township": "乡镇",
            "case_id": "低保编号",
            "why": "抽取原因",
            "score": "风险分",
            "reasons": "风险理由",
            "monthly_amount": "月保障金额（元）",
        }
    )
    params = pd.DataFrame([{"项目": _META_ZH.get(k, k), "值": value_zh(v)} for k, v in meta.items()])
    return {"抽查名单": shown, "方案参数": params}
