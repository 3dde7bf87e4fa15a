"""The same audit on Apache Spark, for provinces and the nation (``dibao-audit run … --engine spark``).

Spark schedules; the audit is the product's own. Every county is one partition of a Spark DataFrame of
counties (one row each, repartitioned round-robin so that no task holds two), and ``mapInPandas`` runs the
ordinary per-county pipeline (import or read back from Parquet, kinship, every rule, the run folder) on an
executor — so a county's findings are those of the default engine by construction. (A
``groupBy(county).applyInPandas`` hashes several counties into one task and Spark's adaptive execution
coalesces small shuffles into one: measured, it ran a province's counties one after another.)

Each county task also writes the few columns the cross-county checks read (``audit.province.extract``)
as Parquet partitioned by county; the driver then runs the cross-county checks over the whole province. On
a cluster they run as Spark SQL: the very ``CROSS_SQL`` text the one-machine engine runs in DuckDB, transpiled
by SQLGlot. With a ``local[…]`` master everything is on one machine, and DuckDB runs the same text over the
same files (a 20 × 1M province: 10 s against Spark SQL's 155 s on two cores); ``cross=`` chooses either way.
The findings are built from the rows by the same code.

Inputs: a county workspace, a folder of county workspaces, or the Parquet layout of ``export-parquet``
(``persons/county_id=…/part-0.parquet``). Outputs: the run folder(s) of the default engine, and for a
province ``全省/findings.csv`` and ``全省/run.json``. On a cluster every path must be on storage that the
driver and the executors share.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from audit.errors import InputError
from audit.progress import Progress

__all__ = ["run_spark", "spark_sql", "SparkRun", "session"]

_TASK_SCHEMA = "county string, out string, findings long, rejects long, as_of string, timings string, error string"
_LOG4J = Path(__file__).with_name("log4j2-spark.properties")


@dataclass
class SparkRun:
    counties: dict[str, dict]  # county -> summary (out, findings, rejects, as_of, timings)
    findings: pd.DataFrame | None  # cross-county findings (a province), else None
    out: Path
    seconds: dict[str, float]
    extract_rows: dict[str, int] | None = None  # rows of each cross-county extract (a province)


def spark_sql(duckdb_sql: str) -> str:
    """A query written for DuckDB in Spark SQL (SQLGlot), so that each check is written once."""
    import sqlglot

    return sqlglot.transpile(duckdb_sql, read="duckdb", write="spark")[0]


def session(master: str | None = None, partitions: int = 2, log_file: Path | None = None):
    """A Spark session for the audit: Arrow for pandas exchange, no web UI, the executors' Python the
    driver's. Spark's own (English) console output — the JVM's and the Python workers' — goes to
    ``log_file`` instead of the user's terminal: the JVM keeps the standard error it was started with."""
    import warnings

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # PySpark 4 warns on every pandas exchange that pandas 3 is not "fully supported"; what the audit uses
    # of it (Arrow exchange of plain columns) is checked by the engine-equality tests instead
    quiet = "ignore:PySpark does not yet fully support pandas:FutureWarning"
    os.environ["PYTHONWARNINGS"] = ",".join(x for x in (os.environ.get("PYTHONWARNINGS"), quiet) if x)
    warnings.filterwarnings("ignore", "PySpark does not yet fully support pandas", FutureWarning)
    from pyspark.sql import SparkSession

    log = f"-Dlog4j.configurationFile=file:{_LOG4J}"
    # the driver JVM is started before the session's settings apply: its options go by spark-submit's
    os.environ.setdefault("PYSPARK_SUBMIT_ARGS", f"--driver-java-options {log} pyspark-shell")
    saved = None
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        sys.stderr.flush()
        saved, target = os.dup(2), os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(target, 2)
        os.close(target)
    try:
        spark = _build(SparkSession, master, partitions, log)
    finally:
        if saved is not None:
            os.dup2(saved, 2)
            os.close(saved)
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _build(SparkSession, master: str | None, partitions: int, log: str):
    return (
        SparkSession.builder.master(master or "local[*]")
        .appName("dibao-audit")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", str(max(1, partitions)))
        .config("spark.sql.adaptive.coalescePartitions.enabled", "false")  # small inputs, long tasks
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", log)
        .config("spark.executor.extraJavaOptions", log)
        .getOrCreate()
    )


def _county_task(profile, as_of, layout: str, extracts: str | None):
    """The function each partition (one county) runs on an executor: the default engine's audit of it."""

    def run(batches):
        for pdf in batches:
            for county, source, out in zip(pdf.county, pdf.source, pdf.out):
                yield audit_county(county, Path(source), Path(out))

    def audit_county(county: str, source: Path, out: Path) -> pd.DataFrame:
        from audit.province import extract, write_extracts
        from audit.run import run_audit

        row = {"county": county, "out": str(out), "findings": 0, "rejects": 0, "as_of": "", "timings": "{}"}
        try:
            if layout == "parquet":
                from audit.parquet import read_county

                loaded = read_county(source, county)
            else:
                loaded = None
            res = run_audit(source, profile, out, as_of=as_of, progress=Progress(quiet=True), loaded=loaded)
            if extracts:
                write_extracts(Path(extracts), county, extract(res, county))
            row |= {
                "findings": len(res.findings),
                "rejects": int(res.run["rejects"]),
                "as_of": res.run["as_of"],
                "timings": json.dumps(res.run["timings"], ensure_ascii=False),
                "error": "",
            }
        except InputError as exc:  # said per county, in Chinese, by the driver
            row["error"] = str(exc)
        return pd.DataFrame([row])

    return run


def _plan(source: Path, out: Path) -> tuple[str, list[dict]]:
    """The layout of the input and one task per county: (county, source, run folder)."""
    from audit.province import counties_of

    if not source.is_dir():
        raise InputError(f"工作目录不存在或不是文件夹：{source}")
    layout, counties = counties_of(source)
    if layout == "parquet":
        if not counties:
            raise InputError(f"{source}：Parquet 数据中没有任何县的分区。")
        single = len(counties) == 1
        return "parquet", [
            {"county": c, "source": str(source), "out": str(out if single else out / c)} for c in counties
        ]
    if layout == "folders":
        return "folders", [{"county": c, "source": str((source / c).resolve()), "out": str(out / c)} for c in counties]
    return "folders", [{"county": source.name, "source": str(source.resolve()), "out": str(out)}]


def run_spark(
    source: str | Path,
    profile: str = "sandu-2021",
    out: str | Path = "out/spark",
    *,
    master: str | None = None,
    as_of=None,
    progress: Progress | None = None,
    cross: str = "auto",
) -> SparkRun:
    """Audit a county, a province folder or a Parquet layout on Spark; see the module docstring. ``cross``:
    the engine of the cross-county pass — ``spark`` (Spark SQL), ``duckdb`` (on the driver), or ``auto``:
    DuckDB when the master is ``local[…]`` (one machine), Spark SQL on a cluster."""
    if cross not in ("auto", "duckdb", "spark"):
        raise ValueError(f"cross must be auto, duckdb or spark, not {cross!r}")
    from audit.province import (
        PROVINCE_DIR,
        cross_county_findings,
        cross_county_kin,
        duckdb_query,
        extract_rows,
        read_kin_tables,
        write_province,
    )

    progress = progress or Progress(quiet=True)
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        raise InputError(
            'Spark 引擎需要 PySpark 和 SQLGlot：请先运行 pip install -e ".[spark]"（另需 Java 17）。'
        ) from None
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        raise InputError(
            "Spark 引擎需要 Java 17：请安装（Debian/Ubuntu：apt-get install openjdk-17-jre-headless）后重试。"
        )
    source, out = Path(source).resolve(), Path(out).resolve()
    layout, tasks = _plan(source, out)
    province = len(tasks) > 1
    extracts = out / ".spark-extracts" if province else None
    seconds = {}
    t0 = time.perf_counter()
    progress.say("启动 Spark")
    spark = session(master, partitions=len(tasks), log_file=out / ".spark.log")
    seconds["start"] = round(time.perf_counter() - t0, 2)
    try:
        t0 = time.perf_counter()
        progress.say(f"在 Spark 上审计 {len(tasks)} 个县")
        if extracts is not None:
            shutil.rmtree(extracts, ignore_errors=True)
        # one county per partition (a round-robin repartition of one row per county), so that every
        # executor core takes a whole county; a group-by would hash several counties into one task
        frame = spark.createDataFrame(pd.DataFrame(tasks)).repartition(len(tasks))
        task = _county_task(profile, as_of, layout, str(extracts) if extracts else None)
        rows = frame.mapInPandas(task, schema=_TASK_SCHEMA).toPandas()
        seconds["counties"] = round(time.perf_counter() - t0, 2)
        failed = rows[rows.error != ""]
        if len(failed):
            raise InputError("；".join(f"{r.county}：{r.error}" for r in failed.itertuples()))
        summaries = {
            r.county: {
                "out": r.out,
                "findings": int(r.findings),
                "rejects": int(r.rejects),
                "as_of": r.as_of,
                "timings": json.loads(r.timings),
            }
            for r in rows.sort_values("county").itertuples()
        }
        found, rows_of = None, None
        if province:
            t0 = time.perf_counter()
            if cross == "auto":
                cross = "duckdb" if (master or "local[*]").startswith("local") else "spark"
            label = "Spark SQL" if cross == "spark" else "DuckDB"
            progress.say(f"跨县比对（{label}：重复享受、共用账户和预留手机号、跨县近亲属）")
            query = _spark_query(spark, extracts) if cross == "spark" else duckdb_query(extracts)
            as_of_of = {c: s["as_of"] for c, s in summaries.items()}
            try:
                findings = cross_county_findings(query) + cross_county_kin(
                    query, lambda c: read_kin_tables(extracts, c), profile, as_of_of
                )
            finally:
                getattr(query, "close", lambda: None)()
            found = write_province(out, summaries, findings, "spark", cross)
            seconds["cross_county"] = round(time.perf_counter() - t0, 2)
            rows_of = extract_rows(extracts)
            shutil.rmtree(extracts, ignore_errors=True)
            progress.say(f"跨县比对完成：{len(found)} 条（{out / PROVINCE_DIR}）")
    finally:
        spark.stop()
    return SparkRun(summaries, found, out, seconds, rows_of)


def _spark_query(spark, extracts: Path):
    """``query(name)`` of the cross-county checks as Spark SQL over the extracts (a cluster's engine)."""
    from audit.province import CROSS_SQL, CROSS_STEPS, EXTRACTS

    for name in EXTRACTS:
        spark.read.parquet(str(extracts / name)).createOrReplaceTempView(name)

    def query(name: str) -> pd.DataFrame:
        # each step written as Parquet and read back: the plan of the next starts there (cached plans nest
        # every earlier step three times over and ran the driver out of heap), and the files' small size lets
        # Spark broadcast the step into its joins with the edges instead of shuffling them
        for step, text in CROSS_STEPS.get(name, {}).items():
            path = str(extracts / "_steps" / step)
            spark.sql(spark_sql(text)).write.mode("overwrite").parquet(path)
            spark.read.parquet(path).createOrReplaceTempView(step)
        return spark.sql(spark_sql(CROSS_SQL[name])).toPandas()

    return query
