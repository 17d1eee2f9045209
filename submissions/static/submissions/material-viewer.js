// The material viewer of the review page: PDF.js (served by the portal under static/vendor/pdfjs/),
// one page at a time on a canvas with its text layer, page navigation, zoom and text search; images
// inline. The page gives the URLs in data- attributes; no inline script, no style attribute in HTML
// (the CSSOM is used where PDF.js needs a size).
const root = document.querySelector("[data-material-viewer]");

function sizeSplit() {
  // the split view fills the window below its top edge: the score sheet and the actions stay in view
  const split = document.querySelector(".review-split");
  if (!split) return;
  const top = split.getBoundingClientRect().top + window.scrollY;
  const height = Math.max(window.innerHeight - Math.min(top, window.innerHeight * 0.4) - 8, 360);
  split.style.setProperty("--split-height", `${height}px`);
}

if (root) {
  sizeSplit();
  window.addEventListener("resize", sizeSplit);
  start(root);
}

async function start(root) {
  const t = (key) => root.dataset[key] || "";
  const $ = (sel) => root.querySelector(sel);
  const stage = $(".mv-stage");
  const canvas = $(".mv-canvas");
  const textLayerDiv = $(".mv-text");
  const image = $(".mv-image");
  const pageInput = $(".mv-page");
  const pageCount = $(".mv-count");
  const status = $(".mv-status");
  const searchInput = $(".mv-search");
  const pdfTools = root.querySelectorAll("[data-pdf-only]");

  const pdfjs = await import(root.dataset.pdfjs);
  pdfjs.GlobalWorkerOptions.workerSrc = root.dataset.worker;

  let doc = null;
  let pageNo = 1;
  let scale = 0; // 0: fit the width of the pane
  let task = null;
  let texts = []; // the text of each page, for the search
  let matches = [];
  let matchAt = -1;
  let textLayer = null;
  let shownScale = 0;

  function setStatus(text) { status.textContent = text; }

  async function render() {
    if (!doc) return;
    const page = await doc.getPage(pageNo);
    const base = page.getViewport({ scale: 1 });
    const fit = Math.max((stage.clientWidth - 16) / base.width, 0.25);
    const viewport = page.getViewport({ scale: scale || fit });
    shownScale = viewport.scale;
    const ratio = window.devicePixelRatio || 1;
    canvas.width = Math.floor(viewport.width * ratio);
    canvas.height = Math.floor(viewport.height * ratio);
    canvas.style.width = `${Math.floor(viewport.width)}px`;
    canvas.style.height = `${Math.floor(viewport.height)}px`;
    if (task) task.cancel();
    task = page.render({ canvasContext: canvas.getContext("2d"), viewport,
      transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null });
    try { await task.promise; } catch (e) { if (e && e.name === "RenderingCancelledException") return; throw e; }
    task = null;
    // the text layer: selectable text, and where the search highlights its matches
    textLayerDiv.replaceChildren();
    textLayerDiv.style.setProperty("--scale-factor", viewport.scale);
    textLayerDiv.style.setProperty("--total-scale-factor", viewport.scale);
    textLayerDiv.style.width = canvas.style.width;
    textLayerDiv.style.height = canvas.style.height;
    if (pdfjs.TextLayer) {
      textLayer = new pdfjs.TextLayer({ textContentSource: page.streamTextContent(), container: textLayerDiv, viewport });
      await textLayer.render();
      highlight();
    }
    pageInput.value = String(pageNo);
    root.dataset.renderedPage = String(pageNo);
  }

  function highlight() {
    const query = searchInput.value.trim();
    textLayerDiv.querySelectorAll("span").forEach((span) => {
      span.classList.toggle("mv-hit", Boolean(query) && span.textContent.includes(query));
    });
  }

  function go(n) {
    if (!doc) return;
    pageNo = Math.min(Math.max(n, 1), doc.numPages);
    render();
  }

  async function open(url, type, name) {
    matches = []; matchAt = -1; texts = [];
    if (type !== "application/pdf") {
      doc = null;
      canvas.hidden = true; textLayerDiv.hidden = true;
      image.hidden = false; image.src = url; image.alt = name;
      pdfTools.forEach((el) => { el.disabled = true; });
      pageCount.textContent = ""; setStatus("");
      return;
    }
    image.hidden = true; image.removeAttribute("src");
    canvas.hidden = false; textLayerDiv.hidden = false;
    pdfTools.forEach((el) => { el.disabled = false; });
    setStatus(t("tLoading"));
    try {
      doc = await pdfjs.getDocument({ url, cMapUrl: root.dataset.cmaps, cMapPacked: true,
        standardFontDataUrl: root.dataset.fonts, isEvalSupported: false }).promise;
    } catch (e) {
      doc = null; setStatus(t("tFailed")); return;
    }
    pageNo = 1;
    pageCount.textContent = String(doc.numPages);
    pageInput.max = String(doc.numPages);
    setStatus("");
    await render();
  }

  async function search(forward) {
    const query = searchInput.value.trim();
    if (!doc || !query) { matches = []; highlight(); setStatus(""); return; }
    if (!texts.length) {
      for (let i = 1; i <= doc.numPages; i += 1) {
        const content = await (await doc.getPage(i)).getTextContent();
        texts.push(content.items.map((item) => item.str).join(""));
      }
    }
    if (root.dataset.lastQuery !== query) {
      matches = [];
      texts.forEach((text, i) => {
        let at = text.indexOf(query);
        while (at !== -1) { matches.push(i + 1); at = text.indexOf(query, at + query.length); }
      });
      matchAt = -1;
      root.dataset.lastQuery = query;
    }
    if (!matches.length) { setStatus(t("tNoMatch")); highlight(); return; }
    matchAt = (matchAt + (forward ? 1 : matches.length - 1)) % matches.length;
    setStatus(`${matchAt + 1} / ${matches.length}`);
    if (matches[matchAt] !== pageNo) go(matches[matchAt]); else highlight();
  }

  $(".mv-prev").addEventListener("click", () => go(pageNo - 1));
  $(".mv-next").addEventListener("click", () => go(pageNo + 1));
  pageInput.addEventListener("change", () => go(parseInt(pageInput.value, 10) || 1));
  $(".mv-zoom-in").addEventListener("click", () => { scale = (scale || currentFit()) * 1.25; render(); });
  $(".mv-zoom-out").addEventListener("click", () => { scale = Math.max((scale || currentFit()) / 1.25, 0.25); render(); });
  $(".mv-fit").addEventListener("click", () => { scale = 0; render(); });
  $(".mv-search-form").addEventListener("submit", (event) => { event.preventDefault(); search(true); });
  $(".mv-search-prev").addEventListener("click", () => search(false));

  function currentFit() { return shownScale || 1; }

  const tabs = root.querySelectorAll("[data-material-url]");
  tabs.forEach((tab) => tab.addEventListener("click", () => {
    tabs.forEach((other) => other.setAttribute("aria-selected", String(other === tab)));
    open(tab.dataset.materialUrl, tab.dataset.materialType, tab.dataset.materialName);
  }));
  const first = root.querySelector("[data-material-url][aria-selected=true]") || tabs[0];
  if (first) open(first.dataset.materialUrl, first.dataset.materialType, first.dataset.materialName);
  let resizeTimer = null;
  window.addEventListener("resize", () => { clearTimeout(resizeTimer); resizeTimer = setTimeout(() => { if (!scale) render(); }, 150); });
}
