// The application form. htmx sends the autosave (hx-post on the form, after a pause in typing) and
// swaps in the status line the server renders (saved at …, or the conflict notice with its link),
// with the draft's new version out of band; htmx also asks the server for the live self-score
// (hx-post on #score-body). What stays here is what only the browser can do: a copy of unsaved
// changes kept in this browser (a closed tab or a lost connection loses nothing) and the offer to
// restore it, the warning before leaving with unsaved changes, retrying when offline, holding
// further saves after a conflict (the text stays here and in the server's conflict record), the
// rows of the target table, and uploads with a progress bar.
(function () {
  "use strict";

  // ---------------------------------------------------------------- the form
  var form = document.getElementById("application-form");
  if (form && !form.hasAttribute("data-readonly")) initForm(form);

  function initForm(form) {
    var key = "portal-draft-" + form.dataset.app;
    var edits = 0, savedEdits = 0, sending = 0, blocked = false, retry = null;

    function state() { return document.getElementById("save-state"); }
    function t(name) { var s = state(); return s ? s.dataset[name] || "" : ""; }
    function version() { return document.getElementById("draft-version"); }

    function fields() {
      var out = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.disabled || el.type === "hidden" && el.name !== "targets.count" || el.name === "csrfmiddlewaretoken") return;
        if (el.type === "checkbox") { out[el.name] = el.checked ? "1" : "0"; return; }
        out[el.name] = el.value;
      });
      return out;
    }

    function show(kind, text) {
      var s = state();
      if (!s) return;
      s.className = "save-state " + kind;
      s.textContent = text;
    }

    function backup() {
      try {
        localStorage.setItem(key, JSON.stringify({version: version().value, at: Date.now(), fields: fields()}));
      } catch (e) { /* storage full or disabled: the server copy still counts */ }
    }

    function clearBackup() { try { localStorage.removeItem(key); } catch (e) {} }

    function showWarnings() {
      form.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
      var s = state();
      if (!s) return;
      s.querySelectorAll(".save-warnings [data-for]").forEach(function (li) {
        var el = form.querySelector('[data-error-for="' + li.dataset.for + '"]');
        if (el) el.textContent = li.textContent;
      });
    }

    function saveNow() { if (!blocked && edits !== savedEdits) htmx.trigger(form, "save-now"); }

    // events of the autosave request (htmx sets detail.elt to the element an event is fired on,
    // the status line for htmx:beforeSwap; requestConfig.elt is the element that sent the request)
    function own(e) { return !!(e.detail && e.detail.requestConfig && e.detail.requestConfig.elt === form); }
    function saveState(xhr) { return xhr && xhr.getResponseHeader("X-Save-State"); }

    form.addEventListener("htmx:beforeRequest", function (e) {
      if (!own(e)) return;
      if (blocked) { e.preventDefault(); return; }  // after a conflict nothing more is sent over it
      sending = edits;
      show("saving", t("tSaving"));
    });
    // The status line is swapped in for every answer of the autosave (409 and 4xx included), never
    // for anything else (a sign-in page after the session ended, a server error page). No answer to
    // an autosave replaces the page (django-htmx's debug helper shows error pages in DEBUG).
    form.addEventListener("htmx:beforeOnLoad", function (e) {
      if (own(e)) e.stopPropagation();
    });
    form.addEventListener("htmx:beforeSwap", function (e) {
      if (!own(e)) return;
      var known = !!saveState(e.detail.xhr);
      e.detail.shouldSwap = known;
      e.detail.isError = !known;
    });
    form.addEventListener("htmx:afterRequest", function (e) {
      if (!own(e)) return;
      var xhr = e.detail.xhr, result = saveState(xhr);
      if (!xhr || !xhr.status) return;  // no answer at all: htmx:sendError below
      if (result === "saved") {
        savedEdits = sending;
        showWarnings();
        if (savedEdits === edits) clearBackup();
        else { backup(); show("unsaved", t("tUnsaved")); }  // typed meanwhile: the next save is on its way
      } else if (result === "conflict" || result === "locked") {
        blocked = true;
        backup();
      } else {
        backup();
        if (!result) show("error", t("tLost") + " (" + xhr.status + ")");  // the status line was not swapped
      }
    });
    form.addEventListener("htmx:sendError", function (e) {
      if (!own(e)) return;
      backup();
      show("offline", t("tOffline"));
      clearTimeout(retry);
      retry = setTimeout(saveNow, 5000);
    });

    function changed(e) {
      if (!e.target.name || e.target.name === "version") return;
      edits += 1;
      if (!blocked) show("unsaved", t("tUnsaved"));
      backup();
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function () { edits += 1; });  // "Save now": htmx sends it
    window.addEventListener("online", saveNow);
    window.addEventListener("beforeunload", function (e) {
      if (edits !== savedEdits && !blocked) { backup(); e.preventDefault(); e.returnValue = ""; }
    });

    // Changes this browser kept but the server never got (a closed tab, a lost connection).
    try {
      var kept = JSON.parse(localStorage.getItem(key) || "null");
      if (kept && kept.fields) {
        var current = fields(), differs = Object.keys(kept.fields).some(function (name) {
          return current[name] !== undefined && current[name] !== kept.fields[name];
        });
        if (!differs) clearBackup();
        else if (state()) {
          var restore = document.createElement("button"), discard = document.createElement("button");
          restore.type = discard.type = "button";
          restore.textContent = t("tRestoreButton");
          discard.textContent = t("tDiscardButton");
          restore.addEventListener("click", function () {
            Object.keys(kept.fields).forEach(function (name) {
              var el = form.elements[name];
              if (!el || el.disabled) return;
              if (el.length && !el.tagName) {  // checkbox with its hidden twin
                Array.prototype.forEach.call(el, function (x) { if (x.type === "checkbox") x.checked = kept.fields[name] === "1"; });
              } else if (el.type === "checkbox") { el.checked = kept.fields[name] === "1"; }
              else { el.value = kept.fields[name]; }
            });
            version().value = kept.version;  // an older base version makes the server compare, not overwrite
            edits += 1;
            saveNow();
            var score = document.getElementById("score-body");
            if (score) htmx.trigger(score, "score-now");
          });
          discard.addEventListener("click", function () { clearBackup(); show("saved", t("tSaved")); });
          show("conflict", t("tRestore") + " ");
          state().appendChild(restore);
          state().appendChild(discard);
        }
      }
    } catch (e) { /* nothing kept */ }

    // Rows of the target-completion table.
    var add = document.getElementById("add-target-row");
    if (add) add.addEventListener("click", function () {
      var tbody = document.querySelector("#targets-table tbody"), count = document.getElementById("targets-count");
      var n = parseInt(count.value || "0", 10), last = tbody.querySelector("tr:last-child");
      var row = last ? last.cloneNode(true) : null;
      if (!row) return;
      row.querySelector("td").textContent = String(n + 1);
      row.querySelectorAll("textarea").forEach(function (ta) {
        ta.value = "";
        ta.name = ta.name.replace(/^targets\.\d+\./, "targets." + n + ".");
      });
      tbody.appendChild(row);
      count.value = String(n + 1);
    });
  }

  // ---------------------------------------------------------------- uploads
  document.querySelectorAll("form[data-upload]").forEach(function (f) {
    var input = f.querySelector("input[type=file]"), bar = f.querySelector("progress"),
        text = f.querySelector(".progress-text"), error = f.querySelector(".upload-error"),
        slot = f.closest(".slot"), current = slot ? slot.querySelector("[data-current]") : null;
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      error.textContent = "";
      if (!input.files.length) return;
      var file = input.files[0], max = parseInt(slot && slot.dataset.maxBytes || "0", 10);
      if (max && file.size > max) { error.textContent = f.dataset.tTooBig; return; }
      var data = new FormData(f);
      data.set("filename", file.name);
      var xhr = new XMLHttpRequest();
      xhr.open("POST", f.action);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener("progress", function (ev) {
        if (!ev.lengthComputable) return;
        bar.value = Math.round(ev.loaded / ev.total * 100);
        text.textContent = bar.value + "%";
      });
      xhr.addEventListener("load", function () {
        var res = {};
        try { res = JSON.parse(xhr.responseText); } catch (err) { res = {detail: xhr.status === 413 ? f.dataset.tTooBig : xhr.status}; }
        if (xhr.status === 201) {
          bar.value = 100;
          text.textContent = f.dataset.tStored + " ✓";
          if (current) {
            current.textContent = "";
            var a = document.createElement("a");
            a.href = res.url;
            a.textContent = res.name;
            var meta = document.createElement("span");
            meta.className = "small muted";
            meta.textContent = " " + Math.max(1, Math.round(res.size / 1024)) + " KB · SHA-256 " + res.sha256.slice(0, 16) + "…";
            current.appendChild(a);
            current.appendChild(meta);
          }
          input.value = "";
        } else {
          bar.hidden = true;
          text.textContent = "";
          error.textContent = res.detail || String(xhr.status);
        }
      });
      xhr.addEventListener("error", function () { bar.hidden = true; text.textContent = ""; error.textContent = f.dataset.tFailed; });
      xhr.send(data);
    });
  });
})();
