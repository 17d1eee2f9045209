"""Long tables set by ReportLab (submissions/documents/tables.py): user text is escaped, a character
the body font lacks is set in the other font, the head repeats on every page, "N / M" at the foot,
and a missing font is a clear configuration error."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from pypdf import PdfReader

from submissions.documents import tables


def _text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_markup_escapes_what_users_type_and_falls_back_for_missing_characters():
    body, heading = tables.register_fonts()
    assert tables.markup("A&B <b>公司</b>") == "A&amp;B &lt;b&gt;公司&lt;/b&gt;"
    have, spare = tables._covers(body), tables._covers(heading)
    missing = next(chr(c) for c in sorted(spare) if c > 0x2000 and c not in have and not chr(c).isspace())
    assert tables.markup(f"甲{missing}乙") == f'甲<font name="{heading}">{missing}</font>乙'


def test_a_long_table_repeats_its_head_numbers_its_pages_and_keeps_every_row():
    head = ["序号", "企业名称", "得分"]
    rows = [[n, f"测试企业{n:03d}有限公司<&>", f"{n}.50"] for n in range(1, 121)]
    data, pages = tables.long_table_pdf(tables.LongTableDocument(
        title="汇总表", line="推荐地区（盖章）：章贡区", head=head, rows=rows, widths=[1, 4, 1], centred=(0, 2),
        plain=(0, 2), notes=("备注：1. 按得分排序",)))
    text = _text(data)
    assert pages == len(text) > 1
    for n, page in enumerate(text, start=1):
        assert "企业名称" in page and f"{n} / {pages}" in page
    flat = "".join(text)
    assert all(f"测试企业{n:03d}有限公司<&>" in flat for n in range(1, 121))
    assert "备注：1. 按得分排序" in text[-1]


def test_an_empty_table_says_so():
    data, pages = tables.long_table_pdf(tables.LongTableDocument(
        title="汇总表", line="推荐地区（盖章）：章贡区", head=["序号", "企业名称"], rows=[], widths=[1, 4],
        empty="尚未推荐任何申报。"))
    assert pages == 1 and "尚未推荐任何申报" in _text(data)[0]


def test_a_font_that_is_not_installed_is_a_clear_configuration_error():
    with pytest.raises(ImproperlyConfigured, match="not installed"):
        tables._font_file("No Such Font Family 12345")
