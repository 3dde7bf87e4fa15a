"""Command-line interface: ``dibao-audit run|generate|profiles|serve``."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from audit.errors import AuditError

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample"
SAMPLE_ARGS = {"residents": 20000, "seed": 20240101, "profile": "sandu-2021", "messy": True}


def _date(s: str) -> dt.date:
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD，实际为 {s!r}") from None


def ensure_sample() -> Path:
    """The bundled sample county; regenerated deterministically if the folder is missing."""
    if not (SAMPLE / "truth.csv").exists():
        from data.generate import generate

        print(f"正在生成示例县数据到 {SAMPLE} …", file=sys.stderr)
        generate(out=SAMPLE, **SAMPLE_ARGS)
    return SAMPLE


def cmd_run(a: argparse.Namespace) -> int:
    from audit.parquet import read_county
    from audit.progress import Progress
    from audit.province import counties_of
    from audit.run import run_audit

    ws = ensure_sample() if a.workspace == "sample" else Path(a.workspace)
    if a.engine == "spark":
        return _run_spark(a, ws)
    layout, counties = counties_of(ws) if a.workspace != "sample" else ("workspace", [])
    if len(counties) > 1:
        return _run_province(a, ws)
    loaded = read_county(ws, counties[0]) if layout == "parquet" and counties else None
    res = run_audit(
        ws, a.profile, a.out, as_of=a.as_of, strict=a.strict, progress=Progress(quiet=a.quiet), loaded=loaded
    )
    s = res.run["rules_summary"]
    print(
        f"审计完成：{len(res.findings):,} 条问题线索（高 {int((res.findings.severity == 'high').sum())}，"
        f"中 {int((res.findings.severity == 'medium').sum())}，低 {int((res.findings.severity == 'low').sum())}）；"
        f"规则 运行 {s['ran']} / 跳过 {s['skipped']} / 出错 {s['error']}；导入异常 {res.run['rejects']} 条。"
    )
    print(f"核查基准日：{res.run['as_of']}（{res.run['as_of_basis']}）")
    for w in res.run["warnings"]:
        print(f"  提示：{w}")
    print(f"结果目录：{Path(a.out).resolve()}（findings.csv、rejects.csv、run.json）")
    for code, entry in res.run["rules"].items():
        if entry["status"] == "error":
            print(f"  规则 {code} 出错：{entry['reason']}", file=sys.stderr)
    return 0


def _run_province(a: argparse.Namespace, root: Path) -> int:
    from audit.progress import Progress
    from audit.province import PROVINCE_DIR, run_province

    res = run_province(root, a.profile, a.out, progress=Progress(quiet=a.quiet))
    for name, s in res.counties.items():
        print(f"{name}：{s['findings']:,} 条问题线索，导入异常 {s['rejects']} 条（{s['out']}）")
    by_rule = res.findings.groupby("rule").size().to_dict() if len(res.findings) else {}
    print(
        f"全省 {len(res.counties)} 个县审计完成；跨县比对 {len(res.findings):,} 条"
        + (f"（{'，'.join(f'{k} {v}' for k, v in by_rule.items())}）" if by_rule else "")
        + f"：{Path(a.out).resolve() / PROVINCE_DIR}"
    )
    return 0


def _run_spark(a: argparse.Namespace, source: Path) -> int:
    from audit.progress import Progress
    from audit.province import PROVINCE_DIR
    from audit.spark import run_spark

    res = run_spark(
        source, a.profile, a.out, master=a.master, as_of=a.as_of, progress=Progress(quiet=a.quiet), cross=a.cross
    )
    for name, s in res.counties.items():
        print(f"{name}：{s['findings']:,} 条问题线索，导入异常 {s['rejects']} 条（{s['out']}）")
    if res.findings is not None:
        by_rule = res.findings.groupby("rule").size().to_dict() if len(res.findings) else {}
        print(
            f"Spark 上审计 {len(res.counties)} 个县完成；跨县比对 {len(res.findings):,} 条"
            + (f"（{'，'.join(f'{k} {v}' for k, v in by_rule.items())}）" if by_rule else "")
            + f"：{Path(a.out).resolve() / PROVINCE_DIR}"
        )
    secs = "，".join(f"{k} {v:.1f} 秒" for k, v in res.seconds.items())
    print(f"用时：{secs}（Spark 自身日志：{Path(a.out).resolve() / '.spark.log'}）")
    return 0


def cmd_export_parquet(a: argparse.Namespace) -> int:
    from audit.parquet import export_parquet
    from audit.progress import Progress

    counties = export_parquet(Path(a.workspace), Path(a.out), progress=Progress(quiet=a.quiet))
    print(
        f"已导出 {len(counties)} 个县（{'、'.join(counties)}）到 {Path(a.out).resolve()}："
        "每张表一个文件夹，按县分区（county_id=…），另有导入异常（_rejects）和导入说明（_meta）。"
    )
    return 0


def cmd_generate(a: argparse.Namespace) -> int:
    from data.generate import generate, generate_province

    if a.counties:
        got = generate_province(a.counties, a.residents, a.seed, a.out, profile=a.profile)
        print(
            f"已生成模拟省数据到 {a.out}：{got['counties']} 个县（每县约 {a.residents:,} 人），"
            f"跨县埋设问题 {got['truth']} 条（全省truth.csv）。"
        )
        return 0

    counts = generate(a.residents, a.seed, a.out, profile=a.profile, anomaly_rate=a.anomaly_rate, messy=a.messy)
    print(
        f"已生成模拟县数据到 {a.out}：人员 {counts['persons']:,}，低保户 {counts['cases']:,}，"
        f"埋设问题 {counts['truth']:,} 条（truth.csv）。"
    )
    return 0


def cmd_profiles(a: argparse.Namespace) -> int:
    from audit.profile import list_profiles, load_profile

    if a.action == "show":
        if not a.name:
            raise AuditError("用法：dibao-audit profiles show NAME（或 .yaml 文件路径）")
        print(load_profile(a.name).describe())
        return 0
    for d in list_profiles():
        print(f"{d['name']:<16} {d.get('title', '')}（{d.get('document', '')}；上级：{d.get('parent') or '无'}）")
    return 0


def put(path: Path, data: bytes) -> None:
    """Write an export atomically (a kill or a full disk never leaves half a workbook)."""
    from audit.store import atomic_write

    atomic_write(Path(path), lambda tmp: tmp.write_bytes(data))


def _results(run_dir: str):
    from audit.profile import load_profile
    from audit.results import load_results

    if not (Path(run_dir) / "run.json").exists():
        raise AuditError(f"没有找到审计结果 {run_dir}：请先运行 dibao-audit run <工作目录> --out {run_dir}")
    res = load_results(run_dir)
    return res, load_profile(res.run["profile"]["name"])


def _settings(a: argparse.Namespace, res):
    """The county's document settings (县设置.yaml), created once — asking on a terminal — when missing."""
    import dataclasses

    from audit.settings import ensure_settings, settings_path

    path = Path(a.settings) if a.settings else settings_path(a.run_dir)
    settings, note = ensure_settings(path, res.county)
    if note:
        print(note, file=sys.stderr)
    if getattr(a, "county", ""):
        settings = dataclasses.replace(settings, county=a.county)
    return settings


def cmd_report(a: argparse.Namespace) -> int:
    from audit.coverage import misconduct, visit_list
    from audit.exports import risk_sheets
    from audit.ledger import VisitLedger
    from audit.lists import three_lists
    from audit.results import to_excel_bytes

    res, prof = _results(a.run_dir)
    out = Path(a.run_dir)
    clues = misconduct(res.findings)
    put(
        out / "三张清单.xlsx",
        three_lists(clues, res.run["as_of"], prof.int("rectify_within_days"), res.villages, prof),
    )
    visits = VisitLedger(a.ledger).frame() if a.ledger and Path(a.ledger).exists() else None
    put(
        out / "潜在救助对象清单.xlsx",
        to_excel_bytes({"潜在救助对象": visit_list(res.findings, visits, villages=res.villages)}),
    )
    put(out / "风险排名.xlsx", to_excel_bytes(risk_sheets(clues, prof, res.villages)))
    from audit.report import write_report

    ledger = None
    if a.ledger and Path(a.ledger).exists():
        from audit.ledger import Ledger

        ledger = Ledger(a.ledger).frame()
    settings = _settings(a, res)
    written = write_report(res, prof, out, settings, ledger)
    names = "、".join(p.name for p in written)
    print(f"已写出 三张清单.xlsx、潜在救助对象清单.xlsx、风险排名.xlsx、{names}（个人证件号已脱敏）到 {out}。")
    if len(written) == 1:
        print("未找到 Chromium，只生成了 HTML 报告；安装 chromium 后可生成 PDF。", file=sys.stderr)
    return 0


def cmd_sample(a: argparse.Namespace) -> int:
    from audit.exports import sampling_sheets
    from audit.results import to_excel_bytes
    from audit.sampling import sampling_plan
    from audit.scoring import rank

    res, prof = _results(a.run_dir)
    from audit.store import open_store

    con = open_store(Path(a.run_dir), read_only=True)
    cases = con.execute("SELECT case_id, village_code, township, monthly_amount FROM cases WHERE status = '在保'").df()
    con.close()
    plan, meta = sampling_plan(cases, rank(res.findings, prof), prof, seed=a.seed, weighted=a.weighted)
    path = Path(a.run_dir) / "抽查方案.xlsx"
    put(path, to_excel_bytes(sampling_sheets(plan, meta, res.villages)))
    ok = "满足" if meta["meets_minimums"] else "未满足"
    print(
        f"抽查方案：{meta['villages_sampled']}/{meta['villages_total']} 个村、{meta['households_sampled']} 户，"
        f"随机种子 {a.seed}，{ok}最低抽查要求。已写出 {path}"
    )
    return 0


def cmd_ledger(a: argparse.Namespace) -> int:
    from audit.ledger import Ledger
    from audit.results import to_excel_bytes

    led = Ledger(a.ledger)
    if a.action == "merge":
        from audit.coverage import misconduct
        from audit.ledger import VisitLedger

        res, _ = _results(a.run_dir)
        c = led.merge(misconduct(res.findings), who=a.who)
        print(
            f"台账已更新：新增 {c['new']}，保留 {c['kept']}，重新打开 {c['reopened']}，已消除 {c['cleared']}，"
            f"已核实不属实未再提示 {c['suppressed']}。"
        )
        v = VisitLedger(a.ledger).merge(res.findings, who=a.who)
        print(f"主动发现走访台账：新增待走访 {v['new']} 户，保留 {v['kept']} 户，本次未再列出 {v['unlisted']} 户。")
    elif a.action == "set":
        led.set(
            a.finding_id,
            a.who,
            status=a.status,
            assignee=a.assignee,
            due_date=a.due,
            note=a.note,
            dismissal_reason=a.reason,
        )
        print(f"已更新线索 {a.finding_id}。")
    elif a.action == "export":
        out = Path(a.out or "台账.xlsx")
        put(out, to_excel_bytes(led.export(led.frame())))
        print(f"已导出 {out}")
    else:
        f = led.frame()
        for status, n in f.status.value_counts().items():
            print(f"{status}\t{n}")
    return 0


def cmd_packet(a: argparse.Namespace) -> int:
    import datetime as _dt

    import pandas as pd

    from audit.context import AuditContext
    from audit.load import REJECT_COLUMNS
    from audit.packet import write_packet
    from audit.store import open_store, store_tables

    res, prof = _results(a.run_dir)
    con = open_store(Path(a.run_dir), read_only=True)
    tables = store_tables(con)
    con.close()
    ctx = AuditContext(tables, prof, _dt.date.fromisoformat(res.run["as_of"]), pd.DataFrame(columns=REJECT_COLUMNS))
    ids = a.finding_ids or list(res.findings[res.findings.severity == "high"].finding_id[: a.top])
    out = Path(a.run_dir) / "交办单"
    out.mkdir(exist_ok=True)
    settings = _settings(a, res)
    for fid in ids:
        if fid not in set(res.findings.finding_id):
            raise AuditError(f"没有线索 {fid}。")
        write_packet(ctx, res.findings, fid, out, settings=settings, villages=res.villages)
    print(f"已写出 {len(ids)} 份交办单到 {out}")
    return 0


def cmd_users(a: argparse.Namespace) -> int:
    import getpass

    from audit.auth import ROLES_ZH, add_user, load_users

    if a.action == "list":
        for u in load_users(a.users).values():
            print(
                f"{u['username']:<16}{ROLES_ZH[u['role']]}{('·' + u['township']) if u.get('township') else ''}"
                f"{'（可查看完整证件号）' if u.get('full_view') else ''}"
            )
        return 0
    password = sys.stdin.readline().rstrip("\n") if a.password_stdin else getpass.getpass("密码（至少8位）：")
    user = add_user(a.users, a.name, password, a.role, a.township, a.full_view)
    print(f"已保存用户 {user.label} 到 {a.users}（只保存密码哈希）。")
    return 0


def _demo_users(path: Path) -> None:
    """First start on the sample: create one account per role with random passwords, shown once."""
    import secrets

    from audit.auth import add_user, load_users

    if load_users(path):
        return
    import pandas as pd

    towns = pd.read_parquet(path.parent / "findings.parquet").township.dropna()
    town = towns.value_counts().index[0] if len(towns) else "大河镇"
    print("首次启动：已创建演示账号（密码只显示这一次，文件中只保存哈希）：", file=sys.stderr)
    for name, role, t in (("county", "county", None), ("township", "township", town), ("readonly", "readonly", None)):
        pw = secrets.token_urlsafe(9)
        user = add_user(path, name, pw, role, t)
        print(f"  {name:<9} 密码 {pw}   {user.label}", file=sys.stderr)


def cmd_serve(a: argparse.Namespace) -> int:
    env = dict(os.environ, DIBAO_RUN_DIR=str(Path(a.run_dir).resolve()))
    users = Path(a.users) if a.users else Path(a.run_dir) / "users.json"
    env["DIBAO_USERS"] = str(users.resolve())
    if not (Path(a.run_dir) / "run.json").exists():
        raise AuditError(f"没有找到审计结果 {a.run_dir}：请先运行 dibao-audit run <工作目录> --out {a.run_dir}")
    _demo_users(users)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "app.py"),
        "--server.address",
        a.address,
        "--server.port",
        str(a.port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "minimal",
        "--client.showErrorDetails",
        "none",
        "--theme.base",
        "light",
    ]
    print(f"仪表盘地址：http://{a.address}:{a.port}（按 Ctrl+C 停止）", file=sys.stderr)
    if os.name == "posix":  # become the dashboard server: stopping this process stops it (no orphan left)
        sys.stderr.flush()
        sys.stdout.flush()
        os.execve(sys.executable, cmd, env)
    return subprocess.call(cmd, env=env)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dibao-audit", description="低保审计与廉洁风险分析工具")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="审计一个工作目录（sample = 内置示例县；含多个县子文件夹的目录按全省审计）")
    r.add_argument("workspace")
    r.add_argument("--profile", default="sandu-2021", help="政策配置名称或 .yaml 文件（默认 sandu-2021）")
    r.add_argument("--out", required=True, help="结果目录")
    r.add_argument("--as-of", type=_date, default=None, help="核查基准日 YYYY-MM-DD（默认：最新发放月份月末）")
    r.add_argument("--strict", action="store_true", help="任一规则出错即停止（测试用）")
    r.add_argument("--quiet", action="store_true", help="不显示进度")
    r.add_argument(
        "--engine", choices=("duckdb", "spark"), default="duckdb", help="计算引擎：duckdb（单机，默认）或 spark"
    )
    r.add_argument("--master", default=None, help="Spark 主节点地址（如 spark://主机:7077、yarn；默认本机 local[*]）")
    r.add_argument(
        "--cross",
        choices=("auto", "duckdb", "spark"),
        default="auto",
        help="Spark 引擎下跨县比对用的引擎：auto（默认：本机 local[…] 用 DuckDB，集群用 Spark SQL）、duckdb、spark",
    )
    r.set_defaults(fn=cmd_run)
    ep = sub.add_parser("export-parquet", help="把工作目录（一个县或全省）导出为按县分区的 Parquet 数据（供 Spark）")
    ep.add_argument("workspace")
    ep.add_argument("--out", required=True, help="输出目录")
    ep.add_argument("--quiet", action="store_true", help="不显示进度")
    ep.set_defaults(fn=cmd_export_parquet)
    g = sub.add_parser("generate", help="生成模拟县数据（含埋设问题 truth.csv）")
    g.add_argument("--residents", type=int, default=20000)
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--out", required=True)
    g.add_argument("--profile", default="sandu-2021")
    g.add_argument("--anomaly-rate", type=float, default=0.03)
    g.add_argument("--messy", action="store_true", help="中文表头、GBK 编码、混合日期格式、Excel 名册")
    g.add_argument("--counties", type=int, default=0, help="生成一个省：N 个县（每县一个子文件夹），含跨县问题")
    g.set_defaults(fn=cmd_generate)
    pr = sub.add_parser("profiles", help="列出政策配置；profiles show NAME 查看参数及出处")
    pr.add_argument("action", nargs="?", choices=["list", "show"], default="list")
    pr.add_argument("name", nargs="?")
    pr.set_defaults(fn=cmd_profiles)
    s = sub.add_parser("serve", help="启动审计仪表盘")
    s.add_argument("run_dir", nargs="?", default="out/sample", help="dibao-audit run 的结果目录")
    s.add_argument("--address", default="127.0.0.1", help="监听地址（默认仅本机）")
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--users", default=None, help="用户文件（默认 结果目录/users.json）")
    s.set_defaults(fn=cmd_serve)
    rp = sub.add_parser("report", help="写出三张清单和风险排名（Excel）")
    rp.add_argument("run_dir")
    rp.add_argument("--county", default="", help="报告中的县名（默认取县设置或数据中的县名）")
    rp.add_argument("--settings", default=None, help="县设置文件（默认 结果目录上一级的 县设置.yaml）")
    rp.add_argument("--ledger", default="out/ledger.sqlite", help="台账文件，用于整改进度指标")
    rp.set_defaults(fn=cmd_report)
    sp = sub.add_parser("sample", help="生成抽查方案（Excel，随机种子可复现）")
    sp.add_argument("run_dir")
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--weighted", action="store_true", help="按保障金额加权抽取")
    sp.set_defaults(fn=cmd_sample)
    pk = sub.add_parser("packet", help="生成问题线索交办单（HTML 和 PDF）")
    pk.add_argument("run_dir")
    pk.add_argument("finding_ids", nargs="*", help="线索编号；不填则为前 --top 条高风险线索")
    pk.add_argument("--top", type=int, default=5)
    pk.add_argument("--settings", default=None, help="县设置文件（默认 结果目录上一级的 县设置.yaml）")
    pk.set_defaults(fn=cmd_packet)
    lg = sub.add_parser("ledger", help="线索台账：merge RUN_DIR / list / set FINDING_ID / export")
    lg.add_argument("action", choices=["merge", "list", "set", "export"])
    lg.add_argument("target", nargs="?", help="merge 时为结果目录，set 时为线索编号")
    lg.add_argument("--ledger", default="out/ledger.sqlite")
    lg.add_argument("--who", default="系统")
    lg.add_argument("--status")
    lg.add_argument("--assignee")
    lg.add_argument("--due")
    lg.add_argument("--note")
    lg.add_argument("--reason", help="不属实的原因：同名不同人、已备案、政策允许、数据错误、已整改完毕、其他")
    lg.add_argument("--out")
    lg.set_defaults(fn=cmd_ledger)
    u = sub.add_parser("users", help="管理仪表盘用户：users add NAME --role county|township|readonly；users list")
    u.add_argument("action", choices=["add", "list"])
    u.add_argument("name", nargs="?")
    u.add_argument("--users", default="out/sample/users.json", help="用户文件（默认 out/sample/users.json）")
    u.add_argument("--role", choices=["county", "township", "readonly"], default="readonly")
    u.add_argument("--township", default=None, help="乡镇角色的管辖乡镇")
    u.add_argument("--full-view", action="store_true", help="允许查看完整身份证号、账号、手机号")
    u.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码")
    u.set_defaults(fn=cmd_users)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "ledger":
        args.run_dir = args.finding_id = args.target
    try:
        return args.fn(args)
    except AuditError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
