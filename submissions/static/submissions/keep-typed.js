/* What a reviewer typed survives a refusal. A form marked data-keep-typed="<link text>" keeps its
   fields in sessionStorage when it is sent; when the page comes back with a refusal (a message of
   class msg-error), the fields are filled again, and the refusal gets a link that moves the focus to
   the first of them. On success (no refusal) what was kept is dropped. Files are never kept. */
(function () {
  "use strict";
  var KEY = "portal-kept:" + window.location.pathname;
  var SKIP = { hidden: 1, file: 1, checkbox: 1, radio: 1, submit: 1, button: 1 };

  function fields(form) {
    return Array.prototype.filter.call(form.querySelectorAll("input[name], textarea[name], select[name]"),
      function (el) { return !(el.tagName === "INPUT" && SKIP[el.type]); });
  }

  document.querySelectorAll("form[data-keep-typed]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var values = {};
      fields(form).forEach(function (el) { (values[el.name] = values[el.name] || []).push(el.value); });
      try { window.sessionStorage.setItem(KEY, JSON.stringify({ form: form.id, values: values })); } catch (e) { /* storage off */ }
    });
  });

  var raw = null;
  try { raw = window.sessionStorage.getItem(KEY); window.sessionStorage.removeItem(KEY); } catch (e) { return; }
  var refusal = document.querySelector(".messages .msg-error");
  if (!raw || !refusal) return;
  var kept;
  try { kept = JSON.parse(raw); } catch (e) { return; }
  var form = kept && document.getElementById(kept.form);
  if (!form || !form.hasAttribute("data-keep-typed")) return;
  var first = null;
  Object.keys(kept.values || {}).forEach(function (name) {
    var els = form.querySelectorAll("[name=\"" + (window.CSS && CSS.escape ? CSS.escape(name) : name) + "\"]");
    (kept.values[name] || []).forEach(function (value, i) {
      var el = els[i];
      if (!el || value === "" || el.disabled) return;
      el.value = value;
      if (!first) first = el;
    });
  });
  if (!first) return;
  if (form.hidden) form.hidden = false;
  var details = form.closest("details");
  if (details) details.open = true;
  var link = document.createElement("a");
  link.href = "#" + (first.id || form.id);
  link.className = "kept-link";
  link.textContent = form.getAttribute("data-keep-typed");
  link.addEventListener("click", function (ev) { ev.preventDefault(); first.focus(); });
  refusal.appendChild(document.createTextNode(" "));
  refusal.appendChild(link);
})();
