"""The section parser on both bundled reports: headings found, offsets point at the right text."""
from __future__ import annotations

from assistant.sections import FRONT, GLOSSARY, parse_outline
from assistant.text import normalize

DONGCHUAN = "dongchuan-2026-government-work-report"
KUNMING = "kunming-2025-government-work-report-summary"


def _titles(outline, level):
    return [s.title for s in outline.sections if s.level == level]


def test_dongchuan_top_level_headings(reports):
    outline = parse_outline(reports[DONGCHUAN].text)
    assert _titles(outline, 1) == [
        "一、“十四五”时期和2025年工作回顾",
        "二、“十五五”时期主要目标任务",
        "三、2026年重点工作",
        GLOSSARY,
    ]


def test_dongchuan_second_level_headings(reports):
    level2 = _titles(parse_outline(reports[DONGCHUAN].text), 2)
    # five 十五五 tasks and eight 2026 work areas
    assert len(level2) == 13
    assert level2[0].startswith("(一)锚定产业强区主攻方向")
    assert level2[5].startswith("(一)攻坚重点产业")
    assert level2[-1].startswith("(八)勇于自我革命")


def test_lead_sentences_become_section_titles(reports):
    text = reports[DONGCHUAN].text
    outline = parse_outline(text)
    leads = _titles(outline, 3)
    assert "巩固提升铜磷支柱地位" in leads
    assert "聚力稳增长,经济发展持续向好" in leads
    block = next(b for b in outline.blocks if b.path[-1] == "巩固提升铜磷支柱地位")
    assert block.path == ("三、2026年重点工作", "(一)攻坚重点产业,在做大做强工业“主引擎”上奋发作为", "巩固提升铜磷支柱地位")
    assert text[block.start:block.end].startswith("巩固提升铜磷支柱地位。")


def test_glossary_entries_are_their_own_blocks(reports):
    text = reports[DONGCHUAN].text
    entries = [b for b in parse_outline(text).blocks if b.kind == "glossary"]
    assert len(entries) == 33
    six = next(b for b in entries if b.path[-1] == "“六个东川”")
    assert text[six.start:six.end] == "3.“六个东川”:实力东川、幸福东川、开放东川、绿美东川、平安东川、和谐东川。"


def test_every_offset_points_at_its_text(reports):
    for report in reports.values():
        text = report.text
        outline = parse_outline(text)
        for section in outline.sections:
            assert normalize(text[section.start:section.end]).startswith(section.title) or section.level == 4
            assert 0 <= section.start < section.end <= len(text)
        for block in outline.blocks:
            piece = text[block.start:block.end]
            assert piece == piece.strip() and piece
        # blocks do not overlap and appear in order
        starts = [b.start for b in outline.blocks]
        assert starts == sorted(starts)
        assert all(a.end <= b.start for a, b in zip(outline.blocks, outline.blocks[1:]))


def test_kunming_news_summary_outline(reports):
    text = reports[KUNMING].text
    outline = parse_outline(text)
    level1 = _titles(outline, 1)
    assert len(level1) == 8
    assert level1[0] == "一、千方百计扩大内需,推动经济平稳健康发展"
    assert level1[-1].startswith("八、守牢安全底线")
    front = outline.blocks[0]
    assert front.kind == "front" and front.path == (FRONT,)
    assert "昆明会堂" in text[front.start:front.end]
    assert "加快重大项目建设" in _titles(outline, 3)


def test_full_width_headings_are_recognised():
    text = "一、总体要求\n（一）稳增长\n推进项目建设。全年新开工项目100个。\n二、重点任务\n(二)惠民生\n办好民生实事。新增就业1万人。\n"
    outline = parse_outline(text)
    assert _titles(outline, 1) == ["一、总体要求", "二、重点任务"]
    assert _titles(outline, 2) == ["(一)稳增长", "(二)惠民生"]
    paths = [b.path for b in outline.blocks]
    assert paths == [("一、总体要求", "(一)稳增长", "推进项目建设"), ("二、重点任务", "(二)惠民生", "办好民生实事")]


def _check_blocks(text, outline):
    for block in outline.blocks:
        piece = text[block.start:block.end]
        assert piece == piece.strip() and piece
    assert all(a.end <= b.start for a, b in zip(outline.blocks, outline.blocks[1:]))


def test_a_copy_that_lost_its_line_breaks_gets_its_outline_back():
    # a real city report copied as one 16,000-character line: "2023年工作回顾2023年是…",
    # "…(一)千方百计稳增长，经济发展质效稳中有升。项目投资拉动有力。…", "2024年工作安排建议2024年是…"
    from conftest import MORE_LEVELS, dev_reports

    text = (dev_reports(MORE_LEVELS) / "2024-luzhou-government-work-report.txt").read_text(encoding="utf-8")
    assert "\n" not in text.strip()
    outline = parse_outline(text)
    assert _titles(outline, 1) == ["2023年工作回顾", "2024年工作安排建议"]
    level2 = _titles(outline, 2)
    assert len(level2) == 14  # (一)…(七) of the review, 一、…七、 of the plan
    assert level2[0] == "(一)千方百计稳增长,经济发展质效稳中有升"
    _check_blocks(text, outline)
    assert len(outline.blocks) > 50  # paragraphs at their topic sentences, not one block
    plan = next(b for b in outline.blocks if "大力实施项目投资攻坚行动" in text[b.start:b.end]
                or "项目为王" in text[b.start:b.end])
    assert plan.path[0] == "2024年工作安排建议" and plan.path[1].startswith("一、聚焦抓项目增效益")
    review = next(b for b in outline.blocks if text[b.start:b.end].startswith("项目投资拉动有力。"))
    assert review.path == ("2023年工作回顾", "(一)千方百计稳增长,经济发展质效稳中有升", "项目投资拉动有力")


def test_the_bundled_report_joined_into_one_line_keeps_its_parts(reports):
    text = reports[DONGCHUAN].text
    one_line = "".join(line.strip() for line in text.splitlines())
    outline = parse_outline(one_line)
    _check_blocks(one_line, outline)
    level1 = _titles(outline, 1)
    assert "一、“十四五”时期和2025年工作回顾" in level1 and "三、2026年重点工作" in level1
    # a numbered heading runs into its first paragraph's topic ("…上奋发作为巩固提升铜磷支柱地位"): still found
    original = _titles(parse_outline(text), 2)
    found = [t for t in original if any(s.startswith(t) for s in _titles(outline, 2))]
    assert len(found) >= 0.6 * len(original)
