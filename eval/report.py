"""metrics.json, report.md and report.html for an evaluation run.

report.md links the PNGs in `plots/` next to it; report.html embeds them as
base64 so the one file can be mailed or attached to a CI run as is.
"""
from __future__ import annotations

import base64
import html
import json
import logging
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .failures import CATEGORIES, category_counts, failures
from .metrics import HIT_KS, hit_curve, reliability, strip_punct
from .plots import TYPE_LABELS_ZH, cjk_font, plot_accuracy_by_type, plot_hit_curves, plot_latency
from .runner import SystemResult, snippet
from .systems import model_slug

logger = logging.getLogger(__name__)

# (column title, metric key, format)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    *((f"Hit@{k}", f"hit@{k}", "ratio") for k in HIT_KS),
    ("MRR", "mrr", "ratio"),
    ("Acc", "accuracy", "ratio"),
    ("EM", "exact_match", "ratio"),
    ("F1", "f1", "ratio"),
    ("Cite P", "citation_precision", "ratio"),
    ("Abst P", "abstention_precision", "ratio"),
    ("Abst R", "abstention_recall", "ratio"),
    ("Abst F1", "abstention_f1", "ratio"),
    ("p50 ms", "latency_ms_p50", "ms"),
    ("p95 ms", "latency_ms_p95", "ms"),
)
TYPE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("n", "n", "int"), ("Correct", "item_accuracy", "ratio"), ("Acc", "accuracy", "ratio"),
    ("EM", "exact_match", "ratio"), ("F1", "f1", "ratio"), ("Hit@1", "hit@1", "ratio"), ("Hit@5", "hit@5", "ratio"),
    ("MRR", "mrr", "ratio"), ("Abstained", "abstained", "int"),
    ("ROUGE-L", "rouge_l", "ratio"), ("ROUGE-L β1.2", "rouge_l_b1.2", "ratio"),  # descriptive answers only
)


def fmt(value: Any, kind: str = "ratio") -> str:
    if value is None:
        return "–"
    if kind == "ratio":
        return f"{value:.3f}"
    if kind == "ms":
        return f"{value:.0f}"
    return str(value)


# ------------------------------------------------------------------ tables (shared by md and html)

def short_encoder(name: str) -> str:
    """"st:/long/path/to/all-minilm/model" → "st:all-minilm" (the full path is in metrics.json)."""
    if name.startswith("st:") and "/" in name:
        return "st:" + model_slug(name[3:])
    return name


def comparison_rows(results: Sequence[SystemResult]) -> tuple[list[str], list[list[str]]]:
    """The side-by-side table: one row per system."""
    header = ["System", "Chunks", "Encoder", "Retriever", "n", *(c[0] for c in COLUMNS)]
    rows = []
    for r in results:
        name = r.spec.name + (" (product)" if r.spec.product else "")
        lead = [name, r.spec.chunking + (f" ({r.info['chunks']})" if "chunks" in r.info else ""),
                short_encoder(str(r.info.get("encoder") or r.spec.settings.model)), r.spec.retriever]
        if r.error and not r.rows:
            rows.append(lead + ["0", f"FAILED: {r.error}"] + [""] * (len(COLUMNS) - 1))
            continue
        m = r.metrics
        n = str(m["n"]) + ("" if r.complete else " (partial)")
        rows.append(lead + [n] + [fmt(m.get(key), kind) for _, key, kind in COLUMNS])
    return header, rows


def type_rows(result: SystemResult) -> tuple[list[str], list[list[str]]]:
    header = ["Type", *(c[0] for c in TYPE_COLUMNS)]
    rows = [[f"{t} {TYPE_LABELS_ZH.get(t, '')}".strip()] + [fmt(m.get(key), kind) for _, key, kind in TYPE_COLUMNS]
            for t, m in result.by_type.items()]
    return header, rows


def type_by_system_rows(results: Sequence[SystemResult]) -> tuple[list[str], list[list[str]]]:
    ok = [r for r in results if r.rows]
    types = sorted({t for r in ok for t in r.by_type})
    header = ["Type", "n", *(r.spec.name for r in ok)]
    rows = []
    for t in types:
        n = next((r.by_type[t]["n"] for r in ok if t in r.by_type), 0)
        rows.append([f"{t} {TYPE_LABELS_ZH.get(t, '')}".strip(), str(n)]
                    + [fmt(r.by_type.get(t, {}).get("item_accuracy")) for r in ok])
    return header, rows


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cell(s: str) -> str:
        return str(s).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# ------------------------------------------------------------------ failures

def failure_entries(result: SystemResult) -> list[dict[str, Any]]:
    """Every wrong / wrongly abstained / wrongly answered item, with what was retrieved (top 3)."""
    out = []
    for cat, row in failures(result.rows):
        golds = row["answers"]
        top = [{"rank": t["rank"], "report": t["report"], "section": t["section"],
                "contains_gold": t["contains_gold"], "snippet": t.get("snippet") or snippet(t.get("text", ""), golds)}
               for t in row.get("retrieved", [])[:3]]
        out.append({"id": row["id"], "type": row["type"], "category": cat, "question": row["question"],
                    "history": row.get("history", []), "resolved_question": row.get("resolved_question", ""),
                    "gold": golds, "gold_report": row.get("gold_report"), "answer": row["answer"],
                    "abstained": row["abstained"], "reason": row.get("reason", ""),
                    "sentence": row.get("sentence", ""), "error": row.get("error"),
                    "hit_rank": row.get("hit_rank"), "top3": top})
    return out


def _rewritten(f: Mapping[str, Any]) -> bool:
    """Whether follow-up resolution changed the question (beyond NFKC / punctuation)."""
    return bool(f["resolved_question"]) and strip_punct(f["resolved_question"]) != strip_punct(f["question"])


def _answer_text(f: Mapping[str, Any]) -> str:
    if f["error"]:
        return f"ERROR {f['error']}"
    if f["abstained"]:
        return f"(abstained: {f['reason']})"
    return f["answer"]


def _failures_md(entries: list[dict[str, Any]]) -> str:
    parts = []
    for f in entries:
        q = f["question"] + (f"  (history: {' / '.join(f['history'])})" if f["history"] else "")
        lines = [f"#### `{f['id']}` · {f['type']} · {f['category']}", "",
                 f"- **Q:** {q}"]
        if _rewritten(f):
            lines.append(f"- **Resolved:** {f['resolved_question']}")
        gold = " / ".join(f["gold"]) if f["gold"] else "(none: should abstain)"
        lines.append(f"- **Gold:** {gold}" + (f"  [{f['gold_report']}]" if f["gold_report"] else ""))
        lines.append(f"- **Answer:** {_answer_text(f)}")
        if f["sentence"] and not f["abstained"]:
            lines.append(f"- **Sentence:** {f['sentence'][:160]}")
        rank = f["hit_rank"] if f["hit_rank"] is not None else ("not in top 10" if f["gold"] else "n/a")
        lines.append(f"- **Retrieved** (first passage with gold: {rank}):")
        for t in f["top3"]:
            mark = " ✓" if t["contains_gold"] else ""
            lines.append(f"  {t['rank']}. [{t['report']}] {t['section'] or '—'}{mark}: {t['snippet']}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _failures_html(entries: list[dict[str, Any]]) -> str:
    e = html.escape
    rows = []
    for f in entries:
        q = e(f["question"])
        if f["history"]:
            q += f'<div class="muted">history: {e(" / ".join(f["history"]))}</div>'
        if _rewritten(f):
            q += f'<div class="muted">resolved: {e(f["resolved_question"])}</div>'
        gold = e(" / ".join(f["gold"])) if f["gold"] else '<span class="muted">(none: should abstain)</span>'
        ans = e(_answer_text(f))
        if f["sentence"] and not f["abstained"]:
            ans += f'<div class="muted">{e(f["sentence"][:160])}</div>'
        rank = f["hit_rank"] if f["hit_rank"] is not None else ("not in top 10" if f["gold"] else "n/a")
        top = "".join(f'<li class="{"gold" if t["contains_gold"] else ""}"><b>[{e(t["report"])}]</b> '
                      f'{e(t["section"] or "—")}<br>{e(t["snippet"])}</li>' for t in f["top3"])
        rows.append(f'<tr><td><code>{e(f["id"])}</code><br>{e(f["type"])}<br><span class="cat">{e(f["category"])}'
                    f'</span></td><td>{q}</td><td>{gold}</td><td>{ans}</td>'
                    f'<td>gold at: {e(str(rank))}<ol>{top}</ol></td></tr>')
    head = "<tr><th>id / type / category</th><th>question</th><th>gold</th><th>answer</th><th>top 3 retrieved</th></tr>"
    return f'<table class="failures"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


# ------------------------------------------------------------------ outputs

def make_plots(results: Sequence[SystemResult], out_dir: Path) -> dict[str, Path]:
    """The three PNGs; a plot that fails is logged and left out, the report is still written."""
    ok = [r for r in results if r.rows]
    plot_dir = out_dir / "plots"
    plot_dir.mkdir(parents=True, exist_ok=True)
    product = next((r.spec.name for r in ok if r.spec.product), ok[0].spec.name if ok else "")
    jobs: dict[str, Callable[[Path], Path]] = {
        "hit_at_k": lambda p: plot_hit_curves({r.spec.name: hit_curve(r.rows) for r in ok}, p),
        "accuracy_by_type": lambda p: plot_accuracy_by_type({r.spec.name: r.by_type for r in ok}, p),
        "latency": lambda p: plot_latency({r.spec.name: [float(x["latency_ms"]) for x in r.rows] for r in ok},
                                          product, p),
    }
    made: dict[str, Path] = {}
    for name, job in jobs.items():
        if not ok:
            break
        try:
            made[name] = job(plot_dir / f"{name}.png")
        except Exception:
            logger.exception("plot %s failed", name)
    return made


PLOT_TITLES = {"hit_at_k": "Retrieval: Hit@k per retriever", "accuracy_by_type": "Accuracy by question type",
               "latency": "Latency distribution"}


def metrics_document(results: Sequence[SystemResult], meta: Mapping[str, Any]) -> dict[str, Any]:
    """metrics.json: the product's metrics at top level (as before), every system under `systems`."""
    product = next((r for r in results if r.spec.product), None)
    doc: dict[str, Any] = {}
    if product is not None and product.rows:
        doc.update(product.metrics)
        doc["by_type"] = product.by_type
        doc["by_split"] = product.by_split
        doc["by_level"] = product.by_level
        doc["failure_categories"] = category_counts(product.rows)
    doc["product"] = product.spec.name if product else None
    doc["meta"] = dict(meta)
    doc["systems"] = {r.spec.name: r.to_json() for r in results}
    return doc


def write_metrics(results: Sequence[SystemResult], out_dir: Path, meta: Mapping[str, Any]) -> Path:
    """metrics.json at the top, and each baseline's own in baselines/<name>/ (written after every system)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for r in results:
        if not r.spec.product and r.rows:
            (r.out_dir / "metrics.json").write_text(
                json.dumps({**r.metrics, "by_type": r.by_type}, ensure_ascii=False, indent=2), encoding="utf-8")
    path = out_dir / "metrics.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(metrics_document(results, meta), ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    return path


def reliability_rows(result: SystemResult) -> tuple[list[str], list[list[str]]]:
    """The reliability table (confidence bins vs share right), for all questions and for each split."""
    groups: dict[str, list] = {"all": list(result.rows)}
    for row in result.rows:
        if row.get("split"):
            groups.setdefault(row["split"], []).append(row)
    header = ["group", "bin", "answers", "mean confidence", "share right"]
    rows: list[list[str]] = []
    for name, members in groups.items():
        ece, table = reliability(members)
        for b in table:
            rows.append([name, b["bin"], str(b["answers"]), fmt(b["mean_confidence"]), fmt(b["share_right"])])
        if ece is not None:
            rows.append([name, "ECE", "", "", fmt(ece)])
    return header, rows


def write_report(results: Sequence[SystemResult], out_dir: Path, meta: Mapping[str, Any]) -> tuple[Path, Path]:
    """report.md (+ plots/*.png) and a self-contained report.html."""
    plots = make_plots(results, out_dir)
    product = next((r for r in results if r.spec.product and r.rows), None)
    entries = failure_entries(product) if product else []
    counts = category_counts(product.rows) if product else {}
    cmp_h, cmp_r = comparison_rows(results)
    sections_md: list[str] = []
    sections_html: list[str] = []

    def add(title: str, md: str, html_: str) -> None:
        sections_md.append(f"## {title}\n\n{md}")
        sections_html.append(f"<h2>{html.escape(title)}</h2>\n{html_}")

    meta_lines = [f"- {k}: {v}" for k, v in meta.items()]
    font = cjk_font()
    if not font:
        meta_lines.append("- plots: no CJK font found, labels are English only (install fonts-noto-cjk)")
    add("Systems", md_table(cmp_h, cmp_r) + "\n\nHit@k/MRR: answerable questions, top-10 corpus-wide retrieval; "
        "a passage hits when it contains a gold answer (NFKC). Acc: gold inside a short answer. EM/F1: CMRC 2018. "
        "Cite P: answered answerable questions whose first citation contains a gold. Abst P/R/F1: abstention vs "
        "questions without gold.",
        '<div class="wide">' + html_table(cmp_h, cmp_r, "cmp") + "</div><p class=muted>Hit@k/MRR: answerable questions, top-10 corpus-wide "
        "retrieval; a passage hits when it contains a gold answer (NFKC). Acc: gold inside a short answer. EM/F1: "
        "CMRC 2018. Cite P: answered answerable questions whose first citation contains a gold. Abst P/R/F1: "
        "abstention vs questions without gold.</p>")
    errors = [r for r in results if r.error]
    if errors:
        lines = [f"- **{r.spec.name}**: {r.error}" for r in errors]
        add("Systems that failed", "\n".join(lines),
            "<ul>" + "".join(f"<li><b>{html.escape(r.spec.name)}</b>: {html.escape(r.error or '')}</li>"
                             for r in errors) + "</ul>")
    for key, path in plots.items():
        rel = path.relative_to(out_dir).as_posix()
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        add(PLOT_TITLES[key], f"![{PLOT_TITLES[key]}]({rel})",
            f'<img alt="{html.escape(PLOT_TITLES[key])}" src="data:image/png;base64,{data}">')
    tbs_h, tbs_r = type_by_system_rows(results)
    if len([r for r in results if r.rows]) > 1:
        add("Share correct by type and system", md_table(tbs_h, tbs_r), html_table(tbs_h, tbs_r))
    if product:
        th, tr = type_rows(product)
        add(f"{product.spec.name} by question type", md_table(th, tr), html_table(th, tr))
        rh, rr = reliability_rows(product)
        if rr:
            note = ("Answers given (abstentions make no claim), by the confidence shown; an answer to a question "
                    "without one is wrong. ECE: the answers-weighted mean of |share right − mean confidence|.")
            add(f"Calibration of {product.spec.name}", md_table(rh, rr) + "\n\n" + note,
                html_table(rh, rr) + f"<p class=muted>{html.escape(note)}</p>")
        cat_rows = [[c, str(n), CATEGORIES[c]] for c, n in counts.items()]
        add(f"Failures of {product.spec.name}: {len(entries)}",
            md_table(["Category", "n", "Meaning"], cat_rows) + "\n\n" + _failures_md(entries),
            html_table(["Category", "n", "Meaning"], cat_rows) + _failures_html(entries))

    md = "# Evaluation report\n\n" + "\n".join(meta_lines) + "\n\n" + "\n\n".join(sections_md) + "\n"
    md_path = out_dir / "report.md"
    md_path.write_text(md, encoding="utf-8")
    meta_html = "<ul>" + "".join(f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>"
                                 for k, v in meta.items()) + "</ul>"
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Evaluation report</title>
<style>
body{{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;
margin:2em;max-width:1600px;color:#222}}
table{{border-collapse:collapse;margin:1em 0;font-size:13px}}
th,td{{border:1px solid #ccc;padding:4px 6px;vertical-align:top;text-align:left}}
th{{background:#f3f3f3}} table.cmp td{{white-space:nowrap}} .wide{{overflow-x:auto}}
img{{max-width:100%;border:1px solid #eee}} .muted{{color:#777;font-size:12px}}
.cat{{color:#a33;font-size:12px}} li.gold{{background:#eaf6ea}} ol{{margin:0;padding-left:1.4em}}
code{{font-size:12px}}
</style></head><body>
<h1>Evaluation report</h1>
{meta_html}
{chr(10).join(sections_html)}
</body></html>
"""
    html_path = out_dir / "report.html"
    html_path.write_text(page, encoding="utf-8")
    return md_path, html_path
