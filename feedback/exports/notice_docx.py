"""The DOCX draft of the notice's 找错 section, laid out like the seeds' notices.

Official-document layout (GB/T 9704, as the seeds are printed): A4, 仿宋 三号 body with a
two-character first-line indent on a fixed 28 pt line, 小标宋 二号 titles, 黑体 for the
附件 label, and the attachment table 序号 / 单位 / 存在的问题.
"""
from __future__ import annotations

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from feedback.timeutil import LOCAL

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEAD_FONT = "黑体"
NOTE_FONT = "楷体_GB2312"
BODY_SIZE = Pt(16)  # 三号
TITLE_SIZE = Pt(22)  # 二号
TABLE_SIZE = Pt(14)  # 四号
LINE = Pt(28)
COLUMNS = (Cm(1.8), Cm(5.2), Cm(8.6))
ATTACHMENT_TITLE = "“我为政府网站找错”网民留言办理存在问题的单位名单"
# Titles break where the meaning breaks, not where the line happens to end.
ATTACHMENT_TITLE_LINES = ("“我为政府网站找错”网民留言", "办理存在问题的单位名单")


def _font(run, name: str, size, *, bold: bool = False, color: RGBColor | None = None) -> None:
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _title(doc, lines) -> None:
    p = _paragraph(doc, lines[0], TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36))
    for line in lines[1:]:
        run = p.add_run()
        run.add_break()
        run = p.add_run(line)
        _font(run, TITLE_FONT, TITLE_SIZE)


def _paragraph(doc_or_cell, text: str, font: str = BODY_FONT, size=BODY_SIZE, *, align=None, indent: bool = False,
               bold: bool = False, line=LINE, color: RGBColor | None = None):
    p = doc_or_cell.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = line
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)  # two characters
    if align is not None:
        p.alignment = align
    _font(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = BODY_SIZE
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)


def _cell_text(cell, text: str, *, header: bool = False, center: bool = False) -> None:
    cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    _paragraph(cell, text, HEAD_FONT if header else BODY_FONT, TABLE_SIZE, line=Pt(22),
               align=WD_ALIGN_PARAGRAPH.CENTER if header or center else WD_ALIGN_PARAGRAPH.LEFT)


def _attachment_table(doc, lines, heading: str) -> None:
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for cell, title in zip(table.rows[0].cells, ("序号", heading, "存在的问题")):
        _cell_text(cell, title, header=True)
    for number, line in enumerate(lines, start=1):
        cells = table.add_row().cells
        _cell_text(cells[0], str(number), center=True)
        _cell_text(cells[1], line.name)
        _cell_text(cells[2], line.problems)
    # Word reads the cell widths, LibreOffice the grid: set both.
    for column, width in zip(table.columns, COLUMNS):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, COLUMNS):
            cell.width = width
    # repeat the header row on every page of a long table
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = tr_pr.makeelement(qn("w:tblHeader"), {qn("w:val"): "true"})
    tr_pr.append(header)


def totals_lines(a) -> list[str]:
    """合计 twice, named: the units' lines summed (each on its own clock, without 未分派) and the
    office's own figure on its own clock (the paragraph's headline)."""
    from feedback.exports.closure_sheet import TOTAL_NAME, office_name
    from feedback.formats import rate

    def figures(f) -> str:
        shown = rate(f.on_time_rate) or "—"
        return (f"收到留言{f.received}条，办结{f.closed}条，按期办结{f.on_time}条，超期办结{f.late}条，"
                f"超期未办结{f.overdue_open}条，按期办结率{shown}")

    return [f"合计　{TOTAL_NAME}：{figures(a.total)}。",
            f"合计　{office_name(a.root_name, a.root_top, a.unassigned or 0)}：{figures(a.office)}（即上文数字）。"]


def build(a):
    """The document for an Assessment (feedback.exports.assessment)."""
    doc = Document()
    _page(doc)
    _title(doc, (a.title, "“我为政府网站找错”留言办理情况"))
    cut = a.as_of.astimezone(LOCAL)
    rules = a.settings_at.astimezone(LOCAL)
    # a past window states the rules it used (DESIGN.md): the settings in force at its end
    note = (f"（通报草稿，数据截至{cut.year}年{cut.month}月{cut.day}日{cut:%H:%M}；"
            f"期限、扣分规则和措辞按{rules.year}年{rules.month}月{rules.day}日有效的设置）")
    _paragraph(doc, note, NOTE_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, color=RGBColor(0x59, 0x59, 0x59))
    _paragraph(doc, "", line=LINE)
    _paragraph(doc, a.paragraph, indent=True)
    # the two 合计 for the office to check the paragraph against (a draft's note, not the notice)
    _paragraph(doc, "", line=LINE)
    for text in totals_lines(a):
        _paragraph(doc, text, NOTE_FONT, TABLE_SIZE, color=RGBColor(0x59, 0x59, 0x59), line=Pt(22))
    problems = a.problem_lines
    if problems:
        _paragraph(doc, "", line=LINE)
        _paragraph(doc, f"附件：{ATTACHMENT_TITLE}", indent=True)
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _paragraph(doc, "附件", HEAD_FONT, BODY_SIZE)
        _paragraph(doc, "", line=LINE)
        _title(doc, ATTACHMENT_TITLE_LINES)
        _paragraph(doc, "", line=LINE)
        _attachment_table(doc, problems, a.attachment_heading)
    return doc


def write_docx(a, path: str) -> None:
    build(a).save(path)
