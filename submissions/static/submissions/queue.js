// The review queue: a "select all" box ticks or clears every row's box (the table is swapped by htmx,
// so the handler listens on the document).
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-select-all]")) return;
  document.querySelectorAll(box.getAttribute("data-select-all")).forEach(function (b) { b.checked = box.checked; });
});
