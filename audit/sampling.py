"""Spot-check sampling plan (notice 004: at least 1/3 of villages, at least 10 households each).

High-risk cases are always in; the rest is drawn at random, optionally weighted by amount
(monetary-unit style). The seed is recorded so the plan can be re-derived.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from audit.profile import Profile

__all__ = ["sampling_plan"]


def sampling_plan(
    cases: pd.DataFrame,
    ranking: pd.DataFrame,
    profile: Profile,
    seed: int,
    weighted: bool = False,
    high_score: float | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Villages and households to check; returns (plan, meta).

    Parameters
    ----------
    cases : active cases (case_id, village_code, township, monthly_amount)
    ranking : audit.scoring.rank(..., "case_id") output (case_id, score)
    high_score : cases at or above this score are always sampled (default: the scores at or above the
        profile's sample_high_risk_quantile)
    """
    share = profile.fraction("sample_village_share")
    per_village = profile.int("sample_households_per_village")
    rng = np.random.default_rng(seed)
    cases = cases.merge(ranking[["case_id", "score", "reasons"]], on="case_id", how="left").fillna({"score": 0})
    if high_score is None:
        q = float(profile.fraction("sample_high_risk_quantile"))
        high_score = float(ranking.score.quantile(q)) if len(ranking) else math.inf
    villages = sorted(cases.village_code.unique())
    need = math.ceil(share * len(villages))
    risky = cases[cases.score >= high_score].groupby("village_code").score.max().sort_values(ascending=False)
    chosen = list(risky.index[:need])
    rest = [v for v in villages if v not in chosen]
    chosen += list(rng.choice(rest, size=max(need - len(chosen), 0), replace=False)) if rest else []
    rows = []
    for v in sorted(chosen):
        g = cases[cases.village_code == v]
        must = g[g.score >= high_score]
        pool = g.drop(must.index)
        k = max(per_village - len(must), 0)
        if k and len(pool):
            p = None
            if weighted:
                amt = pool.monthly_amount.astype(float).clip(lower=1)
                p = (amt / amt.sum()).to_numpy()
            pick = pool.iloc[rng.choice(len(pool), size=min(k, len(pool)), replace=False, p=p)]
        else:
            pick = pool.iloc[0:0]
        for r in must.itertuples(index=False):
            rows.append(
                {
                    "village_code": v,
                    "township": r.township,
                    "case_id": r.case_id,
                    "why": "高风险必抽",
                    "score": r.score,
                    "reasons": r.reasons,
                }
            )
        for r in pick.itertuples(index=False):
            rows.append(
                {
                    "village_code": v,
                    "township": r.township,
                    "case_id": r.case_id,
                    "why": "按金额加权随机" if weighted else "随机抽取",
                    "score": r.score,
                    "reasons": r.reasons,
                }
            )
    plan = pd.DataFrame(rows, columns=["village_code", "township", "case_id", "why", "score", "reasons"])
    meta = {
        "seed": seed,
        "weighted": weighted,
        "villages_total": len(villages),
        "villages_sampled": len(chosen),
        "village_share_required": str(share),
        "households_per_village_required": per_village,
        "high_score_threshold": high_score,
        "households_sampled": len(plan),
        "meets_minimums": len(chosen) >= need
        and all((plan.village_code == v).sum() >= min(per_village, (cases.village_code == v).sum()) for v in chosen),
    }
    return plan, meta
