"""Build assistant/data/gazetteer.tsv from JioNLP's gazetteer of Chinese administrative divisions.

Run at development time only (the project never downloads anything at run time):

    pip download --no-deps jionlp==1.5.31 -d jio && unzip -o jio/jionlp-*.whl -d jio
    python scripts/build_gazetteer.py jio/jionlp/dictionary/china_location.zip

Source: JioNLP 1.5.31 (Apache License 2.0), dictionary/china_location.zip, which lists
province → prefecture → county (then towns and villages, which are dropped here) with
adcodes and short forms. Output columns: adcode, name, short, level, parent adcode, pinyin
spellings of the short form (or the name) joined by "|" (computed here with pypinyin so that
loading the gazetteer at run time needs no pinyin conversion).
"""
from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from assistant.places import _pinyin_keys  # noqa: E402  (the same spelling rules as at run time)

OUT = ROOT / "assistant" / "data" / "gazetteer.tsv"
LEVELS = {0: "province", 1: "city", 2: "county"}


def main(zip_path: str) -> None:
    with zipfile.ZipFile(zip_path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".txt"))
        text = io.TextIOWrapper(zf.open(name), encoding="utf-8").read()
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    stack: dict[int, tuple[str, str]] = {}  # depth → (adcode, name) of the current ancestor
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip("\t").split("\t")
        if depth > 2 or len(parts) < 2 or not parts[1].isdigit():
            continue
        name, adcode = parts[0].strip(), parts[1].strip()
        short = parts[2].strip() if len(parts) > 2 else ""
        parent = stack.get(depth - 1)
        # a municipality's city row repeats the province; "省直辖行政区划" is a grouping, not a place
        if name == "省直辖行政区划" or (parent and parent[1] == name):
            stack[depth] = parent or (adcode, name)
            continue
        stack[depth] = (adcode, name)
        for d in list(stack):
            if d > depth:
                del stack[d]
        if adcode in seen:
            continue
        seen.add(adcode)
        if not (short and short != name and name.startswith(short) and len(short) >= 2):
            short = ""
        rows.append((adcode, name, short, LEVELS[depth], parent[0] if parent else "", "|".join(_pinyin_keys(short or name))))
    rows.sort()
    header = "# Chinese administrative divisions (province, prefecture, county level).\n" \
             "# Derived from JioNLP 1.5.31 dictionary/china_location.zip (Apache License 2.0) by scripts/build_gazetteer.py.\n" \
             "adcode\tname\tshort\tlevel\tparent\tpinyin\n"
    OUT.write_text(header + "".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    print(f"wrote {len(rows)} divisions to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
