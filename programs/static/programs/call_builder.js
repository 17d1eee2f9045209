/* The call builder: rows added to each part from its empty form, the fields a kind of deadline or
   quota does not use hidden, region pickers with search (Tom Select). Without JavaScript every part
   still offers one blank row and shows every field. */
(function () {
  "use strict";

  var STAGE_FIELDS = {
    absolute: ["deadline"],
    rolling: [],
    relative: ["relative_working_days", "event_name", "event_date"]
  };
  var ALL_STAGE_FIELDS = ["deadline", "relative_working_days", "event_name", "event_date"];

  function fieldBox(row, name) {
    return row.querySelector(".field-" + name);
  }

  function syncStage(row) {
    var kind = row.querySelector("select.deadline-kind");
    if (!kind) { return; }
    var shown = STAGE_FIELDS[kind.value] || ALL_STAGE_FIELDS;
    ALL_STAGE_FIELDS.forEach(function (name) {
      var box = fieldBox(row, name);
      if (box && !box.classList.contains("has-error")) { box.hidden = shown.indexOf(name) < 0; }
    });
  }

  function syncQuota(row) {
    var rule = row.querySelector("select.quota-rule");
    if (!rule) { return; }
    ["condition_attribute", "limit_if_true"].forEach(function (name) {
      var box = fieldBox(row, name);
      if (box && !box.classList.contains("has-error")) { box.hidden = rule.value !== "conditional"; }
    });
  }

  function pickers(root) {
    if (typeof window.TomSelect !== "function") { return; }
    root.querySelectorAll("select.region-picker").forEach(function (select) {
      if (select.tomselect) { return; }
      new window.TomSelect(select, { allowEmptyOption: true, maxOptions: 500 });
    });
  }

  function prepare(row) {
    syncStage(row);
    syncQuota(row);
    pickers(row);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("call-builder");
    if (!form) { pickers(document); return; }
    form.querySelectorAll(".builder-row").forEach(prepare);
    pickers(form.querySelector("#part-call") || form);
    form.addEventListener("change", function (event) {
      var row = event.target.closest(".builder-row");
      if (row) { syncStage(row); syncQuota(row); }
    });
    form.querySelectorAll("button.builder-add").forEach(function (button) {
      button.addEventListener("click", function () {
        var prefix = button.getAttribute("data-add");
        var part = document.getElementById("part-" + prefix);
        var total = part.querySelector("input[name='" + prefix + "-TOTAL_FORMS']");
        var index = parseInt(total.value, 10);
        var html = part.querySelector("template.builder-empty").innerHTML.replace(/__prefix__/g, String(index));
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var row = holder.firstElementChild;
        row.setAttribute("data-index", String(index));
        part.querySelector(".builder-rows").appendChild(row);
        total.value = String(index + 1);
        prepare(row);
        var first = row.querySelector("input, select, textarea");
        if (first) { first.focus(); }
      });
    });
  });
})();
