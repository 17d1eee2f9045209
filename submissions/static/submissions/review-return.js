// The return-for-revision form: "Add a reason" adds one more row (item + reason), so a return can
// name as many sections, fields and materials as needed. Without JavaScript the rows the page
// renders are there; blank rows are ignored by the server.
(function () {
  var form = document.getElementById("return-form");
  if (!form) return;
  var button = form.querySelector("[data-add-reason]");
  if (!button) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    var rows = form.querySelectorAll(".reason-row");
    var last = rows[rows.length - 1];
    var row = last.cloneNode(true);
    row.querySelector("select").selectedIndex = 0;
    row.querySelector("input").value = "";
    last.after(row);
    row.querySelector("select").focus();
  });
})();
