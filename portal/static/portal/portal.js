// Countdown to each deadline shown on a page (the server decides; this only displays).
(function () {
  var t = document.body.dataset;
  function fmt(ms) {
    if (ms <= 0) return t.tClosed;
    var d = Math.floor(ms / 86400000), h = Math.floor(ms % 86400000 / 3600000), m = Math.floor(ms % 3600000 / 60000);
    return (d ? d + " " + t.tD + " " : "") + h + " " + t.tH + " " + m + " " + t.tM;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-deadline]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-deadline")) - now;
      el.textContent = fmt(left);
      el.classList.toggle("past", left <= 0);
      el.classList.toggle("soon", left > 0 && left < 3 * 86400000);
    });
  }
  tick();
  setInterval(tick, 30000);
})();

// Documents built by a worker (packets, summary tables): while one is waiting or being built, ask
// its status every few seconds and reload the page once it is done or failed.
(function () {
  var waiting = Array.prototype.filter.call(document.querySelectorAll("[data-status-url]"), function (el) {
    return el.dataset.status === "pending" || el.dataset.status === "running";
  });
  if (!waiting.length) return;
  var tries = 0;
  function poll() {
    tries += 1;
    Promise.all(waiting.map(function (el) {
      return fetch(el.dataset.statusUrl, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; });
    })).then(function (rows) {
      var changed = rows.some(function (row, i) { return row && row.status !== waiting[i].dataset.status; });
      if (changed) { window.location.reload(); return; }
      if (tries < 200) setTimeout(poll, tries < 10 ? 2000 : 6000);
    });
  }
  setTimeout(poll, 2000);
})();
