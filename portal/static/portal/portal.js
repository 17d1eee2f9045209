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

/* A select marked data-autosubmit submits its form when changed (the form keeps its button for use without JavaScript). */
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select && select.matches && select.matches("select[data-autosubmit]") && select.form) { select.form.submit(); }
});
