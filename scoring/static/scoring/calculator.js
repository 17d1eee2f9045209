// The live calculator of a rubric page: as the user types, POST the form and show the result
// panel the server renders (the server scores; nothing here computes points). Without
// JavaScript the form submits normally and the page comes back with the result.
(function () {
  var form = document.querySelector("form[data-live-calculator]");
  if (!form) return;
  var target = document.querySelector(form.getAttribute("data-target"));
  var seq = 0, timer = null, controller = null;

  function setText(id, text) {
    var el = document.getElementById(id);
    if (el) el.textContent = text;
  }

  function apply(html) {
    target.innerHTML = html;
    target.querySelectorAll("[data-item-points]").forEach(function (row) {
      setText("pts-" + row.getAttribute("data-item-points"), row.getAttribute("data-points"));
    });
    target.querySelectorAll("[data-group-points]").forEach(function (el) {
      setText("grp-" + el.getAttribute("data-group-points"), el.getAttribute("data-points"));
    });
    var totals = target.querySelector("[data-total]");
    setText("pts-base", totals ? totals.getAttribute("data-base") : "");
    setText("pts-bonus", totals ? totals.getAttribute("data-bonus") : "");
    if (!target.querySelector("[data-item-points]")) {
      document.querySelectorAll(".rubric-table td.pts[id^='pts-']").forEach(function (td) {
        if (td.id !== "pts-base" && td.id !== "pts-bonus") td.textContent = "—";
      });
      document.querySelectorAll(".group-pts").forEach(function (el) { el.textContent = ""; });
    }
  }

  function send() {
    var mine = ++seq;
    if (controller) controller.abort();
    controller = window.AbortController ? new AbortController() : null;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: {"X-Requested-With": "fetch"},
      credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { if (mine === seq) apply(html); })
      .catch(function () { /* a newer request replaced this one, or the network failed: keep the last result */ });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(send, 250);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", function (e) { e.preventDefault(); clearTimeout(timer); send(); });
  // a draft being tried, or figures kept by the browser on reload: show their result at once
  if (Array.prototype.some.call(form.elements, function (el) { return el.name && el.type !== "hidden" && el.value; })) send();
})();
