// Registration: the region picker is searchable (Tom Select, grouped by province and city) and is
// filled in from the credit code as it is typed (the server reads the county from the code).
(function () {
  var form = document.getElementById("register-form");
  if (!form) return;
  var select = form.querySelector("select[data-region-picker]");
  var code = form.querySelector("input[name=credit_code]");
  var picker = null;
  if (select && window.TomSelect) {
    var label = document.querySelector("label[for='" + select.id + "']");
    picker = new TomSelect(select, {
      maxOptions: null, allowEmptyOption: true, lockOptgroupOrder: true,
      searchField: ["text", "optgroup"], render: {no_results: function () { return '<div class="no-results">—</div>'; }}
    });
    // the control keeps the visible label and the field's description
    var input = picker.control_input;
    if (label) {
      label.id = label.id || select.id + "-label";
      input.setAttribute("aria-labelledby", label.id);
      select.setAttribute("aria-labelledby", label.id);  // the hidden native select keeps its name too
    }
    ["aria-describedby", "aria-invalid"].forEach(function (a) { if (select.getAttribute(a)) input.setAttribute(a, select.getAttribute(a)); });
  }
  var filledFromCode = false, timer = null, last = "";
  function lookUp() {
    var value = code.value.replace(/\s+/g, "").toUpperCase();
    if (value.length < 8 || value.slice(0, 8) === last) return;
    last = value.slice(0, 8);
    var current = picker ? picker.getValue() : select.value;
    if (current && !filledFromCode) return;  // a choice of the user's own is kept
    fetch(form.dataset.regionUrl + "?credit_code=" + encodeURIComponent(value), {headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : {}; })
      .then(function (found) {
        if (!found.code) return;
        if (picker) picker.setValue(found.code, true); else select.value = found.code;
        filledFromCode = true;
        select.dispatchEvent(new Event("change"));
      }).catch(function () {});
  }
  if (code && select) {
    code.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookUp, 300); });
    if (picker) picker.on("change", function () { filledFromCode = false; });
    if (code.value && !select.value) lookUp();
  }
})();
