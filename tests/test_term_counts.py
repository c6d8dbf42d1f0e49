"""Term counts on an archive (from 20,000 passages on, searched in one joined text) equal the scan's.

`TermStats.df` weighs a question's terms by how many passages hold them. On an archive it finds
them with `str.find` over all passages joined, jumping to the next passage after a hit; the
count must be exactly the one a test of every passage gives, for single terms, alternatives
("a|b") and conjunctions ("a&b").
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


def test_counts_on_the_joined_text_equal_the_scan(assistant) -> None:
    chunks = assistant.index.chunks
    scan, joined = TermStats(chunks, joined_from=10**9), TermStats(chunks, joined_from=0)
    assert joined._joined is not None and scan._joined is None
    terms = _terms(scan._texts)
    assert len(terms) > 800
    differ = [(t, scan.df(t), joined.df(t)) for t in terms if scan.df(t) != joined.df(t)]
    assert not differ, differ[:10]
    assert any(0 < scan.df(t) < len(chunks) for t in terms)  # counts that can differ were compared
    # the last passage and the first are found too
    assert joined.df(scan._texts[-1][-3:]) == scan.df(scan._texts[-1][-3:]) >= 1
    assert joined.df(scan._texts[0][:3]) == scan.df(scan._texts[0][:3]) >= 1
