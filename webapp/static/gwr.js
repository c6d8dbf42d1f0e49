() => {
  // "在报告中查看" and the [n] markers open the report view in an in-page panel (no new tab, works in the widget).
  if (window.__gwrViewer) { return; }
  window.__gwrViewer = true;
  const panel = document.createElement("div");
  panel.className = "gwr-viewer";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-modal", "true");
  panel.setAttribute("aria-label", "报告原文");
  panel.hidden = true;
  panel.innerHTML =
    '<div class="gwr-viewer-box">' +
    '<div class="gwr-viewer-bar"><span class="gwr-viewer-title">报告原文</span>' +
    '<a class="gwr-viewer-open" target="_blank" rel="noopener">新窗口打开</a>' +
    '<button type="button" class="gwr-viewer-close" aria-label="关闭">×</button></div>' +
    '<iframe class="gwr-viewer-frame" title="报告原文"></iframe></div>';
  document.body.appendChild(panel);
  const frame = panel.querySelector("iframe");
  const openLink = panel.querySelector(".gwr-viewer-open");
  const close = () => { panel.hidden = true; frame.removeAttribute("src"); };
  panel.querySelector(".gwr-viewer-close").addEventListener("click", close);
  panel.addEventListener("click", (e) => { if (e.target === panel) { close(); } });
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) { close(); } });
  document.addEventListener("click", (e) => {
    const link = e.target.closest && e.target.closest("a.gwr-view");
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) { return; }
    e.preventDefault();
    e.stopPropagation();
    const href = link.getAttribute("href");
    frame.setAttribute("src", href);
    openLink.setAttribute("href", href);
    panel.hidden = false;
  }, true);
}
