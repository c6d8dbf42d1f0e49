"""Term counts on an archive (from 20,000 passages on, from character-pair postings) equal the scan's.

`TermStats.df` weighs a question's terms by how many passages hold them. On an archive it tests
only the passages that hold every character pair of the term; up to `checked` such passages the
count must be exactly the one a test of every passage gives, for single terms, alternatives
("a|b") and conjunctions ("a&b"); above, a sample of them gives an estimate.
"""
from __future__ import annotations

import json
import random

from assistant.config import PROJECT_ROOT
from assistant.reader.terms import TermStats


def _terms(texts: list[str]) -> list[str]:
    rng = random.Random(7)
    out = []
    for _ in range(400):  # pieces of real passages, 1 to 6 characters
        t = rng.choice(texts)
        n = rng.randint(1, 6)
        i = rng.randrange(max(1, len(t) - n))
        out.append(t[i:i + n])
    for line in (PROJECT_ROOT / "eval" / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        q = json.loads(line)["question"] if line.strip() else ""
        out.extend(q[i:i + 4] for i in range(0, len(q), 3))  # pieces of real questions, English ones too
    out += [f"{a}|{b}" for a, b in zip(out[:100], out[100:200])]
    out += [f"{a}&{b}" for a, b in zip(out[200:300], out[300:400])]
    out += ["不存在的词语", "zzq", "pm2.5", "gdp", "𠀀", "a|", "&b"]
    return out


def test_counts_from_pair_postings_equal_the_scan(assistant) -> None:
    chunks = assistant.index.chunks
    scan, pairs = TermStats(chunks, postings_from=10**9), TermStats(chunks, postings_from=0)
    assert pairs._pairs is not None and scan._pairs is None
    terms = _terms(scan._texts)
    assert len(terms) > 800
    differ = [(t, scan.df(t), pairs.df(t)) for t in terms if scan.df(t) != pairs.df(t)]
    assert not differ, differ[:10]
    assert any(0 < scan.df(t) < len(chunks) for t in terms)  # counts that can differ were compared
    # the last passage and the first are found too
    assert pairs.df(scan._texts[-1][-3:]) == scan.df(scan._texts[-1][-3:]) >= 1
    assert pairs.df(scan._texts[0][:3]) == scan.df(scan._texts[0][:3]) >= 1


def test_counts_of_common_terms_from_a_sample_stay_close(assistant) -> None:
    chunks = assistant.index.chunks
    scan, sampled = TermStats(chunks, postings_from=10**9), TermStats(chunks, postings_from=0, checked=20)
    common = [t for t in ("发展", "建设", "推进", "经济", "加强|推动", "项目&建设") if scan.df(t) > 40]
    assert len(common) >= 4
    for term in common:  # 20 of the candidate passages tested, the count scaled to all of them
        assert abs(sampled.df(term) - scan.df(term)) <= 0.25 * scan.df(term), term
    rare = [t for t in _terms(scan._texts) if 0 < scan.df(t) <= 20]
    assert rare and all(sampled.df(t) == scan.df(t) for t in rare)  # few candidates: every one tested
