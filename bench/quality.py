"""Generate a county, audit it, and print recall/precision per rule and family against truth.csv.

    python bench/quality.py [--residents 20000] [--seed 1] [--profile sandu-2021] [--messy]

Last line: overall recall and precision (micro-averaged over planted rows and findings).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # runnable from a checkout

from audit.evaluate import score  # noqa: E402
from audit.run import run_audit  # noqa: E402
from data.generate import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", default="sandu-2021")
    ap.add_argument("--messy", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws, out = Path(tmp) / "ws", Path(tmp) / "out"
        generate(a.residents, a.seed, ws, profile=a.profile, messy=a.messy)
        res = run_audit(ws, a.profile, out)
        truth = pd.read_csv(ws / "truth.csv", dtype=str)
    s = score(res.findings, truth)
    status = {code: v["status"] for code, v in res.run["rules"].items()}
    s["status"] = s.rule.map(status).fillna("not implemented")
    pd.set_option("display.width", 200)
    print(f"residents={a.residents} seed={a.seed} profile={a.profile} messy={a.messy}")
    print(s.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    fam = s.groupby("family")[["planted", "recalled", "findings", "true_pos"]].sum()
    fam["recall"] = fam.recalled / fam.planted.where(fam.planted > 0)
    fam["precision"] = fam.true_pos / fam.findings.where(fam.findings > 0)
    print()
    print(fam.to_string(float_format=lambda v: f"{v:.3f}"))
    tot = s[["planted", "recalled", "findings", "true_pos"]].sum()
    prec = tot.true_pos / tot.findings if tot.findings else float("nan")
    print(f"\nOVERALL recall={tot.recalled / tot.planted:.3f} precision={prec:.3f} "
          f"(planted={tot.planted}, findings={tot.findings})")


if __name__ == "__main__":
    main()
