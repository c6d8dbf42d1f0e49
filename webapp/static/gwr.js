() => {
  // The chat of the page and the widget: plain DOM (every report or user text goes in as textContent, never as
  // HTML), the JSON API for answers and votes, the conversation kept in localStorage, all labels in Chinese.
  if (window.__gwrChat) { return; }
  window.__gwrChat = true;

  const STATUS = {
    network: "网络连接中断，问题没有送达。请检查网络后点“重试”。",
    timeout: "等待回答的时间过长，请点“重试”。",
    busy: "服务器暂时繁忙或正在维护，请稍后点“重试”。",
    rate: "提问太频繁了，请稍等片刻再点“重试”。",
    login: "登录已失效，请刷新页面重新登录。",
    report: "所选报告已不存在，请在“检索范围”中重新选择后点“重试”。",
    other: "抱歉，回答时出错了，请点“重试”。",
    interrupted: "上次提问没有完成（页面被关闭或刷新），请点“重试”。",
  };
  const STOP = /[的了是吗呢么在和与及年月日第个多少什么哪些几次怎样如何请问一下有没]/;
  const ASK_TIMEOUT_MS = 120000;
  let cfg = null;
  let turns = [];
  let busy = false;
  let seq = 0;
  let storageKey = "";

  // ------------------------------------------------------------ small helpers
  const $ = (sel) => document.querySelector("#gwr-app " + sel);
  const h = (tag, attrs, ...children) => {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) { continue; }
      if (k === "class") { el.className = v; } else if (k === "text") { el.textContent = v; } else { el.setAttribute(k, v === true ? "" : String(v)); }
    }
    for (const c of children.flat()) { if (c !== null && c !== undefined && c !== false) { el.append(c); } }
    return el;
  };
  const norm = (s) => (s || "").normalize("NFKC").replace(/[^\p{L}\p{N}]/gu, "");
  // the assistant's own messages (never report quotes, which stay verbatim) get full-width marks next to Chinese
  const HALF = { ",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）" };
  const HAN = /[\p{Script=Han}“”‘’]/u;
  const fullStop = (s) => (s || "").replace(/[,:;?!()]/g, (m, i, str) =>
    (HAN.test(str[i - 1] || "") || HAN.test(str[i + 1] || "") || (m === "?" && i === str.length - 1)) ? HALF[m] : m);
  const title = (c) => "《" + fullStop(c.title || (cfg.reports[c.report] || {}).title || c.report) + "》";
  const citationRange = (c) => (c.report_start >= 0 && c.report_end > c.report_start)
    ? [c.report_start, c.report_end] : [c.passage_start ?? -1, c.passage_end ?? -1];
  const viewUrl = (c) => {
    const [start, end] = citationRange(c);
    return cfg.base + "/view?" + new URLSearchParams({ report: c.report, start: String(start), end: String(end) }).toString();
  };
  const absolute = (url) => new URL(url, location.href).href;

  // ------------------------------------------------------------ storage
  /** localStorage, or — in a cross-site iframe that gets none — the host page's, through gwr-embed.js on the host. */
  const store = (() => {
    let local = null;
    try { localStorage.setItem("gwr-probe", "1"); localStorage.removeItem("gwr-probe"); local = localStorage; } catch (e) { local = null; }
    const bridge = !local && window.parent !== window;
    const memory = {};
    const tell = (msg) => { try { window.parent.postMessage(msg, "*"); } catch (e) { /* no host */ } };
    return {
      bridge,
      get: (key) => (local ? local.getItem(key) : (key in memory ? memory[key] : null)),
      set: (key, value) => { if (local) { local.setItem(key, value); return; } memory[key] = value; if (bridge) { tell({ gwr: "save", key, value }); } },
      remove: (key) => { if (local) { local.removeItem(key); return; } delete memory[key]; if (bridge) { tell({ gwr: "remove", key }); } },
      /** Ask the host for what it keeps (answers arrive as a message; see init). */
      request: (key) => { if (bridge) { tell({ gwr: "load", key }); } },
      accept: (key, value) => { memory[key] = value; },
    };
  })();
  const save = () => {
    let keep = turns.slice(-50);
    for (let tries = 0; tries < 5; tries++) {
      try { store.set(storageKey, JSON.stringify(keep)); return; } catch (e) { keep = keep.slice(Math.ceil(keep.length / 2)); }
    }
  };
  const load = () => {
    try {
      const raw = JSON.parse(store.get(storageKey) || "[]");
      if (!Array.isArray(raw)) { return []; }
      return raw.filter((t) => t && typeof t.q === "string").map((t) => {
        seq = Math.max(seq, Number(t.id) || 0);
        return t.status === "pending" ? { ...t, status: "error", error: STATUS.interrupted } : t;
      });
    } catch (e) { return []; }
  };

  // ------------------------------------------------------------ status line
  let statusTimer = 0;
  const say = (text) => {
    const el = $(".gwr-status");
    if (!el) { return; }
    el.textContent = text;
    el.classList.add("on");
    clearTimeout(statusTimer);
    statusTimer = setTimeout(() => { el.classList.remove("on"); el.textContent = ""; }, 3500);
  };

  // ------------------------------------------------------------ what an answer says
  const bigrams = (text) => {
    const out = new Set();
    for (const run of (text || "").normalize("NFKC").match(/\p{Script=Han}+/gu) || []) {
      for (let i = 0; i + 1 < run.length; i++) { const g = run.slice(i, i + 2); if (!STOP.test(g)) { out.add(g); } }
    }
    return out;
  };
  const placeGrams = () => {
    const out = new Set();
    for (const r of Object.values(cfg.reports)) { for (const g of bigrams(r.title + r.region)) { out.add(g); } }
    return out;
  };
  /** An abstention shows the closest passages only when they share the question's own words (not just its place). */
  const related = (question, passage) => {
    const places = placeGrams();
    const words = [...bigrams(question)].filter((g) => !places.has(g));
    if (!words.length) { return false; }
    const text = (passage || "").normalize("NFKC");
    const hits = words.filter((g) => text.includes(g)).length;
    return (hits >= 1 && hits / words.length >= 0.5) || (hits >= 2 && hits / words.length >= 0.34);
  };
  /** The year the question asks about vs. the report the answer comes from (a follow-up may land on another year).
   *  A follow-up like “那昆明呢？” often loses the year in resolution: then the year of the conversation counts. */
  const YEAR = /(?:19|20)\d{2}(?=年)/g;
  const askedYears = (a, t) => {
    for (const text of [a.resolved_question, a.question, ...[...((t && t.history) || [])].reverse()]) {
      const found = ((text || "").normalize("NFKC").match(YEAR)) || [];
      if (found.length) { return [...new Set(found)]; }
    }
    return [];
  };
  const yearShift = (a, t) => {
    const c = (a.citations || [])[0];
    if (!c) { return null; }
    const meta = cfg.reports[c.report] || {};
    const context = (c.text || "") + (c.section || "");
    // a report of year Y speaks of Y−1 (its review) and Y (its targets): neither is a shift
    const own = [meta.year, meta.reviewed_year, meta.target_year].filter(Boolean);
    const missing = askedYears(a, t).filter((y) => !own.includes(Number(y)) && !context.includes(y));
    return missing.length && meta.year ? { asked: missing[0], year: String(meta.year), title: title(c), meta } : null;
  };
  const withYear = (text, shift) => {
    if (text.includes(shift.asked + "年")) { return text.split(shift.asked + "年").join(shift.year + "年"); }
    const region = shift.meta.region || "";
    for (const name of [region, region.slice(0, -1)]) {
      const i = name ? text.indexOf(name) : -1;
      if (i >= 0) { return text.slice(0, i + name.length) + shift.year + "年" + text.slice(i + name.length); }
    }
    return shift.year + "年：" + text;
  };
  const understood = (a, t) => {
    if (a.abstained) { return null; }  // a reading of a question nothing answers only confuses
    let text = a.resolved_question || "";
    const shift = yearShift(a, t);
    if (shift) { text = withYear(text || a.question, shift); }
    if (!text || (!shift && norm(text) === norm(a.question))) { return null; }
    return { text: fullStop(text), shift };
  };
  const plainText = (t) => {
    const a = t.answer;
    if (!a) { return t.q; }
    const lines = [];
    const u = understood(a, t);
    if (u) { lines.push("理解为：" + u.text); }
    if (a.abstained) {
      lines.push(fullStop(a.message || a.reason || "报告中未找到相关答案。").replace(/以下是最接近的段落，?供参考。?/, "").trim());
      return lines.join("\n");
    }
    const c = (a.citations || [])[0];
    lines.push(a.answer, a.sentence);
    if (c) {
      lines.push("来源：" + title(c) + (c.section ? " · " + c.section : ""));
      lines.push("查看原文：" + absolute(viewUrl(c)));
    }
    const alts = a.alternatives || [];
    if (alts.length) {
      lines.push("其他报告：" + alts.map((x) => `${x.region || x.title} ${x.answer}（${x.title}）`).join(" · "));
    }
    for (const r of compareRows(a)) { lines.push(`${r.region}：${r.stated ? r.answer : "未提及"}${r.title ? "（" + r.title + "）" : ""}`); }
    for (const p of trackPoints(a)) { lines.push(`${p.label}：${p.answer}`); }
    return lines.filter(Boolean).join("\n");
  };

  // ------------------------------------------------------------ links and citations
  /** The address that asks this question again (answers are deterministic: same answer, same highlight). */
  const answerLink = (t) => {
    const params = new URLSearchParams();
    params.set("q", t.q);
    if (t.report) { params.set("report", t.report); }  // the filter chosen, or the report a widget is pinned to
    for (const past of (t.history || []).slice(-3)) { params.append("h", past); }
    return location.origin + location.pathname + "?" + params.toString();
  };
  const cnDate = (iso) => { const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || ""); return m ? `${+m[1]}年${+m[2]}月${+m[3]}日` : ""; };
  /** 《报告》（日期）“章节”：“原文” — the server's own form when it sent one. */
  const quoteText = (a) => {
    if (a.quote) { return a.quote; }
    const c = (a.citations || [])[0];
    if (!c) { return ""; }
    const meta = cfg.reports[c.report] || {};
    const date = cnDate(meta.date);
    return `《${c.title || meta.title || c.report}》${date ? "（" + date + "）" : ""}${c.section ? "“" + c.section + "”" : ""}：“${a.sentence}”`;
  };
  const compareRows = (a) => ((a && a.comparison && a.comparison.rows) || []);
  const trackPoints = (a) => ((a && a.track && (a.track.points || a.track.items)) || []);

  // ------------------------------------------------------------ rendering
  const sources = (citations, label, open) => {
    const items = citations.map((c, i) => {
      const text = (c.text || "").replace(/\n/g, " ");
      const passage = (c.start >= 0 && c.end > c.start && c.end <= text.length)
        ? [text.slice(0, c.start), h("mark", { text: text.slice(c.start, c.end) }), text.slice(c.end)] : [text];
      return h("li", { class: "gwr-src" },
        h("div", { class: "gwr-src-head" }, h("span", { class: "gwr-num", "aria-hidden": "true", text: String(i + 1) }),
          h("span", { class: "gwr-title", text: title(c) }), c.section ? [" · ", h("span", { class: "gwr-sec", text: c.section })] : null),
        h("div", { class: "gwr-passage" }, passage),
        h("a", { class: "gwr-view", href: viewUrl(c), target: "_blank", rel: "noopener", text: "在报告中查看 ›" }));
    });
    return h("details", { class: "gwr-sources", open },
      h("summary", { text: `${label}（${citations.length}）` }), h("ol", { class: "gwr-src-list" }, items));
  };
  /** Other reports' answers to a question that names no place: "其他报告：全国 5%左右 · 东川区 6%以上". */
  const alternatives = (a) => {
    const alts = a.alternatives || [];
    if (!alts.length) { return null; }
    const items = [];
    alts.forEach((alt, i) => {
      if (i) { items.push(" · "); }
      items.push(h("a", { class: "gwr-alt gwr-view", href: viewUrl(alt.citation), target: "_blank", rel: "noopener",
        title: alt.title, "aria-label": `${alt.region || alt.title}：${alt.answer}（${alt.title}）` },
        h("span", { class: "gwr-alt-region", text: alt.region || alt.title }), " ", h("strong", { text: alt.answer })));
    });
    return h("div", { class: "gwr-alts" }, "其他报告：", items);
  };
  /** A comparison asked in the chat: every report's answer, 未提及 rows kept (they are findings too). */
  const compareTable = (a) => {
    const rows = compareRows(a);
    if (!rows.length) { return null; }
    const head = h("tr", {}, ["排名", "地区", "答案（原文）", "出处"].map((x) => h("th", { scope: "col", text: x })));
    const body = rows.map((r) => h("tr", { class: r.stated ? "" : "gwr-cmp-unstated" },
      h("td", { class: "gwr-cmp-rank", text: r.rank ? String(r.rank) : "" }),
      h("td", { class: "gwr-cmp-region", text: r.region || r.title }),
      h("td", { class: "gwr-cmp-answer" }, r.stated ? h("strong", { text: r.answer }) : h("span", { class: "gwr-cmp-none", text: "未提及" })),
      h("td", {}, r.stated && r.citation ? h("a", { class: "gwr-view", href: viewUrl(r.citation), target: "_blank", rel: "noopener",
        "aria-label": `查看${r.region || r.title}的原文`, text: "原文" }) : "")));
    return h("div", { class: "gwr-cmp-scroll" }, h("table", { class: "gwr-cmp-table gwr-chat-cmp" },
      h("caption", { class: "gwr-sr", text: "逐份报告的答案" }), h("thead", {}, head), h("tbody", {}, body)));
  };
  /** Last year's target, last year's result and this year's target, each quoted and cited. */
  const trackCard = (a) => {
    const points = trackPoints(a);
    if (!points.length) { return null; }
    const met = a.track.met;
    const verdict = met === true ? "上年目标已完成" : met === false ? "上年目标未完成" : "";
    return h("div", { class: "gwr-track", role: "group", "aria-label": "目标与完成情况" },
      h("div", { class: "gwr-track-head" }, h("span", { text: "目标与完成情况" }),
        verdict ? h("span", { class: "gwr-track-met" + (met ? " yes" : " no"), text: verdict }) : null),
      h("ol", { class: "gwr-track-list" }, points.map((p) => h("li", { class: "gwr-track-item" },
        h("span", { class: "gwr-track-label", text: p.label }),
        h("strong", { class: "gwr-track-value", text: p.answer }),
        p.citation ? h("a", { class: "gwr-view gwr-track-src", href: viewUrl(p.citation), target: "_blank", rel: "noopener",
          "aria-label": `${p.label}的原文`, text: "原文" }) : null))));
  };
  const actions = (t) => {
    const up = t.vote === 1, down = t.vote === -1;
    const a = t.answer || {};
    const cite = !a.abstained && (a.citations || []).length;
    return h("div", { class: "gwr-actions", role: "group", "aria-label": "对这条回答" },
      h("button", { type: "button", class: "gwr-act gwr-copy", "data-act": "copy", "aria-label": "复制回答", title: "复制回答（纯文本）" }, "复制"),
      cite ? h("button", { type: "button", class: "gwr-act gwr-cite-copy", "data-act": "quote", "aria-label": "复制引文", title: "按公文格式复制引文" }, "复制引文") : null,
      h("button", { type: "button", class: "gwr-act gwr-link", "data-act": "link", "aria-label": "复制链接", title: "复制一个能重现这条回答的链接" }, "复制链接"),
      h("button", { type: "button", class: "gwr-act gwr-like" + (up ? " on" : ""), "data-act": "like", "aria-label": "赞", "aria-pressed": up ? "true" : "false", title: up ? "已赞，再点一次撤销" : "答得好" }, up ? "已赞" : "赞"),
      h("button", { type: "button", class: "gwr-act gwr-dislike" + (down ? " on" : ""), "data-act": "dislike", "aria-label": "踩", "aria-pressed": down ? "true" : "false", title: down ? "已踩，再点一次撤销" : "答得不好" }, down ? "已踩" : "踩"));
  };
  const answerBody = (t) => {
    if (t.status === "pending") {
      return h("div", { class: "gwr-answer gwr-pending", "aria-busy": "true" },
        h("span", { class: "gwr-dots", "aria-hidden": "true" }, h("i"), h("i"), h("i")), "正在查找报告原文…");
    }
    if (t.status === "error" || !t.answer) {
      return h("div", { class: "gwr-answer gwr-failed" + (t.notReady ? " gwr-not-ready" : "") }, h("div", { class: "gwr-notice", text: t.error || STATUS.other }),
        h("button", { type: "button", class: "gwr-retry", "data-act": "retry", "aria-label": "重试这个问题" }, "重试"));
    }
    const a = t.answer;
    const u = understood(a, t);
    const head = [];
    if (u) { head.push(h("div", { class: "gwr-resolved", text: "理解为：" + u.text })); }
    if (u && u.shift) {
      head.push(h("div", { class: "gwr-yearnote", text: `注意：报告中没有找到${u.shift.asked}年的相应内容，以下答案出自${u.shift.title}，对应${u.shift.year}年。` }));
    }
    const cites = a.citations || [];
    if (a.abstained) {
      const q = a.resolved_question || a.question;
      const close = cites.filter((c) => related(q, c.text));
      let notice = fullStop(a.message || a.reason || "报告中未找到相关答案。");
      if (!close.length) { notice = notice.replace(/以下是最接近的段落，?供参考。?/, "").trim(); }
      return h("div", { class: "gwr-answer gwr-abstained" }, head,
        h("div", { class: "gwr-notice", text: notice }),
        close.length ? sources(close, "最接近的段落", false) : null, actions(t));
    }
    const sentence = (a.sentence || "").replace(/\n/g, " ");
    const pos = a.answer ? sentence.indexOf(a.answer) : -1;
    const marked = pos >= 0 ? [sentence.slice(0, pos), h("mark", { text: a.answer }), sentence.slice(pos + a.answer.length)] : [sentence];
    const refs = cites.map((c, i) => h("a", { class: "gwr-ref gwr-view", href: viewUrl(c), target: "_blank", rel: "noopener",
      "aria-label": `查看来源${i + 1}：${title(c)}`, title: title(c) }, `[${i + 1}]`));
    const first = cites[0];
    return h("div", { class: "gwr-answer" }, head,
      h("div", { class: "gwr-lead" }, h("strong", { text: a.answer })),
      h("p", { class: "gwr-sentence" }, marked, h("span", { class: "gwr-refs" }, refs)),
      first ? h("div", { class: "gwr-cite" }, "出处：", h("span", { class: "gwr-title", text: title(first) }),
        first.section ? [" · ", h("span", { class: "gwr-sec", text: first.section })] : null) : null,
      alternatives(a),
      trackCard(a),
      compareTable(a),
      cites.length ? sources(cites, "来源", false) : null,
      h("div", { class: "gwr-meta", text: `置信度 ${Math.round((a.confidence || 0) * 100)}% · 用时 ${((a.latency_ms || 0) / 1000).toFixed(2)} 秒 · 答案为报告原文摘录` }),
      actions(t));
  };
  const turnItem = (t) => h("li", { class: "gwr-turn", "data-id": t.id },
    h("div", { class: "gwr-msg gwr-user" }, h("span", { class: "gwr-sr", text: "提问：" }), h("div", { class: "gwr-q", text: t.q })),
    h("div", { class: "gwr-msg gwr-bot" }, h("span", { class: "gwr-sr", text: "回答：" }), answerBody(t)));

  const renderTurn = (t) => {
    const list = $(".gwr-turns");
    if (!list) { return; }
    const fresh = turnItem(t);
    const old = list.querySelector(`li[data-id="${t.id}"]`);
    if (old) {
      const open = [...old.querySelectorAll("details")].map((d) => d.open);
      fresh.querySelectorAll("details").forEach((d, i) => { if (open[i]) { d.open = true; } });
      const focused = old.contains(document.activeElement) && document.activeElement.dataset ? document.activeElement.dataset.act : null;
      old.replaceWith(fresh);
      const again = focused && fresh.querySelector(`[data-act="${focused}"]`);
      if (again) { again.focus(); }
    } else {
      list.append(fresh);
    }
  };
  const renderAll = () => {
    const list = $(".gwr-turns");
    if (!list) { return; }
    list.replaceChildren();
    turns.forEach(renderTurn);
    refreshEmpty();
    scrollDown();
  };
  const refreshEmpty = () => {
    const empty = $("#gwr-empty"), chat = $("#gwr-chat");
    if (empty) { empty.hidden = turns.length > 0; }
    if (chat) { chat.classList.toggle("is-empty", turns.length === 0); }
  };
  const scrollDown = () => { const chat = $("#gwr-chat"); if (chat) { chat.scrollTop = chat.scrollHeight; } };

  // ------------------------------------------------------------ input box
  const box = () => $("#gwr-input textarea");
  const refreshInput = () => {
    const el = box();
    if (!el) { return; }
    const n = [...el.value].length, max = cfg.maxChars;
    const counter = $(".gwr-counter"), msg = $(".gwr-limit-msg"), send = $(".gwr-send");
    counter.textContent = n >= Math.floor(max * 0.8) ? `${n}/${max}` : "";
    counter.classList.toggle("over", n > max);
    msg.textContent = n > max ? `问题太长了（最多 ${max} 个字，当前 ${n} 个），请精简后再问。` : "";
    send.disabled = busy || n > max;
    send.textContent = busy ? "回答中…" : "发送";
    el.style.height = "auto";
    el.style.height = Math.min(el.scrollHeight, 120) + "px";
  };
  const currentReport = () => {
    if (cfg.kind === "widget") {
      const wanted = new URLSearchParams(location.search).get("report") || "";
      return cfg.reports[wanted] ? wanted : null;
    }
    const sel = $("#gwr-report");
    return sel && sel.value && cfg.reports[sel.value] ? sel.value : null;
  };

  // ------------------------------------------------------------ asking
  const failure = (status) => {
    if (status === 0) { return STATUS.network; }
    if (status === -1) { return STATUS.timeout; }
    if (status === 429) { return STATUS.rate; }
    if (status === 401) { return STATUS.login; }
    if (status === 404) { return STATUS.report; }
    if (status === 413) { return `问题太长了（最多 ${cfg.maxChars} 个字），请精简后再问。`; }
    if (status >= 502 && status <= 504) { return STATUS.busy; }
    return STATUS.other;
  };
  const post = async (path, body) => {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), ASK_TIMEOUT_MS);
    try {
      const resp = await fetch(cfg.base + path, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify(body), credentials: "same-origin", signal: ctrl.signal });
      let data = null;
      try { data = await resp.json(); } catch (e) { data = null; }
      return { status: resp.ok && data === null ? 500 : resp.status, ok: resp.ok && data !== null, data };
    } catch (e) {
      return { status: e && e.name === "AbortError" ? -1 : 0, ok: false, data: null };
    } finally {
      clearTimeout(timer);
    }
  };
  const run = async (t) => {
    busy = true;
    t.status = "pending";
    t.error = "";
    renderTurn(t);
    refreshEmpty();
    refreshInput();
    scrollDown();
    save();
    const r = await post("/api/ask", { question: t.q, history: t.history, report: t.report });
    if (r.ok && r.data.reason === "index not ready") {  // no index yet: a notice and a retry, never votes
      t.status = "error";
      t.notReady = true;
      t.error = fullStop(r.data.message || "索引正在建立，请稍后再提问。") + " 建好后会自动重试。";
    } else if (r.ok) {
      t.status = "done";
      t.notReady = false;
      t.answer = r.data;
      t.answerId = typeof r.data.answer_id === "string" ? r.data.answer_id : "";
      t.vote = 0;
    } else {
      t.status = "error";
      t.error = failure(r.status);
      say(t.error);
    }
    busy = false;
    renderTurn(t);
    refreshInput();
    scrollDown();
    save();
  };
  const ask = (text) => {
    if (busy) { say("请等上一个问题回答完再发送。"); return; }
    const question = (text || "").trim();
    if (!question) { return; }
    if ([...question].length > cfg.maxChars) { refreshInput(); return; }
    const history = turns.filter((t) => t.status === "done").map((t) => t.q);
    const t = { id: String(++seq), q: question, history: history.slice(-10), report: currentReport(), status: "pending",
      answer: null, answerId: "", vote: 0, error: "" };
    turns.push(t);
    const el = box();
    if (el && el.value.trim() === question) { el.value = ""; }
    run(t);
  };

  // ------------------------------------------------------------ copy and votes
  const copyText = async (text) => {
    try {
      if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); return true; }
    } catch (e) { /* fall back below (plain http on an intranet has no async clipboard) */ }
    const active = document.activeElement;
    const ta = h("textarea", { class: "gwr-offscreen", readonly: true, "aria-hidden": "true", tabindex: "-1" });
    ta.value = text;
    document.body.append(ta);
    ta.select();
    let ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    ta.remove();
    if (active && active.focus) { active.focus(); }
    return ok;
  };
  const vote = async (t, value) => {
    if (!t.answerId) { say("这条回答无法评价。"); return; }
    const next = t.vote === value ? 0 : value;
    const r = await post("/api/feedback", { answer_id: t.answerId, vote: next });
    if (r.ok) {
      t.vote = next;
      say(next === 1 ? "感谢反馈！" : next === -1 ? "已记录，我们会改进这类问题的回答。" : "已撤销评价。");
      renderTurn(t);
      save();
    } else {
      say(r.status === 429 ? "评价太频繁了，请稍后再试。" : r.status === 404 ? "这条回答已过期，无法评价。" : "评价没有发送成功，请稍后再试。");
    }
  };

  // ------------------------------------------------------------ report viewer (focus stays inside while open)
  const viewer = (() => {
    const panel = h("div", { class: "gwr-viewer", role: "dialog", "aria-modal": "true", "aria-label": "报告原文", hidden: true });
    const openLink = h("a", { class: "gwr-viewer-open", target: "_blank", rel: "noopener", text: "新窗口打开" });
    const closeBtn = h("button", { type: "button", class: "gwr-viewer-close", "aria-label": "关闭原文", text: "×" });
    const frame = h("iframe", { class: "gwr-viewer-frame", title: "报告原文" });
    const guard = () => h("span", { class: "gwr-guard", tabindex: "0", "aria-hidden": "true" });
    const startGuard = guard(), endGuard = guard();
    panel.append(startGuard, h("div", { class: "gwr-viewer-box" },
      h("div", { class: "gwr-viewer-bar" }, h("span", { class: "gwr-viewer-title", text: "报告原文" }), openLink, closeBtn), frame), endGuard);
    document.body.appendChild(panel);
    let opener = null;
    let inerted = [];
    const close = () => {
      if (panel.hidden) { return; }
      panel.hidden = true;
      frame.removeAttribute("src");
      inerted.forEach((el) => { el.inert = false; });
      inerted = [];
      if (opener && opener.isConnected) { opener.focus(); }
    };
    const open = (href, from) => {
      opener = from;
      frame.setAttribute("src", href);
      openLink.setAttribute("href", href);
      panel.hidden = false;
      inerted = [...document.body.children].filter((el) => el !== panel && !el.inert);
      inerted.forEach((el) => { el.inert = true; });
      closeBtn.focus();
    };
    closeBtn.addEventListener("click", close);
    // Esc pressed while the report text has focus happens inside the frame (same origin): listen there too
    frame.addEventListener("load", () => {
      try { frame.contentWindow.addEventListener("keydown", (e) => { if (e.key === "Escape") { close(); } }); } catch (e) { /* not ours */ }
    });
    startGuard.addEventListener("focus", () => closeBtn.focus());
    endGuard.addEventListener("focus", () => openLink.focus());
    panel.addEventListener("click", (e) => { if (e.target === panel) { close(); } });
    document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) { close(); } });
    return { open };
  })();

  // ------------------------------------------------------------ events (delegated: the markup may be re-rendered)
  const turnOf = (el) => { const li = el.closest("li.gwr-turn"); return li ? turns.find((t) => t.id === li.dataset.id) : null; };
  document.addEventListener("click", (e) => {
    const target = e.target;
    if (!target.closest) { return; }
    const link = target.closest("a.gwr-view");
    if (link && !e.ctrlKey && !e.metaKey && !e.shiftKey && e.button === 0) {
      e.preventDefault();
      e.stopPropagation();
      viewer.open(link.getAttribute("href"), link);
      return;
    }
    if (!target.closest("#gwr-app")) { return; }
    const example = target.closest(".gwr-example");
    if (example) { ask(example.dataset.q); return; }
    const exporter = target.closest(".gwr-export");
    if (exporter) { exportConversation(exporter.dataset.export); return; }
    if (target.closest("#gwr-clear")) {
      turns = [];
      try { store.remove(storageKey); } catch (err) { /* nothing stored */ }
      renderAll();
      say("对话已清空。");
      const el = box();
      if (el) { el.focus(); }
      return;
    }
    const act = target.closest("[data-act]");
    const t = act && turnOf(act);
    if (!t) { return; }
    if (act.dataset.act === "retry") { if (busy) { say("请等上一个问题回答完。"); } else { run(t); } }
    if (act.dataset.act === "like") { vote(t, 1); }
    if (act.dataset.act === "dislike") { vote(t, -1); }
    if (act.dataset.act === "copy") { copyText(plainText(t)).then((ok) => say(ok ? "已复制回答（纯文本）。" : "复制失败，请手动选择文字复制。")); }
    if (act.dataset.act === "quote") { copyText(quoteText(t.answer)).then((ok) => say(ok ? "已复制引文。" : "复制失败，请手动选择文字复制。")); }
    if (act.dataset.act === "link") { copyText(answerLink(t)).then((ok) => say(ok ? "已复制链接，打开即得同一答案。" : "复制失败，请手动复制地址栏。")); }
  }, true);
  document.addEventListener("submit", (e) => {
    if (!e.target.closest || !e.target.closest("#gwr-input-row")) { return; }
    e.preventDefault();
    const el = box();
    if (el) { ask(el.value); }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.keyCode === 229) { return; }
    const el = box();
    if (!el || e.target !== el) { return; }
    e.preventDefault();
    ask(el.value);
  });
  document.addEventListener("input", (e) => { if (e.target === box()) { refreshInput(); } });
  window.addEventListener("offline", () => say("网络已断开，恢复后可以继续提问。"));
  // a printout holds the sources too: open them for printing, close again after
  let printOpened = [];
  window.addEventListener("beforeprint", () => {
    printOpened = [...document.querySelectorAll("#gwr-chat details:not([open])")];
    printOpened.forEach((d) => { d.open = true; });
  });
  window.addEventListener("afterprint", () => { printOpened.forEach((d) => { d.open = false; }); printOpened = []; });

  // ------------------------------------------------------------ 材料汇编: the conversation as Word or Markdown
  const exportConversation = async (format) => {
    if (format === "print") { window.print(); return; }
    const done = turns.filter((t) => t.status === "done" && t.answer);
    if (!done.length) { say("还没有可以导出的问答。"); return; }
    say("正在生成文件…");
    const body = { turns: done.map((t) => ({ question: t.q, history: t.history || [], report: t.report || null, answer_id: t.answerId || null })) };
    try {
      const resp = await fetch(cfg.base + "/api/export." + format, { method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify(body), credentials: "same-origin" });
      if (!resp.ok) { say(failure(resp.status)); return; }
      const blob = await resp.blob();
      const a = h("a", { href: URL.createObjectURL(blob), download: `材料汇编.${format}`, class: "gwr-offscreen" });
      document.body.append(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      say("已导出" + (format === "docx" ? " Word 文档。" : " Markdown 文件。"));
    } catch (e) {
      say(STATUS.network);
    }
  };

  // ------------------------------------------------------------ the page follows the index (first build, reports added)
  const examplesInto = (container, examples) => {
    if (!container) { return; }
    container.replaceChildren(...examples.map((q) => h("button", { type: "button", class: "gwr-example", "data-q": q, text: q })));
  };
  const applyConfig = (next) => {
    cfg = { ...cfg, ...next, kind: cfg.kind, base: cfg.base };
    const sel = $("#gwr-report");
    if (sel) {
      const keep = sel.value;
      sel.replaceChildren(h("option", { value: "", text: "全部报告" }),
        ...cfg.choices.map((c) => h("option", { value: c.id, text: c.label })));
      sel.value = cfg.reports[keep] ? keep : "";
    }
    examplesInto($(".gwr-side-examples"), cfg.examples || []);
    examplesInto($(".gwr-empty-examples"), cfg.examples || []);
    const exTitle = $(".gwr-ex-title");
    if (exTitle) { exTitle.hidden = !(cfg.examples || []).length; }
    const sub = $(".gwr-subtitle");
    if (sub && cfg.subtitle) { sub.textContent = cfg.subtitle; }
    const tip = $(".gwr-tip-follow");
    if (tip && cfg.followUpTip) { tip.textContent = cfg.followUpTip; }
    const skipped = $(".gwr-skipped");
    if (skipped) {
      const files = cfg.skipped || [];
      skipped.hidden = !files.length;
      skipped.querySelector("summary").textContent = "有 " + files.length + " 个文件未能收录";
      skipped.querySelector("ul").replaceChildren(...files.map((f) => h("li", {}, h("b", { text: f.rel_path }), "：" + f.reason)));
    }
  };
  let lost = false;
  const refreshConfig = async () => {
    let wait = 30000;
    try {
      const resp = await fetch(cfg.base + "/api/page?kind=" + cfg.kind, { credentials: "same-origin", cache: "no-store" });
      if (resp.ok) {
        const next = await resp.json();
        const changed = next.index !== cfg.index || JSON.stringify(next.examples) !== JSON.stringify(cfg.examples)
          || JSON.stringify(next.choices) !== JSON.stringify(cfg.choices);
        const nowReady = next.index && !cfg.index;
        if (changed) { applyConfig(next); } else { cfg.state = next.state; }
        if (lost) { lost = false; say("与服务器的连接已恢复。"); }
        if (nowReady && !busy) {  // the question asked while the first index was building, asked again
          const waiting = turns.filter((t) => t.notReady && t.status === "error").pop();
          if (waiting) { run(waiting); }
        }
        wait = (next.state === "ready") ? 30000 : 3000;
      } else if (resp.status >= 500) { throw new Error(String(resp.status)); }
    } catch (e) {
      if (!lost) { lost = true; say("与服务器的连接中断，正在重新连接…"); }
      wait = 5000;
    }
    setTimeout(refreshConfig, wait);
  };

  /** /?q=…[&report=…][&h=…] asks that question at once (the link “复制链接” makes); a reload does not ask twice. */
  const askFromLink = () => {
    const params = new URLSearchParams(location.search);
    const q = (params.get("q") || "").trim();
    if (!q || [...q].length > cfg.maxChars) { return; }
    const report = params.get("report");
    const sel = $("#gwr-report");
    if (sel && report && cfg.reports[report]) { sel.value = report; }
    const history = params.getAll("h").filter(Boolean).slice(-10);
    const last = turns[turns.length - 1];
    if (last && last.q === q && JSON.stringify(last.history || []) === JSON.stringify(history)) { return; }
    const t = { id: String(++seq), q, history, report: currentReport(), status: "pending", answer: null, answerId: "", vote: 0, error: "" };
    turns.push(t);
    run(t);
  };

  // ------------------------------------------------------------ start (once the markup is there)
  const init = () => {
    const app = document.getElementById("gwr-app");
    if (!app || app.dataset.ready) { return; }
    app.dataset.ready = "1";
    cfg = JSON.parse(app.dataset.config);
    storageKey = "gwr-chat:" + cfg.kind + ":" + location.pathname;
    if (!turns.length) { turns = load(); }
    renderAll();
    refreshInput();
    if (window.__gwrEarly) { const early = window.__gwrEarly; window.__gwrEarly = null; ask(early); }
    if (store.bridge) {  // a cross-site widget: the host page keeps the conversation (gwr-embed.js)
      let answered = false;
      window.addEventListener("message", (e) => {
        const d = e.data;
        if (e.source !== window.parent || !d || d.gwr !== "loaded" || d.key !== storageKey || answered) { return; }
        answered = true;
        if (typeof d.value === "string") { store.accept(storageKey, d.value); }
        const asked = turns;
        const earlier = load();  // (sets seq past the stored ids)
        asked.forEach((t) => { t.id = String(++seq); });
        turns = earlier.concat(asked);
        renderAll();
        askFromLink();
      });
      store.request(storageKey);
      setTimeout(() => { if (!answered) { answered = true; askFromLink(); } }, 800);
    } else {
      askFromLink();
    }
    setTimeout(refreshConfig, (cfg.state === "ready") ? 30000 : 3000);
  };
  if (document.getElementById("gwr-app")) { init(); } else { document.addEventListener("DOMContentLoaded", init); }
}
