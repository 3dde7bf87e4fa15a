"""Per-stage wall time and peak memory at county and province scale, each beside a reference measured in
the same run.

    python bench/speed.py [--residents 100000 1000000] [--seed 1]
    python bench/speed.py --withdrawals 5000000
    python bench/speed.py --province 20 --residents 100000

Each size runs in its own process so that peak memory is that size's alone. References: for the import,
a plain DuckDB load of the same files (every column as text, no checks); for the kinship stage, a plain
DuckDB query of the statutory close-relative chains over the register's parent/spouse edges; for CARD-04,
DuckDB's windowed count of withdrawals within the window at each terminal. Stages are reported as ratios
to them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# child -> parent (up) and spouse pairs; then the 002 list as path patterns over them
REFERENCE_SQL = """
CREATE OR REPLACE TEMP TABLE heads AS SELECT household_id, person_id AS head FROM persons WHERE relation_to_head = '户主';
CREATE OR REPLACE TEMP TABLE up AS
  SELECT DISTINCT child, parent FROM (
    SELECT p.person_id AS child, h.head AS parent FROM persons p JOIN heads h USING (household_id) WHERE p.relation_to_head IN ('子','女')
    UNION ALL SELECT h.head, p.person_id FROM persons p JOIN heads h USING (household_id) WHERE p.relation_to_head IN ('父亲','母亲')
    UNION ALL SELECT person_id, relative_id FROM relations WHERE relation IN ('父','母')
    UNION ALL SELECT relative_id, person_id FROM relations WHERE relation IN ('子','女'));
CREATE OR REPLACE TEMP TABLE sp AS
  SELECT DISTINCT a, b FROM (
    SELECT p.person_id AS a, h.head AS b FROM persons p JOIN heads h USING (household_id) WHERE p.relation_to_head = '配偶'
    UNION ALL SELECT h.head, p.person_id FROM persons p JOIN heads h USING (household_id) WHERE p.relation_to_head = '配偶'
    UNION ALL SELECT person_id, relative_id FROM relations WHERE relation IN ('夫','妻','配偶'));
CREATE OR REPLACE TEMP TABLE down AS SELECT parent AS x, child AS y FROM up;
CREATE OR REPLACE TEMP TABLE u AS SELECT child AS x, parent AS y FROM up;
CREATE OR REPLACE TEMP TABLE sib AS SELECT DISTINCT a.x, b.y FROM u a JOIN down b ON a.y = b.x WHERE a.x <> b.y;
SELECT count(*) FROM (
  SELECT a, b, 'spouse' c FROM sp
  UNION ALL SELECT x, y, 'parent' FROM u
  UNION ALL SELECT x, y, 'child' FROM down
  UNION ALL SELECT x, y, 'sibling' FROM sib
  UNION ALL SELECT a.x, b.y, 'grandparent' FROM u a JOIN u b ON a.y = b.x
  UNION ALL SELECT a.x, b.y, 'grandchild' FROM down a JOIN down b ON a.y = b.x
  UNION ALL SELECT a.x, s.y, 'uncle_aunt' FROM u a JOIN sib s ON a.y = s.x
  UNION ALL SELECT a.x, d.y, 'cousin' FROM u a JOIN sib s ON a.y = s.x JOIN down d ON s.y = d.x
  UNION ALL SELECT s.x, d.y, 'nephew_niece' FROM sib s JOIN down d ON s.y = d.x
  UNION ALL SELECT s.a, u.y, 'spouse_parent' FROM sp s JOIN u ON s.b = u.x
  UNION ALL SELECT s.a, b.y, 'spouse_sibling' FROM sp s JOIN sib b ON s.b = b.x
  UNION ALL SELECT s.a, t.b, 'spouse_sibling_spouse' FROM sp s JOIN sib b ON s.b = b.x JOIN sp t ON b.y = t.a
  UNION ALL SELECT d.x, s.b, 'child_spouse' FROM down d JOIN sp s ON d.y = s.a
  UNION ALL SELECT d.x, u.y, 'child_spouse_parent' FROM down d JOIN sp s ON d.y = s.a JOIN u ON s.b = u.x
)
"""


def spark_beside(ws: Path, tmp: Path, duck_wall: float, duck_timings: dict) -> dict:
    """The same workspace on the Spark engine (local[2]) right after the DuckDB engine: Spark's start, the
    county's own stages inside its executor, and the whole wall time against the DuckDB engine's."""
    from audit.spark import run_spark

    t0 = time.perf_counter()
    res = run_spark(ws, "sandu-2021", tmp / "spark", master="local[2]")
    wall = time.perf_counter() - t0
    [county] = res.counties.values()
    return {
        "wall_s": round(wall, 2),
        "start_s": res.seconds["start"],
        "county_task_s": res.seconds["counties"],
        "stages": {k: v["seconds"] for k, v in county["timings"].items()},
        "duckdb_wall_s": round(duck_wall, 2),
        "duckdb_stages": {k: v["seconds"] for k, v in duck_timings.items()},
        "ratio": round(wall / duck_wall, 2),
    }


def one(residents: int, seed: int, engine: str = "duckdb") -> dict:
    import duckdb

    from audit.progress import Progress, peak_rss_mb
    from audit.run import run_audit

    out: dict = {"residents": residents}
    with tempfile.TemporaryDirectory() as tmp:
        ws, run_dir = Path(tmp) / "ws", Path(tmp) / "out"
        t0 = time.perf_counter()
        # generated in a child process, so that the peak memory reported is the audit's own
        code = f"from data.generate import generate; generate({residents}, {seed}, {str(ws)!r})"
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
        out["generate_s"] = round(time.perf_counter() - t0, 1)
        out["generate_peak_mb"] = None
        t0 = time.perf_counter()
        ref = duckdb.connect()
        files = sorted(p for p in ws.iterdir() if p.suffix == ".csv" and p.name != "truth.csv")
        for p in files:
            ref.execute(
                f"CREATE TABLE \"{p.stem}\" AS SELECT * FROM read_csv('{p}', all_varchar = true, header = true)"
            )
        out["import_reference"] = {"seconds": round(time.perf_counter() - t0, 3), "files": len(files)}
        ref.close()
        t0 = time.perf_counter()
        res = run_audit(ws, "sandu-2021", run_dir, progress=Progress(quiet=True))
        duck_wall = time.perf_counter() - t0
        out["stages"] = res.run["timings"]
        out["slowest_rules"] = sorted(((v.get("seconds", 0), k) for k, v in res.run["rules"].items()), reverse=True)[:6]
        out["rows"] = {k: v["loaded"] for k, v in res.run["row_counts"].items()}
        con = duckdb.connect()
        for name in ("persons", "relations"):
            con.register(name, res.ctx.table(name))
        t0 = time.perf_counter()
        pairs = con.execute(REFERENCE_SQL).fetchall()[-1][0]
        out["kinship_reference"] = {
            "seconds": round(time.perf_counter() - t0, 3),
            "pairs": pairs,
            "peak_rss_mb": round(peak_rss_mb()),
        }
        kin = res.run["timings"].get("kinship")
        out["kinship_ratio"] = round(kin["seconds"] / out["kinship_reference"]["seconds"], 2) if kin else None
        imp = res.run["timings"]["import"]["seconds"]
        out["import_ratio"] = round(imp / max(out["import_reference"]["seconds"], 1e-3), 2)
        out["total_s"] = round(sum(t["seconds"] for t in res.run["timings"].values()), 1)
        out["peak_mb"] = round(max(t["peak_rss_mb"] for t in res.run["timings"].values()))
        if engine == "spark":
            timings = res.run["timings"]
            del res
            out["spark"] = spark_beside(ws, Path(tmp), duck_wall, timings)
    return out


def withdrawals_bench(n: int, seed: int = 1) -> None:
    """CARD-04 on ``n`` synthetic withdrawals: 2,000 village service points with payday crowds plus a few
    custody rings; prints the wall time of the DuckDB window scan and what it found."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    from audit.context import AuditContext
    from audit.profile import load_profile
    from audit.progress import peak_rss_mb
    from detectors.card import custody_groups

    rng = np.random.default_rng(seed)
    terminals, accounts_per_terminal = 2000, 200
    acct = rng.integers(0, terminals * accounts_per_terminal, n)
    term = acct // accounts_per_terminal
    month = rng.integers(1, 13, n)
    payday = rng.random(n) < 0.35  # a third queue at the service point on payday
    day = np.where(payday, 10, rng.integers(11, 29, n))
    minute = np.where(payday, rng.integers(0, 150, n), rng.integers(0, 540, n))
    base = pd.to_datetime({"year": 2024, "month": month, "day": day}) + pd.to_timedelta(8 * 60 + 30 + minute, unit="m")
    wd = pd.DataFrame(
        {
            "account_no": pd.Series(acct).map(lambda a: f"A{a:07d}").astype(object),
            "terminal_id": pd.Series(term).map(lambda t: f"T{t:04d}").astype(object),
            "time": base,
            "amount": 300.0,
            "direction": "支出",
            "channel": "助农取款点",
        }
    )
    rings = []
    for r in range(20):  # custody: the same 5 cards within 10 minutes, 10 months
        cards = [f"R{r:02d}{j}" for j in range(5)]
        for m in range(3, 13):
            for j, c in enumerate(cards):
                rings.append(
                    {
                        "account_no": c,
                        "terminal_id": f"X{r:02d}",
                        "time": dt.datetime(2024, m, 12, 14, 2 * j),
                        "amount": 300.0,
                        "direction": "支出",
                        "channel": "ATM",
                    }
                )
    wd = pd.concat([wd, pd.DataFrame(rings)], ignore_index=True)
    pays = pd.DataFrame({"account_no": pd.unique(wd.account_no)}).assign(case_id=lambda d: "C" + d.account_no)
    cases = pays.assign(household_id=pays.case_id, village_code="V", township="T")[
        ["case_id", "household_id", "village_code", "township"]
    ].assign(account_no=pays.account_no)
    # the text columns as the import gives them (Arrow strings where pandas uses them)
    wd = wd.astype(
        {c: pd.Series(["x"]).astype(str).dtype for c in ("account_no", "terminal_id", "direction", "channel")}
    )
    import duckdb

    profile = load_profile("sandu-2021")
    w, k = profile.int("card_batch_window_minutes"), profile.int("card_batch_min_accounts")
    con = duckdb.connect()
    con.register("wd", wd)
    t0 = time.perf_counter()
    crowded = con.execute(
        f"""SELECT count(*) FROM (SELECT count(*) OVER (PARTITION BY terminal_id ORDER BY time
            RANGE BETWEEN INTERVAL {w} MINUTE PRECEDING AND CURRENT ROW) AS n FROM wd) WHERE n >= {k}"""
    ).fetchone()[0]
    ref = time.perf_counter() - t0
    con.close()
    ctx = AuditContext({"withdrawals": wd, "payments": pays, "cases": cases}, profile, dt.date(2024, 12, 31))
    t0 = time.perf_counter()
    g = custody_groups(ctx)
    secs = time.perf_counter() - t0
    print(
        f"CARD-04 on {len(wd):,} withdrawals at {terminals:,} terminals: {secs:.2f} s, peak {peak_rss_mb():.0f} MB; "
        f"{g.account_no.str.startswith('R').sum()} of 100 ring cards found, {(~g.account_no.str.startswith('R')).sum()} payday-crowd cards flagged"
    )
    print(
        f"   reference (DuckDB windowed count, {crowded:,} withdrawals with {k}+ in {w} minutes): {ref:.2f} s; "
        f"CARD-04 / reference: {secs / max(ref, 1e-3):.2f}x"
    )


class TreePeak:
    """The peak resident memory of this process and all its descendants (Spark's JVM and Python workers),
    sampled twice a second from /proc while the block runs."""

    def __enter__(self) -> "TreePeak":
        import threading

        self.mb, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        import os

        while not self._stop.wait(0.5):
            children: dict[int, list[int]] = {}
            for name in filter(str.isdigit, os.listdir("/proc")):
                try:
                    parent = int(Path(f"/proc/{name}/stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(parent, []).append(int(name))
            todo, pages = [os.getpid()], 0
            while todo:
                pid = todo.pop()
                try:
                    pages += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
                except (OSError, ValueError, IndexError):
                    pass
                todo += children.get(pid, [])
            self.mb = max(self.mb, pages * os.sysconf("SC_PAGE_SIZE") / 2**20)


def province_bench(counties: int, residents: int, seed: int, engine: str = "duckdb", keep: Path | None = None) -> None:
    """Generate a province of ``counties`` counties of ``residents`` each, audit it as one folder and print
    the wall time and peak memory of the whole, per county and of the cross-county pass. With ``keep``, the
    province is generated there once and reused by later runs (20 × 1M takes ~45 min to generate)."""
    from audit.progress import Progress, peak_rss_mb
    from audit.province import PROVINCE_DIR, run_province

    with tempfile.TemporaryDirectory() as tmp:
        root, out = keep or Path(tmp) / "province", Path(tmp) / "out"
        t0 = time.perf_counter()
        generate = not (root / "全省truth.csv").exists()
        if generate:
            # generated in a child process, so that the peak memory printed is the audit's alone
            gen_cmd = [sys.executable, "-m", "audit", "generate", "--counties", str(counties)]
            gen_cmd += ["--residents", str(residents), "--seed", str(seed), "--out", str(root)]
            subprocess.run(gen_cmd, check=True, capture_output=True)
        gen = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = run_province(root, out=out, progress=Progress(quiet=True))
        wall = time.perf_counter() - t0
        counted = sum(
            s["timings"]["import"]["seconds"] + s["timings"]["detect"]["seconds"] for s in res.counties.values()
        )
        origin = f"generated in {gen:.0f} s" if generate else f"generated earlier in {root}"
        print(
            f"province: {counties} counties x {residents:,} residents = {counties * residents:,} ({origin})\n"
            f"   audit {wall:.1f} s wall, peak {peak_rss_mb():.0f} MB; counties {res.seconds['counties']:.1f} s "
            f"(their import+detect {counted:.1f} s), cross-county pass {res.seconds['cross_county']:.1f} s over "
            f"{_rows(res.extract_rows)}; {len(res.findings)} cross-county findings "
            f"({', '.join(f'{k} {v}' for k, v in res.findings.groupby('rule').size().items())})"
        )
        if engine == "spark":
            from audit.spark import run_spark

            t0 = time.perf_counter()
            with TreePeak() as peak:
                sp = run_spark(root, out=Path(tmp) / "spark", master="local[2]")
            swall = time.perf_counter() - t0
            rows = _rows(sp.extract_rows)
            per = [c["timings"]["import"]["seconds"] + c["timings"]["detect"]["seconds"] for c in sp.counties.values()]
            cross = json.loads((sp.out / PROVINCE_DIR / "run.json").read_text(encoding="utf-8"))["cross_county_engine"]
            same = sp.findings.drop(columns="counties").equals(res.findings.drop(columns="counties"))
            print(
                f"   spark engine (local[2]): {swall:.1f} s wall, peak {peak.mb:.0f} MB (driver, JVM and workers) = "
                f"start {sp.seconds['start']:.1f} s + counties {sp.seconds['counties']:.1f} s (each county's "
                f"import+detect {min(per):.1f}–{max(per):.1f} s inside its executor) + cross-county pass "
                f"({cross}) {sp.seconds['cross_county']:.1f} s over {rows}; {len(sp.findings)} cross-county findings "
                f"({'the same as' if same else 'NOT the same as'} the duckdb engine's); spark / duckdb {swall / wall:.2f}x"
            )


def _rows(rows: dict[str, int]) -> str:
    """Extract rows, total and the largest tables."""
    top = sorted(rows.items(), key=lambda kv: -kv[1])[:4]
    return f"{sum(rows.values()):,} extract rows ({', '.join(f'{k} {v:,}' for k, v in top)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--residents", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--withdrawals", type=int, default=0, help="只测 CARD-04：合成 N 条取款流水")
    ap.add_argument("--province", type=int, default=0, help="全省：N 个县，每县 --residents 人")
    ap.add_argument("--keep", type=Path, help="全省数据生成到该文件夹并保留，下次直接复用")
    ap.add_argument(
        "--engine", choices=("duckdb", "spark"), default="duckdb", help="spark：同一县再用 Spark 引擎审计一遍并对比"
    )
    a = ap.parse_args()
    if a.province:
        province_bench(a.province, a.residents[0], a.seed, a.engine, a.keep)
        return
    if a.withdrawals:
        withdrawals_bench(a.withdrawals, a.seed)
        return
    if a.one:
        print(json.dumps(one(a.one, a.seed, a.engine)))
        return
    import os
    import platform

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}"
    )
    for n in a.residents:
        r = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--seed", str(a.seed), "--engine", a.engine],
            capture_output=True,
            text=True,
            check=True,
        )
        res = json.loads(r.stdout.strip().splitlines()[-1])
        print(f"\n== {n:,} residents (generated in {res['generate_s']} s by a separate process)")
        print("   rows: " + ", ".join(f"{k}={v:,}" for k, v in sorted(res["rows"].items()) if v > 1000))
        for stage, t in res["stages"].items():
            print(f"   {stage:<12} {t['seconds']:>8.2f} s   peak {t['peak_rss_mb']:>7.0f} MB")
        ir = res["import_reference"]
        print(
            f"   import reference (DuckDB read_csv of the same {ir['files']} files as text): {ir['seconds']:.2f} s; import / reference: {res['import_ratio']}x"
        )
        print(f"   full audit {res['total_s']} s, peak {res['peak_mb']} MB")
        ref = res["kinship_reference"]
        print(f"   kinship reference (DuckDB, {ref['pairs']:,} close-relative pairs): {ref['seconds']:.2f} s")
        print("   slowest rules: " + ", ".join(f"{k} {t:.1f} s" for t, k in res["slowest_rules"]))
        if "spark" in res:
            sp = res["spark"]
            print(
                f"   spark engine (local[2], same workspace): {sp['wall_s']:.1f} s wall = start {sp['start_s']:.1f} s"
                f" + county task {sp['county_task_s']:.1f} s; inside the executor: "
                + ", ".join(f"{k} {v:.2f} s" for k, v in sp["stages"].items())
            )
            print(
                f"   duckdb engine: {sp['duckdb_wall_s']:.1f} s wall ("
                + ", ".join(f"{k} {v:.2f} s" for k, v in sp["duckdb_stages"].items())
                + f"); spark / duckdb: {sp['ratio']}x"
            )
        ratio = res["kinship_ratio"]
        print(
            f"   kinship stage / reference: {ratio}x"
            if ratio
            else "   kinship stage / reference: n/a (no kinship stage in this build)"
        )


if __name__ == "__main__":
    main()
