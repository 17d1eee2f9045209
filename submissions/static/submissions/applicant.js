// The application form: autosave with a visible saved / conflict indicator, a copy of unsaved
// changes kept in this browser (a closed tab or a lost connection loses nothing), the live
// self-score (the server scores; nothing is computed here) and uploads with a progress bar.
(function () {
  "use strict";

  function post(url, body, headers) {
    return fetch(url, {method: "POST", body: body, credentials: "same-origin",
                       headers: Object.assign({"X-Requested-With": "fetch"}, headers || {})});
  }

  // ---------------------------------------------------------------- the form
  var form = document.getElementById("application-form");
  if (form && !form.hasAttribute("data-readonly")) initForm(form);

  function initForm(form) {
    var state = document.getElementById("save-state");
    var t = state ? state.dataset : {};
    var versionInput = form.querySelector("input[name=version]");
    var key = "portal-draft-" + form.dataset.app;
    var edits = 0, savedEdits = 0, saving = false, blocked = false, timer = null, scoreTimer = null, retry = null;

    function fields() {
      var out = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.disabled || el.type === "hidden" && el.name !== "targets.count" || el.name === "csrfmiddlewaretoken") return;
        if (el.type === "checkbox") { out[el.name] = el.checked ? "1" : "0"; return; }
        out[el.name] = el.value;
      });
      return out;
    }

    function show(kind, text, extra) {
      if (!state) return;
      state.className = "save-state " + kind;
      state.textContent = text;
      if (extra) state.appendChild(extra);
    }

    function backup() {
      try {
        localStorage.setItem(key, JSON.stringify({version: versionInput.value, at: Date.now(), fields: fields()}));
      } catch (e) { /* storage full or disabled: the server copy still counts */ }
    }

    function clearBackup() { try { localStorage.removeItem(key); } catch (e) {} }

    function body() {
      var data = new FormData(form);
      data.set("version", versionInput.value);
      return data;
    }

    function showWarnings(warnings) {
      form.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
      Object.keys(warnings || {}).forEach(function (path) {
        var el = form.querySelector('[data-error-for="' + path + '"]');
        if (el) el.textContent = warnings[path];
      });
    }

    function save() {
      clearTimeout(timer);
      if (blocked) return;
      if (saving) { timer = setTimeout(save, 500); return; }
      if (savedEdits === edits) return;
      saving = true;
      var upTo = edits;
      show("saving", t.tSaving);
      post(form.dataset.autosave, body()).then(function (r) {
        return r.json().then(function (data) { return {status: r.status, data: data}; });
      }).then(function (res) {
        saving = false;
        var data = res.data;
        if (res.status === 200) {
          versionInput.value = data.version;
          form.dataset.version = data.version;
          savedEdits = upTo;
          showWarnings(data.warnings);
          if (savedEdits === edits) { clearBackup(); show("saved", t.tSavedAt + " " + data.saved_at); }
          else { backup(); schedule(); }
        } else if (res.status === 409) {
          blocked = true;
          backup();
          var a = document.createElement("a");
          a.href = data.conflict_url || "#";
          a.textContent = " " + t.tCompare;
          show("conflict", (data.status === "locked" ? data.detail : t.tConflict) + " ", a);
        } else {
          backup();
          show("error", t.tError + " " + (data.detail || res.status));
        }
      }).catch(function () {
        saving = false;
        backup();
        show("offline", t.tOffline);
        clearTimeout(retry);
        retry = setTimeout(save, 5000);
      });
    }

    function schedule() {
      clearTimeout(timer);
      timer = setTimeout(save, 1200);
    }

    function score() {
      clearTimeout(scoreTimer);
      scoreTimer = setTimeout(function () {
        post(form.dataset.score, body()).then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (html) {
            var target = document.getElementById("score-body");
            if (target) target.outerHTML = html;
          }).catch(function () { /* keep the last score shown */ });
      }, 300);
    }

    function changed(e) {
      if (!e.target.name || e.target.name === "version") return;
      edits += 1;
      if (!blocked) show("unsaved", t.tUnsaved);
      backup();
      schedule();
      if (e.target.hasAttribute("data-live")) score();
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function (e) { e.preventDefault(); edits += 1; save(); });
    window.addEventListener("online", function () { if (!blocked) save(); });
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
        else if (state) {
          var restore = document.createElement("button"), discard = document.createElement("button");
          restore.type = discard.type = "button";
          restore.textContent = t.tRestoreButton;
          discard.textContent = t.tDiscardButton;
          restore.addEventListener("click", function () {
            Object.keys(kept.fields).forEach(function (name) {
              var el = form.elements[name];
              if (!el || el.disabled) return;
              if (el.length && !el.tagName) {  // checkbox with its hidden twin
                Array.prototype.forEach.call(el, function (x) { if (x.type === "checkbox") x.checked = kept.fields[name] === "1"; });
              } else if (el.type === "checkbox") { el.checked = kept.fields[name] === "1"; }
              else { el.value = kept.fields[name]; }
            });
            versionInput.value = kept.version;  // an older base version makes the server compare, not overwrite
            edits += 1;
            save();
            score();
          });
          discard.addEventListener("click", function () { clearBackup(); show("saved", t.tSaved); });
          show("conflict", t.tRestore + " ");
          state.appendChild(restore);
          state.appendChild(discard);
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
