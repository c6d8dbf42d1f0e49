/* 政府工作报告问答助手 — include on a page that embeds the widget from another site:
 *   <script src="http://HOST:7860/gwr-static/gwr-embed.js"></script>
 * A cross-site iframe gets no storage of its own in some browsers; the widget then keeps its
 * conversation in this page's localStorage, through messages, so a reload does not lose the chat.
 * Only frames served from the same origin as this script are answered. */
(() => {
  const script = document.currentScript;
  const origin = script && script.src ? new URL(script.src, location.href).origin : null;
  if (!origin) { return; }
  window.addEventListener("message", (e) => {
    const d = e.data;
    if (e.origin !== origin || !d || typeof d !== "object" || typeof d.key !== "string" || !d.key.startsWith("gwr-chat:")) { return; }
    const key = "gwr-widget:" + origin + ":" + d.key;
    try {
      if (d.gwr === "load") { e.source.postMessage({ gwr: "loaded", key: d.key, value: localStorage.getItem(key) }, e.origin); }
      if (d.gwr === "save" && typeof d.value === "string" && d.value.length < 2000000) { localStorage.setItem(key, d.value); }
      if (d.gwr === "remove") { localStorage.removeItem(key); }
    } catch (err) { /* the host page has no storage either */ }
  });
})();
