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

// Behaviour that used to sit in on*="" attributes (the Content-Security-Policy allows no inline script):
// a <select data-autosubmit> submits its form on change, a checkbox data-select-all="selector" ticks the
// boxes it names, a button data-print prints the page. Delegated, so htmx-swapped fragments work too.
(function () {
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });
  document.addEventListener("click", function (ev) {
    var el = ev.target;
    if (!el.matches) return;
    if (el.matches("input[type=checkbox][data-select-all]")) {
      document.querySelectorAll(el.getAttribute("data-select-all")).forEach(function (b) { b.checked = el.checked; });
    } else if (el.closest("[data-print]")) {
      window.print();
    }
  });
})();
