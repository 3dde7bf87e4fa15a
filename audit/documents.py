"""Documents as blocks rendered to HTML, PDF and Word (.docx) in the layout of GB/T 9704-2012
(党政机关公文格式): A4, 天头37mm, 订口28mm, 版心156×225mm; 发文机关标志 in red over a red rule, 文号
centred under it; 标题 in 2号小标宋; 一级标题 黑体, 二级 楷体, 三级 仿宋加粗; 正文 3号仿宋, 22 lines a
page; page numbers in 4号宋体 “— 1 —”, odd pages on the right, even pages on the left, one character
in from the edge. Where 方正小标宋/仿宋_GB2312/楷体_GB2312 are not installed the Noto CJK fonts stand in.

Word files are built with python-docx (a maintained library: styles, tables and pictures without
hand-written OOXML) on its template with the 公文 styles set on Title and Heading 1–3 (East Asian font
included), so a clerk can restyle the whole document by editing a style. Charts go into Word as PNG
pictures rendered by headless Chromium; in PDF a chart or a table row never splits across pages.

Blocks: ("mark", 发文机关标志) ("docno", 文号) ("title", 标题) ("h1"|"h2"|"h3", heading text — numbered
一、/（一）/1. here, in order, so sections never skip a number) ("p", text) ("table", frame)
("fig", plotly figure) ("sign", "署名\n日期").
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

__all__ = ["Block", "to_html", "to_docx", "chromium", "print_pdf", "write_all", "numbered", "date_zh", "CSS"]

Block = tuple[str, Any]

# font stacks: the 公文 font first, then what Windows/macOS call it, then the Noto CJK stand-in
FONTS = {
    "title": ("方正小标宋简体", "FZXiaoBiaoSong-B05S", "Noto Serif CJK SC"),
    "fang": ("仿宋_GB2312", "仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC"),
    "hei": ("黑体", "SimHei", "Noto Sans CJK SC"),
    "kai": ("楷体_GB2312", "楷体", "KaiTi", "STKaiti", "Noto Serif CJK SC"),
    "song": ("宋体", "SimSun", "Noto Serif CJK SC"),
}


def _css_font(kind: str) -> str:
    return ", ".join(f'"{f}"' for f in FONTS[kind]) + (", sans-serif" if kind == "hei" else ", serif")


_PAGE_NO = '"— " counter(page) " —"'
CSS = f"""
@page {{ size: A4; margin: 37mm 26mm 35mm 28mm;
  @bottom-right {{ content: {_PAGE_NO}; font-family: {_css_font("song")}; font-size: 14pt; padding-right: 14pt;
                   vertical-align: top; padding-top: 7mm; }} }}
@page :left {{ @bottom-left {{ content: {_PAGE_NO}; font-family: {_css_font("song")}; font-size: 14pt;
                   padding-left: 14pt; vertical-align: top; padding-top: 7mm; }}
               @bottom-right {{ content: none; }} }}
@media print {{ body {{ max-width: none; margin: 0; }} }}
.fig, tr, .sign {{ break-inside: avoid; page-break-inside: avoid; }}
h1, h2, h3, .title {{ break-after: avoid; page-break-after: avoid; }}
thead {{ display: table-header-group; }}
body {{ font-family: {_css_font("fang")}; font-size: 16pt; line-height: 28.95pt; color: #000;
        max-width: 156mm; margin: 20px auto; }}
.mark {{ color: #d00; text-align: center; font-family: {_css_font("title")}; font-size: 30pt; line-height: 1.4;
         letter-spacing: 2pt; font-weight: bold; margin-top: 0; }}
.docno {{ text-align: center; margin-top: 14pt; }}
.rule {{ border-bottom: 2pt solid #d00; margin: 4pt 0 28pt 0; }}
.title {{ text-align: center; font-family: {_css_font("title")}; font-size: 22pt; line-height: 1.6; font-weight: bold;
          margin: 28.95pt 0; }}
h1 {{ font-family: {_css_font("hei")}; font-size: 16pt; font-weight: normal; margin: 0; text-indent: 2em; }}
h2 {{ font-family: {_css_font("kai")}; font-size: 16pt; font-weight: normal; margin: 0; text-indent: 2em; }}
h3 {{ font-family: {_css_font("fang")}; font-size: 16pt; font-weight: bold; margin: 0; text-indent: 2em; }}
p {{ text-indent: 2em; margin: 0; text-align: justify; word-break: break-all; }}
table {{ border-collapse: collapse; width: 100%; font-size: 12pt; line-height: 1.5; margin: 8pt 0; }}
th, td {{ border: 0.75pt solid #000; padding: 2pt 4pt; text-align: left; vertical-align: top; }}
th {{ font-family: {_css_font("hei")}; font-weight: normal; }}
td.num {{ text-align: right; white-space: nowrap; }}
td.short {{ white-space: nowrap; }}
.fig {{ margin: 8pt 0; }}
.sign {{ text-align: right; margin-top: 14pt; padding-right: 4em; break-before: avoid; }}
"""

_CN = "零一二三四五六七八九十"


def _cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十."""
    if n <= 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return (_CN[tens] if tens > 1 else "") + "十" + (_CN[ones] if ones else "")


def numbered(blocks: list[Block]) -> list[Block]:
    """Headings numbered in order — 一、 for h1, （一） for h2 under it, 1. for h3 — so a section left out
    never leaves a gap in the numbering."""
    out, count = [], [0, 0, 0]
    for kind, value in blocks:
        if kind in ("h1", "h2", "h3"):
            level = int(kind[1]) - 1
            count[level] += 1
            count[level + 1 :] = [0] * (2 - level)
            n = count[level]
            value = (f"{_cn_number(n)}、", f"（{_cn_number(n)}）", f"{n}.")[level] + value
        out.append((kind, value))
    return out


def date_zh(d) -> str:
    """2024-12-31 → 2024年12月31日 (GB/T 9704: 成文日期 in Arabic numerals, no leading zeros)."""
    d = pd.Timestamp(d)
    return f"{d.year}年{d.month}月{d.day}日"


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


def _cell(v) -> str:
    """A table cell as text: whole numbers without “.0”, thousands separated from 10,000 up, money to the fen."""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.2f}".rstrip("0").rstrip(".")
    return str(v)


_NUM_TD = '<td class="num">'
_SHORT_TD = '<td class="short">'


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    cells = frame.astype(object).fillna("")
    opening = [
        _NUM_TD
        if pd.api.types.is_numeric_dtype(frame[c])
        else _SHORT_TD
        if len(cells) and cells[c].map(lambda v: _display_width(_cell(v))).max() <= 14  # dates, names: one line
        else "<td>"
        for c in frame.columns
    ]
    body = "".join(
        "<tr>" + "".join(td + f"{html.escape(_cell(v))}</td>" for v, td in zip(row, opening)) + "</tr>"
        for row in cells.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _fig_html(fig, js) -> str:
    fig = fig.update_layout(width=None, height=min(fig.layout.height or 420, 460), autosize=True)
    return fig.to_html(
        full_html=False,
        include_plotlyjs=js,
        default_width="100%",
        config={"staticPlot": True, "responsive": True},
    )


def to_html(blocks: list[Block], title: str) -> str:
    parts, js = [], "inline"
    blocks = numbered(blocks)
    has_docno = any(k == "docno" for k, _ in blocks)
    for kind, value in blocks:
        if kind == "mark":
            parts.append(f'<div class="mark">{html.escape(value)}</div>')
            if not has_docno:
                parts.append('<div class="rule"></div>')
        elif kind == "docno":
            parts.append(f'<div class="docno">{html.escape(value)}</div><div class="rule"></div>')
        elif kind == "title":
            parts.append(f'<div class="title">{html.escape(value)}</div>')
        elif kind in ("h1", "h2", "h3"):
            parts.append(f"<{kind}>{html.escape(value)}</{kind}>")
        elif kind == "p":
            parts.append(f"<p>{html.escape(value)}</p>")
        elif kind == "sign":
            parts.append(f'<div class="sign">{html.escape(value).replace(chr(10), "<br>")}</div>')
        elif kind == "table":
            parts.append(_table_html(value))
        elif kind == "fig":
            parts.append(f'<div class="fig">{_fig_html(value, js)}</div>')
            js = False
        else:
            raise ValueError(f"unknown block kind {kind!r}")
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


def _set_font(style_or_run, kind: str, size: float | None = None, bold: bool | None = None) -> None:
    """Latin and East Asian font of a style or run; theme fonts removed (they would override the names)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    font = style_or_run.font
    font.name = "Times New Roman" if kind != "hei" else FONTS[kind][0]
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    font.italic = False
    font.color.rgb = RGBColor(0, 0, 0)
    el = style_or_run.element
    rpr = el.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        if attr.endswith("Theme"):
            del fonts.attrib[attr]
    fonts.set(qn("w:eastAsia"), FONTS[kind][0])


def _gongwen_styles(doc) -> None:
    """Normal, Title, Heading 1–3 and a table-text style in the GB/T 9704 fonts and sizes."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    line = Pt(28.95)  # 22 lines in the 225 mm type area
    spec = {
        "Normal": ("fang", 16, False, None),
        "Title": ("title", 22, False, WD_ALIGN_PARAGRAPH.CENTER),
        "Heading 1": ("hei", 16, False, None),
        "Heading 2": ("kai", 16, False, None),
        "Heading 3": ("fang", 16, True, None),
    }
    for name, (kind, size, bold, align) in spec.items():
        st = doc.styles[name]
        _set_font(st, kind, size, bold)
        pf = st.paragraph_format
        pf.line_spacing, pf.space_before, pf.space_after = line, Pt(0), Pt(0)
        if name.startswith("Heading"):
            pf.first_line_indent = Pt(32)
            pf.keep_with_next = True
        if name == "Title":
            pf.space_before, pf.space_after = line, line
            ppr = st.element.get_or_add_pPr()
            for border in ppr.findall(qn("w:pBdr")):  # the template's Title has a rule under it
                ppr.remove(border)
        if align is not None:
            pf.alignment = align
    table_text = doc.styles.add_style("表格文字", WD_STYLE_TYPE.PARAGRAPH)
    table_text.base_style = doc.styles["Normal"]
    _set_font(table_text, "fang", 12)
    table_text.paragraph_format.line_spacing = 1.15
    table_text.paragraph_format.first_line_indent = Pt(0)


def _page_number(paragraph) -> None:
    """— PAGE — as a Word field in 4号宋体."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def run(text=None, field=None):
        r = paragraph.add_run(text or "")
        _set_font(r, "song", 14)
        if field:
            for kind in ("begin", None, "end"):
                if kind is None:
                    instr = OxmlElement("w:instrText")
                    instr.set(qn("xml:space"), "preserve")
                    instr.text = field
                    r._r.append(instr)
                else:
                    fc = OxmlElement("w:fldChar")
                    fc.set(qn("w:fldCharType"), kind)
                    r._r.append(fc)
        return r

    run("— ")
    run(field="PAGE")
    run(" —")


def _footers(doc) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    doc.settings.odd_and_even_pages_header_footer = True
    for section in doc.sections:
        for footer, align, side in (
            (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
            (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
        ):
            p = footer.paragraphs[0]
            p.alignment = align
            setattr(p.paragraph_format, f"{side}_indent", Pt(14))
            p.paragraph_format.first_line_indent = Pt(0)
            _page_number(p)


def _repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def to_docx(blocks: list[Block], path: Path) -> Path:
    """A Word document in the same order as the HTML; charts as pictures where Chromium is installed."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    for section in doc.sections:  # A4 with the GB/T 9704 margins (python-docx defaults to US Letter)
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        section.footer_distance = Cm(2.8)
    _gongwen_styles(doc)
    _footers(doc)
    blocks = numbered(blocks)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (kind, value) in enumerate(blocks):
            if kind == "mark":
                p = doc.add_paragraph()
                run = p.add_run(value)
                _set_font(run, "title", 30, True)
                run.font.color.rgb = RGBColor(0xDD, 0, 0)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.paragraph_format.first_line_indent = Pt(0)
            elif kind == "docno":
                p = doc.add_paragraph(value)
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
                p.paragraph_format.first_line_indent = Pt(0)
            elif kind == "title":
                doc.add_paragraph(value, style="Title")
            elif kind in ("h1", "h2", "h3"):
                doc.add_paragraph(value, style=f"Heading {kind[1]}")
            elif kind == "p":
                doc.add_paragraph(value).paragraph_format.first_line_indent = Pt(32)
            elif kind == "sign":
                for line in value.split("\n"):
                    p = doc.add_paragraph(line)
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                    p.paragraph_format.right_indent = Pt(64)
            elif kind == "table":
                frame = value.astype(object).fillna("")
                t = doc.add_table(rows=1, cols=len(frame.columns))
                t.style = "Table Grid"
                _repeat_header(t.rows[0])
                for cell, col in zip(t.rows[0].cells, frame.columns):
                    cell.paragraphs[0].style = "表格文字"
                    cell.paragraphs[0].add_run(str(col)).bold = True
                for row in frame.itertuples(index=False):
                    for cell, v in zip(t.add_row().cells, row):
                        cell.paragraphs[0].style = "表格文字"
                        cell.paragraphs[0].add_run(_cell(v))
            elif kind == "fig":
                png = _figure_png(value, Path(tmp), f"fig{i}")
                if png:
                    doc.add_picture(str(png), width=Cm(15.6))
                    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
                    doc.paragraphs[-1].paragraph_format.first_line_indent = Pt(0)
                else:
                    doc.add_paragraph("（本机未安装生成图片所需的浏览器组件，图表请见网页版报告）")
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
