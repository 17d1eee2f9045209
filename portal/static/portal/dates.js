// Date pickers (flatpickr, pinned by package-lock.json and served under static/vendor/flatpickr):
// every date or date-and-time field of a page gets a calendar, in the page's language; the field keeps
// its label and the value the server reads (YYYY-MM-DD, or YYYY-MM-DD HH:MM). Loaded only on pages
// that have such a field.
(function () {
  var fields = document.querySelectorAll("input[type=date], input[type=datetime-local]");
  if (!fields.length) return;
  var me = document.currentScript || document.querySelector("script[src*='portal/dates']");
  var vendor = me.src.replace(/portal\/dates[^/]*\.js.*$/, "vendor/flatpickr/");
  var chinese = (document.documentElement.lang || "").indexOf("zh") === 0;
  function load(src, done) {
    var s = document.createElement("script");
    s.src = src; s.onload = done; document.head.appendChild(s);
  }
  var css = document.createElement("link");
  css.rel = "stylesheet"; css.href = vendor + "flatpickr.min.css";
  document.head.appendChild(css);
  load(vendor + "flatpickr.min.js", function () {
    load(vendor + "l10n/zh.js", function () {
      fields.forEach(function (input) {
        var withTime = input.type === "datetime-local";
        var value = input.value.replace("T", " ");
        input.type = "text";
        input.value = value;
        input.setAttribute("autocomplete", "off");
        input.setAttribute("inputmode", "numeric");
        input.placeholder = withTime ? "YYYY-MM-DD HH:MM" : "YYYY-MM-DD";
        window.flatpickr(input, {
          allowInput: true, enableTime: withTime, time_24hr: true,
          dateFormat: withTime ? "Y-m-d H:i" : "Y-m-d",
          minDate: input.min || null, maxDate: input.max || null,
          locale: chinese && window.flatpickr.l10ns.zh ? "zh" : "default"
        });
      });
    });
  });
})();
