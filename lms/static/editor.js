// The reflection editor: autosave every few seconds and when the page is left, a copy on this
// device for dropped connections and expired sessions, and a conflict panel instead of
// overwriting text saved from another tab. The page works without it (the form still submits).
(function () {
  "use strict";
  var root = document.getElementById("editor");
  if (!root) { return; }
  var textarea = document.getElementById("body");
  var status = document.getElementById("save-status");
  var versionField = document.getElementById("version-field");
  var conflict = document.getElementById("conflict");
  var preview = document.getElementById("preview");
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var key = root.dataset.storageKey;
  var submissionId = parseInt(root.dataset.submissionId, 10);
  var version = parseInt(root.dataset.version, 10);
  var saved = textarea.value;
  var timer = null;
  var inFlight = false;
  var pendingConflict = null;
  var DELAY = 3000;

  function say(text) { status.textContent = text; }
  function remember() {
    try { localStorage.setItem(key, JSON.stringify({ body: textarea.value, version: version, at: Date.now() })); } catch (e) { /* storage full or blocked */ }
  }
  function forget() { try { localStorage.removeItem(key); } catch (e) { /* ignore */ } }

  function setVersion(v) { version = v; versionField.value = String(v); }

  function save(auto, keepalive) {
    if (inFlight || pendingConflict) { return; }
    if (textarea.value === saved) { return; }
    inFlight = true;
    var body = textarea.value;
    say(root.dataset.msgSaving);
    fetch(root.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ submission_id: submissionId, body: body, version: version, auto: auto })
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        inFlight = false;
        if (response.ok && data) {
          setVersion(data.version);
          saved = body;
          if (textarea.value === saved) { forget(); } else { remember(); }
          say(root.dataset.msgSaved + " " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
        } else if (response.status === 409 && data && data.error === "conflict") {
          showConflict(data);
        } else if (response.status === 401 || response.status === 400 || !data) {
          say(root.dataset.msgSession);
          remember();
        } else {
          say(root.dataset.msgRefused + " " + (data.message || response.status));
          remember();
        }
      });
    }).catch(function () {
      inFlight = false;
      say(root.dataset.msgOffline);
      remember();
    });
  }

  function schedule() {
    remember();
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { save(true, false); }, DELAY);
  }

  function showConflict(data) {
    pendingConflict = data;
    document.getElementById("conflict-message").textContent = data.message;
    document.getElementById("conflict-other").textContent = data.server_body;
    conflict.classList.remove("d-none");
    remember();
  }

  document.getElementById("keep-mine").addEventListener("click", function () {
    var data = pendingConflict;
    pendingConflict = null;
    conflict.classList.add("d-none");
    setVersion(data.server_version);
    saved = data.server_body;
    save(false, false);
  });
  document.getElementById("take-theirs").addEventListener("click", function () {
    var data = pendingConflict;
    pendingConflict = null;
    conflict.classList.add("d-none");
    setVersion(data.server_version);
    textarea.value = data.server_body;
    saved = data.server_body;
    forget();
  });

  // Text kept on this device that the server never got: bring it back, or show the conflict.
  try {
    var kept = JSON.parse(localStorage.getItem(key) || "null");
    if (kept && typeof kept.body === "string" && kept.body !== textarea.value) {
      if (kept.version === version) {
        textarea.value = kept.body;
        say(root.dataset.msgRestored);
        schedule();
      } else {
        pendingConflict = null;
        showConflict({ message: root.dataset.msgRestored, server_body: textarea.value, server_version: version });
        textarea.value = kept.body;
      }
    }
  } catch (e) { /* ignore unreadable storage */ }

  textarea.addEventListener("input", schedule);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { save(true, true); }
  });
  window.addEventListener("pagehide", function () { save(true, true); });
  window.addEventListener("online", function () { save(true, false); });
  document.getElementById("submit-form").addEventListener("submit", function () {
    if (timer) { clearTimeout(timer); }
    forget();
  });

  var tabWrite = document.getElementById("tab-write");
  var tabPreview = document.getElementById("tab-preview");
  tabPreview.addEventListener("click", function () {
    fetch(root.dataset.previewUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ text: textarea.value })
    }).then(function (r) { return r.json(); }).then(function (data) {
      preview.innerHTML = data.html;  // sanitised by the server's Markdown renderer
      preview.classList.remove("d-none");
      textarea.classList.add("d-none");
      tabPreview.classList.add("active"); tabPreview.setAttribute("aria-pressed", "true");
      tabWrite.classList.remove("active"); tabWrite.setAttribute("aria-pressed", "false");
    }).catch(function () { say(root.dataset.msgOffline); });
  });
  tabWrite.addEventListener("click", function () {
    preview.classList.add("d-none");
    textarea.classList.remove("d-none");
    tabWrite.classList.add("active"); tabWrite.setAttribute("aria-pressed", "true");
    tabPreview.classList.remove("active"); tabPreview.setAttribute("aria-pressed", "false");
    textarea.focus();
  });
})();
