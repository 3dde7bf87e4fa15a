"""Recall and precision of findings against a generator's truth.csv (planted violations)."""

from __future__ import annotations

import json

import pandas as pd

__all__ = ["match_truth", "score", "TRUTH_KEYS"]

TRUTH_KEYS = ("case_id", "person_id", "official_id", "account_no", "meeting_id", "village_code", "household_id", "ref")


def _prepare(findings: pd.DataFrame) -> pd.DataFrame:
    f = findings.copy()
    f["ref"] = f["evidence"].map(lambda e: json.loads(e).get("ref") if isinstance(e, str) and e else None)
    f["_fid"] = range(len(f))
    for k in TRUTH_KEYS:
        f[k] = f[k].astype(object).where(f[k].notna(), None).map(lambda v: None if v is None else str(v))
    return f


def match_truth(findings: pd.DataFrame, truth: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(truth row recalled?, finding is a true positive?) — keys empty in a truth row are wildcards."""
    f = _prepare(findings)
    t = truth.reset_index(drop=True).copy()
    t["_tid"] = range(len(t))
    if "household_id" not in t:
        t["household_id"] = None
    for k in TRUTH_KEYS:
        t[k] = t[k].astype(object).where(t[k].notna() & (t[k].astype(str) != ""), None)
        t[k] = t[k].map(lambda v: None if v is None else str(v))
    recalled = pd.Series(False, index=t._tid)
    tp = pd.Series(False, index=f._fid)
    keysets = t[list(TRUTH_KEYS)].notna().apply(lambda r: tuple(k for k in TRUTH_KEYS if r[k]), axis=1)
    for keys, rows in t.groupby(keysets):
        cols = ["rule", *keys]
        m = rows[cols + ["_tid"]].merge(f[cols + ["_fid"]], on=cols)
        recalled[m._tid.unique()] = True
        tp[m._fid.unique()] = True
    return recalled.values, tp.values


def score(findings: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """Per rule: planted, recalled, findings, true positives, recall, precision.

    A truth row marked ``optional`` (a co-trigger a plant cannot guarantee, such as a model's outlier)
    makes a matching finding a true positive but is not counted as planted."""
    recalled, tp = match_truth(findings, truth)
    t = truth.assign(recalled=recalled)
    if "optional" in t:  # explains a finding when present, not required for recall
        t = t[t.optional.fillna("") != "是"]
    f = findings.assign(tp=tp)
    rules = sorted(set(t.rule) | set(f.rule))
    rows = []
    for rule in rules:
        tr, fr = t[t.rule == rule], f[f.rule == rule]
        rows.append(
            {
                "rule": rule,
                "family": rule.split("-")[0],
                "planted": len(tr),
                "recalled": int(tr.recalled.sum()),
                "findings": len(fr),
                "true_pos": int(fr.tp.sum()),
            }
        )
    out = pd.DataFrame(rows, columns=["rule", "family", "planted", "recalled", "findings", "true_pos"])
    out["recall"] = out.recalled / out.planted.where(out.planted > 0)
    out["precision"] = out.true_pos / out.findings.where(out.findings > 0)
    return out
