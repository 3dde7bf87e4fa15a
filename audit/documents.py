"""Documents as blocks (headings, paragraphs, tables, charts) rendered to HTML, PDF and Word (.docx).

Word files are built with python-docx (a maintained library: styles, tables and pictures without
hand-written OOXML); charts go into Word as PNG pictures rendered by headless Chromium.
"""

from __future__ import annotations

import html
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from audit.store import atomic_write

__all__ = ["Block", "to_html", "to_docx", "chromium", "print_pdf", "write_all", "CSS"]

Block = tuple[
    str, Any
]  # ("red", text) ("h1", text) ("h2", text) ("p", text) ("table", frame) ("fig", figure) ("sign", text)

CSS = """
@page { size: A4; margin: 37mm 26mm 35mm 28mm; }   /* GB/T 9704: A4, 天头37mm, 订口28mm, 版心156×225mm */
@media print { body { max-width: none; margin: 0; } }
.fig, tr { break-inside: avoid; page-break-inside: avoid; }   /* a chart or a table row never splits across pages */
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
.sign { text-align: right; margin-top: 40px; }
"""


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def _browser_args(profile_dir: str) -> list[str]:
    return [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile_dir}",
    ]


def _table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.fillna("").itertuples(index=False)
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def to_html(blocks: list[Block], title: str) -> str:
    parts, js = [], "inline"
    for kind, value in blocks:
        if kind == "red":
            parts.append(f'<div class="red-head">{html.escape(value)}</div>')
        elif kind in ("h1", "h2"):
            parts.append(f"<{kind}>{html.escape(value)}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{html.escape(value)}</p>")
        elif kind == "sign":
            parts.append(f'<div class="sign">{html.escape(value).replace(chr(10), "<br>")}</div>')
        elif kind == "table":
            parts.append(_table_html(value))
        elif kind == "fig":
            parts.append(
                '<div class="fig">'
                + value.to_html(full_html=False, include_plotlyjs=js, config={"staticPlot": True})
                + "</div>"
            )
            js = False
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def print_pdf(page: Path) -> Path | None:
    """Print an HTML file to PDF with headless Chromium; None when no Chromium is installed."""
    browser = chromium()
    if not browser:
        return None
    pdf = page.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as profile_dir:
        atomic_write(
            pdf,
            lambda tmp: subprocess.run(
                [
                    browser,
                    *_browser_args(profile_dir),
                    "--no-pdf-header-footer",
                    "--virtual-time-budget=15000",
                    f"--print-to-pdf={tmp}",
                    page.resolve().as_uri(),
                ],
                check=True,
                capture_output=True,
                timeout=180,
            ),
        )
    return pdf


def _figure_png(fig, folder: Path, name: str) -> Path | None:
    browser = chromium()
    if not browser:
        return None
    page = folder / f"{name}.html"
    fig = fig.update_layout(width=900, height=500)
    page.write_text(
        fig.to_html(full_html=True, include_plotlyjs="inline", config={"staticPlot": True}), encoding="utf-8"
    )
    png = folder / f"{name}.png"
    with tempfile.TemporaryDirectory() as profile_dir:
        subprocess.run(
            [
                browser,
                *_browser_args(profile_dir),
                "--window-size=940,540",
                "--hide-scrollbars",
                "--virtual-time-budget=10000",
                f"--screenshot={png}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return png if png.exists() else None


def to_docx(blocks: list[Block], path: Path) -> Path:
    """A Word document in the same order as the HTML; charts as pictures where Chromium is installed."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    for section in doc.sections:  # A4 with the GB/T 9704 margins (python-docx defaults to US Letter)
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "SimSun", Pt(12)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (kind, value) in enumerate(blocks):
            if kind == "red":
                p = doc.add_paragraph()
                run = p.add_run(value)
                run.bold, run.font.size, run.font.color.rgb = True, Pt(22), RGBColor(0xC0, 0, 0)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif kind == "h1":
                p = doc.add_paragraph()
                run = p.add_run(value)
                run.bold, run.font.size = True, Pt(16)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif kind == "h2":
                run = doc.add_paragraph().add_run(value)
                run.bold = True
            elif kind == "p":
                doc.add_paragraph(value).paragraph_format.first_line_indent = Cm(0.85)
            elif kind == "sign":
                for line in value.split("\n"):
                    doc.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
            elif kind == "table":
                frame = value.fillna("")
                t = doc.add_table(rows=1, cols=len(frame.columns))
                t.style = "Table Grid"
                for cell, col in zip(t.rows[0].cells, frame.columns):
                    cell.text = str(col)
                for row in frame.itertuples(index=False):
                    for cell, v in zip(t.add_row().cells, row):
                        cell.text = str(v)
            elif kind == "fig":
                png = _figure_png(value, Path(tmp), f"fig{i}")
                if png:
                    doc.add_picture(str(png), width=Cm(15.5))
                else:
                    doc.add_paragraph("（图表见 PDF 版：本机未安装 Chromium）")
        atomic_write(path, lambda tmp: doc.save(str(tmp)))
    return path


def write_all(blocks: list[Block], page: Path, title: str, word: bool = True) -> list[Path]:
    """``page`` (.html), the same as .pdf where Chromium is installed, and as .docx."""
    atomic_write(page, lambda tmp: tmp.write_text(to_html(blocks, title), encoding="utf-8"))
    written = [page]
    pdf = print_pdf(page)
    if pdf:
        written.append(pdf)
    if word:
        written.append(to_docx(blocks, page.with_suffix(".docx")))
    return written
