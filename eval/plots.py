"""PNG plots for the evaluation report (matplotlib, Agg backend: no display needed).

Chinese labels need a CJK font. We look one up by family name; matplotlib's
font cache predates fonts installed later (e.g. `apt-get install
fonts-noto-cjk` after the first matplotlib import), so when the cache has none
we ask fontconfig (`fc-list :lang=zh`) and register those files. Without any
CJK font the plots fall back to English-only labels and a warning — never tofu
boxes, never a crash.
"""
from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

logger = logging.getLogger(__name__)

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "Source Han Sans SC",
                "Source Han Sans CN", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Droid Sans Fallback",
                "SimHei", "Microsoft YaHei", "PingFang SC", "Heiti SC", "AR PL UMing CN")

TYPE_LABELS_ZH = {"number": "数字", "list": "列举", "glossary": "名词解释", "name": "名称", "date": "日期",
                  "place": "地点", "target": "目标", "paraphrase": "换说法", "english": "英文提问",
                  "multiturn": "多轮追问", "wrong_premise": "错误前提", "unanswerable": "无答案", "descriptive": "做法措施",
                  "other": "其他"}

_font: str | None | bool = False  # False: not looked up yet


def _known_families() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def _register_fontconfig_cjk() -> None:
    """Add fontconfig's Chinese-capable font files to matplotlib's (possibly stale) font list."""
    if not shutil.which("fc-list"):
        return
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return
    for line in out.splitlines():
        path = line.split(":")[0].strip()
        if path and Path(path).is_file():
            try:
                font_manager.fontManager.addfont(path)
            except Exception:  # a font matplotlib cannot parse: skip it
                logger.debug("cannot register font %s", path, exc_info=True)


def cjk_font() -> str | None:
    """The CJK font family in use (configured into rcParams), or None if there is none."""
    global _font
    if _font is not False:
        return _font  # type: ignore[return-value]
    found = next((f for f in CJK_FAMILIES if f in _known_families()), None)
    if found is None:
        _register_fontconfig_cjk()
        known = _known_families()
        found = next((f for f in CJK_FAMILIES if f in known), None) or next(
            (f for f in sorted(known) if "CJK" in f or "Hei" in f or "Han Sans" in f), None)
    if found:
        plt.rcParams["font.sans-serif"] = [found, "DejaVu Sans"]
        plt.rcParams["font.family"] = "sans-serif"
        plt.rcParams["axes.unicode_minus"] = False
        logger.debug("CJK font for plots: %s", found)
    else:
        logger.warning("no CJK font found (fc-list :lang=zh is empty): plots use English labels only. "
                       "Install one, e.g. `apt-get install fonts-noto-cjk`.")
    _font = found
    return found


def label(zh: str, en: str) -> str:
    """A bilingual label when Chinese can be drawn, English otherwise."""
    return f"{zh} {en}" if cjk_font() else en


def type_label(qtype: str, n: int | None = None) -> str:
    base = f"{TYPE_LABELS_ZH[qtype]} {qtype}" if cjk_font() and qtype in TYPE_LABELS_ZH else qtype
    return f"{base} (n={n})" if n is not None else base


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_hit_curves(curves: Mapping[str, Sequence[float]], path: Path) -> Path:
    """Hit@k for k = 1..10, one line per system."""
    cjk_font()
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for name, ys in curves.items():
        if ys:
            ax.plot(range(1, len(ys) + 1), ys, marker="o", markersize=4, label=name)
    ax.set_xlabel(label("检索深度", "k (passages retrieved)"))
    ax.set_ylabel(label("命中率", "Hit@k"))
    ax.set_title(label("检索命中率(可回答的问题)", "Hit@k on answerable questions"))
    ax.set_xticks(range(1, 11))
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=9)
    return _save(fig, path)


def plot_accuracy_by_type(by_system: Mapping[str, Mapping[str, Mapping]], path: Path,
                          key: str = "item_accuracy") -> Path:
    """Per-type share of correct items (right answer, or abstention where there is none), grouped by system."""
    cjk_font()
    systems = list(by_system)
    types = sorted({t for per in by_system.values() for t in per})
    counts = {t: next((per[t]["n"] for per in by_system.values() if t in per), 0) for t in types}
    width = 0.82 / max(1, len(systems))
    fig, ax = plt.subplots(figsize=(max(8.0, 0.95 * len(types) + 2.5), 5.4))
    for i, name in enumerate(systems):
        xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(types))]
        vals = [by_system[name].get(t, {}).get(key) or 0.0 for t in types]
        ax.bar(xs, vals, width=width * 0.92, label=name)
    ax.set_xticks(range(len(types)), [type_label(t).replace(" ", "\n", 1) + f"\nn={counts[t]}" for t in types],
                  fontsize=8.5)
    ax.set_xlim(-0.6, len(types) - 0.4)
    ax.set_ylim(0, 1.0)
    ax.set_ylabel(label("正确率", "share correct"))
    ax.set_title(label("各题型正确率(答对,或对无答案的问题拒答)",
                       "Accuracy by question type (answered right, or rightly abstained)"))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(len(systems), 5), fontsize=8.5,
              frameon=False)
    return _save(fig, path)


def plot_latency(latencies: Mapping[str, Sequence[float]], product: str, path: Path) -> Path:
    """Left: the product's latency histogram with p50/p95; right: per-system box plots."""
    cjk_font()
    import numpy as np

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), gridspec_kw={"width_ratios": [1.2, 1]})
    prod = [v for v in latencies.get(product, []) if v > 0]
    if prod:
        ax1.hist(prod, bins=min(40, max(5, len(prod) // 5)), color="#4C72B0", alpha=0.85)
        for q, style in ((50, "--"), (95, ":")):
            v = float(np.percentile(prod, q))
            ax1.axvline(v, color="#C44E52", linestyle=style, label=f"p{q} = {v:.0f} ms")
        ax1.legend(fontsize=9)
    ax1.set_xlabel(label("耗时(毫秒)", "latency (ms)"))
    ax1.set_ylabel(label("问题数", "questions"))
    ax1.set_title(label(f"{product} 每题耗时", f"{product}: latency per question"))
    names = [n for n, vs in latencies.items() if any(v > 0 for v in vs)]
    if names:
        ax2.boxplot([[v for v in latencies[n] if v > 0] for n in names], orientation="horizontal", showfliers=True,
                    flierprops={"markersize": 3})
        ax2.set_yticks(range(1, len(names) + 1), names, fontsize=8)
        ax2.invert_yaxis()
    ax2.set_xlabel(label("耗时(毫秒)", "latency (ms)"))
    ax2.set_title(label("各系统耗时", "latency by system"))
    ax2.grid(axis="x", alpha=0.3)
    return _save(fig, path)
