"""Generate a county, audit it, and print recall/precision per rule and family against truth.csv;
then audit the independent validation county (../shared/validation/county-a, a generator the team
did not write) and print its scorer's per-family table and real cases caught.

    python bench/quality.py [--residents 20000] [--seed 1] [--profile sandu-2021] [--messy]
                            [--validation DIR] [--no-validation]

Last lines: overall recall and precision for the own generator, then the validation scorer's summary.
"""

from __future__ import annotations

import argparse
import re
import subprocess
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
    ap.add_argument("--validation", default=str(Path(__file__).resolve().parents[2] / "shared" / "validation"))
    ap.add_argument("--no-validation", action="store_true")
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
    print(
        f"\nOVERALL recall={tot.recalled / tot.planted:.3f} precision={prec:.3f} "
        f"(planted={tot.planted}, findings={tot.findings})"
    )
    if not a.no_validation:
        validation(Path(a.validation))


def validation(folder: Path) -> None:
    """Audit the validation county as its README says and print its own scorer's tables."""
    county, truth, scorer = folder / "county-a", folder / "county-a-truth.csv", folder / "score.py"
    if not county.is_dir():
        print(f"\n(validation county not found at {county}; skipped)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        import datetime as dt

        run_audit(county, "sandu-2021", Path(tmp), as_of=dt.date(2022, 4, 30))
        out = subprocess.run(
            [sys.executable, str(scorer), "--truth", str(truth), "--findings", str(Path(tmp) / "findings.csv")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("-- families"))
    print(f"\nvalidation county {county} (profile sandu-2021, as-of 2022-04-30)")
    real = re.compile(r"^C\d+ ")
    print("\n".join(ln for ln in lines[start:] if not real.match(ln) or "missed" in ln))


if __name__ == "__main__":
    main()
