"""County self-audit report (自查报告) in the usual government document layout, as HTML and PDF.

Charts are plotly figures rendered in the page; the PDF is printed by headless Chromium (Debian's
``chromium``), so Chinese text uses the installed Noto CJK fonts. Personal numbers are masked.
"""
from __future__ import annotations

import datetime as dt
import html
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd

from audit import figures
from audit.catalogue import FAMILY_ZH
from audit.results import SEVERITY_ZH, RunResults, masked
from audit.scoring import rank

__all__ = ["self_audit_html", "write_report", "rectification_indicators"]

CSS = """
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", "SimSun", serif; max-width: 820px; margin: 40px auto;
       color: #111; line-height: 1.9; font-size: 16px; }
.red-head { color: #c00; text-align: center; font-size: 30px; letter-spacing: 4px; font-weight: bold;
            border-bottom: 3px solid #c00; padding-bottom: 10px; }
h1 { text-align: center; font-size: 22px; margin: 28px 0; }
h2 { font-size: 17px; font-family: "Noto Sans CJK SC", sans-serif; margin-top: 26px; }
p { text-indent: 2em; margin: 6px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin: 10px 0; }
th, td { border: 1px solid #444; padding: 4px 6px; text-align: left; }
th { background: #f2f2f2; }
.note { color: #555; font-size: 13px; }
.sign { text-align: right; margin-top: 40px; }
"""


def rectification_indicators(findings: pd.DataFrame, ledger: pd.DataFrame | None) -> dict[str, str]:
    """Home-visit, removal, recovery and ledger-to-system consistency rates from the ledger."""
    if ledger is None or ledger.empty:
        return {"核实率": "尚未建立台账", "整改率": "尚未建立台账", "追缴进度": "尚未建立台账", "台账与系统一致率": "尚未建立台账"}
    active = ledger[ledger.status != "已消除"]
    checked = active.status.isin(["核实中", "属实", "部分属实", "不属实", "整改中", "已整改", "已移交纪检"]).mean()
    true = active[active.status.isin(["属实", "部分属实", "整改中", "已整改", "已移交纪检"])]
    fixed = true.status.isin(["已整改", "已移交纪检"]).mean() if len(true) else 0.0
    consistent = ledger.finding_id.isin(set(findings.finding_id)).where(ledger.status != "已消除", True).mean()
    return {"核实率": f"{checked:.1%}", "整改率": f"{fixed:.1%}（{len(true)}条属实线索）",
            "追缴进度": f"{true.status.eq('已整改').mean() if len(true) else 0:.1%}",
            "台账与系统一致率": f"{consistent:.1%}"}


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def self_audit_html(res: RunResults, profile, county: str = "", ledger: pd.DataFrame | None = None,
                    top: int = 10) -> str:
    f, run = res.findings, res.run
    county = county or "本县"
    rows = run["row_counts"]
    n_cases = rows.get("cases", {}).get("loaded", 0)
    n_persons = rows.get("persons", {}).get("loaded", 0)
    by_family = f.groupby("family").agg(线索数=("rule", "size"), 高=("severity", lambda s: (s == "high").sum()),
                                        中=("severity", lambda s: (s == "medium").sum()),
                                        低=("severity", lambda s: (s == "low").sum())).reset_index()
    by_family.insert(0, "问题类型", by_family.pop("family").map(lambda x: f"{x} {FAMILY_ZH.get(x, '')}"))
    by_town = f.assign(乡镇=f.township.fillna("（无法定位乡镇）")).groupby("乡镇").size().rename("线索数").reset_index()
    ranked = rank(f, profile).head(top)
    top_rows = masked(ranked.rename(columns={"case_id": "低保编号", "score": "风险分", "reasons": "主要问题",
                                             "township": "乡镇", "money": "涉及金额（元）"}))[
        ["低保编号", "乡镇", "风险分", "主要问题", "涉及金额（元）"]]
    ind = rectification_indicators(f, ledger)
    fig1 = figures.findings_by_family(f).to_html(full_html=False, include_plotlyjs="inline", config={"staticPlot": True})
    fig2 = figures.findings_by_township(f).to_html(full_html=False, include_plotlyjs=False, config={"staticPlot": True})
    skipped = [f"{c}（{v['reason']}）" for c, v in run["rules"].items() if v["status"] != "ran"]
    today = dt.date.today()
    sev = {SEVERITY_ZH[k]: int((f.severity == k).sum()) for k in ("high", "medium", "low")}
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{county}最低生活保障自查报告</title>
<style>{CSS}</style></head><body>
<div class="red-head">{html.escape(county)}民政局</div>
<h1>关于{html.escape(county)}城乡低保专项治理自查情况的报告</h1>
<p>根据{html.escape(run['profile']['name'])}政策口径（{html.escape('、'.join(run['profile']['chain'][:3]))}等文件），
我局以{run['as_of']}为核查基准日，对全县城乡低保对象开展了数据比对和自查，现将有关情况报告如下。</p>
<h2>一、基本情况</h2>
<p>本次共导入户籍人口{n_persons:,}人、低保名册{n_cases:,}户，比对发放记录、账户流水、复核、评议、公示及车辆、工商、
财政供养、死亡殡葬等数据，运行检查规则{run['rules_summary']['ran']}条。导入时发现并登记数据问题{run['rejects']:,}条，均已列入数据质量清单。</p>
<h2>二、发现的主要问题</h2>
<p>共发现问题线索{len(f):,}条，其中高风险（需纪检核查）{sev['高']:,}条、中风险（需整改）{sev['中']:,}条、
低风险（数据与程序）{sev['低']:,}条，分类情况如下。</p>
{_table(by_family)}
{fig1}
{fig2}
{_table(by_town)}
<h2>三、整改推进情况</h2>
<p>核实率 {ind['核实率']}；整改率 {ind['整改率']}；追缴进度 {ind['追缴进度']}；台账与系统一致率 {ind['台账与系统一致率']}。</p>
<h2>四、重点问题线索</h2>
<p>按风险分排序的前{len(top_rows)}条线索如下（身份证号、账号已脱敏），建议优先入户核实。</p>
{_table(top_rows)}
<h2>五、下一步工作</h2>
<p>一是对高风险线索逐条入户核实，涉及干部及其近亲属的移交纪检监察机关；二是对逾期复核、程序缺失的案件限期整改；
三是对应追缴资金建立台账、限期追回；四是完善近亲属备案、银行卡管理和公示脱敏制度，防止问题反弹。</p>
<p class="note">未运行的规则：{html.escape('；'.join(skipped) or '无')}。</p>
<div class="sign">{html.escape(county)}民政局<br>{today.year}年{today.month}月{today.day}日</div>
</body></html>"""


def write_report(res: RunResults, profile, out_dir: Path, county: str = "", ledger: pd.DataFrame | None = None) -> list[Path]:
    """Write 自查报告.html and, where Chromium is installed, 自查报告.pdf."""
    page = out_dir / "自查报告.html"
    page.write_text(self_audit_html(res, profile, county, ledger), encoding="utf-8")
    written = [page]
    pdf = print_pdf(page)
    if pdf:
        written.append(pdf)
    return written


def print_pdf(page: Path) -> Path | None:
    """Print an HTML file to PDF with headless Chromium; None when no Chromium is installed."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        return None
    pdf = page.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as profile_dir:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={profile_dir}", "--no-pdf-header-footer", "--virtual-time-budget=15000",
                        f"--print-to-pdf={pdf}", page.resolve().as_uri()],
                       check=True, capture_output=True, timeout=180)
    return pdf
