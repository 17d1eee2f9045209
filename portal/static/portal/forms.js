// Errors where people look (the GOV.UK error-summary pattern). After a failed save or submit the
// summary at the top of the page takes the focus (with one error, the field itself does); each entry
// of the summary moves the focus to its field. A link to `page#anchor` from another page (the submit
// check) focuses the field when the page opens.
(function () {
  function fieldIn(anchor) {
    var el = document.getElementById(anchor);
    if (!el) return null;
    if (el.matches("input,select,textarea,button")) return el;
    return el.querySelector("input:not([type=hidden]):not([disabled]),select,textarea,button") || el;
  }
  function focusField(anchor) {
    var field = fieldIn(anchor);
    if (!field) return false;
    // a select upgraded by Tom Select is reached through its own control
    if (field.tomselect) { field.tomselect.focus(); }
    else {
      if (!field.matches("input,select,textarea,button,a,[tabindex]")) field.setAttribute("tabindex", "-1");
      field.focus();
    }
    (field.closest(".field,td,.slot,section") || field).scrollIntoView({block: "center"});
    return true;
  }
  function start() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.addEventListener("click", function (event) {
        var link = event.target.closest("a[data-field]");
        if (link && link.pathname === location.pathname && focusField(link.dataset.field)) {
          event.preventDefault();
          history.replaceState(null, "", "#" + link.dataset.field);
        }
      });
    }
    // arriving by a link to one field (from the submit check): that field
    if (location.hash.length > 1 && focusField(decodeURIComponent(location.hash.slice(1)))) return;
    if (!summary) {
      // a refusal reported as a message (the review forms): the message at the top takes the focus
      var refused = document.querySelector(".messages .msg-error");
      if (refused) {
        var list = refused.closest(".messages");
        list.setAttribute("tabindex", "-1");
        list.focus();
      }
      return;
    }
    var links = summary.querySelectorAll("a[data-field]");
    if (summary.hasAttribute("data-focus-field") && links.length === 1 && links[0].pathname === location.pathname &&
        focusField(links[0].dataset.field)) return;
    summary.focus();
  }
  // after the other scripts (Tom Select) have upgraded their fields
  if (document.readyState === "complete") setTimeout(start, 0);
  else window.addEventListener("load", function () { setTimeout(start, 0); });
})();
