// The practice form: its sections as steps, autosave on the server (the same form, the same
// version check as "Save draft"; the first save creates the draft), photos uploaded at once with
// their progress. Without it the page is one long form whose "Save draft" sends everything,
// the chosen file included.
(function () {
  "use strict";
  var form = document.getElementById("practice-form");
  if (!form) { return; }
  var steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.form-step"));
  var status = document.getElementById("autosave-status");
  var practiceId = document.getElementById("practice_id");
  var version = form.querySelector("input[name=version]");
  var fileInput = form.querySelector("input[type=file][name=file]");
  var progress = document.getElementById("upload-progress");
  var uploadStatus = document.getElementById("upload-status");
  var attachments = document.getElementById("form-attachments");
  var csrf = form.querySelector("input[name=csrf_token]").value;
  var DELAY = 2500;
  var timer = null;
  var inFlight = null;
  var dirty = false;
  var stopped = false;

  function say(text) { status.textContent = text; }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }

  // -- steps ---------------------------------------------------------------------------------
  var current = 0;
  var nav = document.createElement("ol");
  nav.className = "practice-stepper list-unstyled d-flex flex-wrap gap-2 mb-3";
  nav.setAttribute("aria-label", form.getAttribute("data-msg-steps"));
  var tabs = steps.map(function (step, i) {
    var li = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "btn btn-sm btn-outline-secondary";
    button.id = "step-tab-" + (i + 1);
    button.setAttribute("data-step", String(i));
    button.textContent = (i + 1) + ". " + step.querySelector("legend").textContent.trim();
    button.addEventListener("click", function () { show(i, true); });
    li.appendChild(button);
    nav.appendChild(li);
    return button;
  });
  var counter = document.createElement("p");
  counter.className = "small text-muted mb-2";
  counter.id = "step-counter";
  var buttons = document.createElement("div");
  buttons.className = "d-flex gap-2 mb-3";
  var back = document.createElement("button");
  back.type = "button";
  back.id = "step-back";
  back.className = "btn btn-outline-secondary";
  back.textContent = form.getAttribute("data-msg-back") || "‹";
  var next = document.createElement("button");
  next.type = "button";
  next.id = "step-next";
  next.className = "btn btn-outline-primary";
  next.textContent = form.getAttribute("data-msg-next") || "›";
  back.addEventListener("click", function () { show(current - 1, true); });
  next.addEventListener("click", function () { show(current + 1, true); });
  buttons.appendChild(back);
  buttons.appendChild(next);

  function show(i, focus) {
    current = Math.max(0, Math.min(steps.length - 1, i));
    steps.forEach(function (step, n) { step.hidden = n !== current; });
    tabs.forEach(function (tab, n) {
      if (n === current) { tab.setAttribute("aria-current", "step"); tab.classList.add("active"); }
      else { tab.removeAttribute("aria-current"); tab.classList.remove("active"); }
    });
    counter.textContent = fill(form.getAttribute("data-msg-step"), { n: current + 1, total: steps.length });
    back.disabled = current === 0;
    next.disabled = current === steps.length - 1;
    form.setAttribute("data-step", String(current + 1));
    if (focus) {
      var first = steps[current].querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    }
  }

  if (steps.length > 1) {
    steps[0].parentNode.insertBefore(nav, steps[0]);
    steps[0].parentNode.insertBefore(counter, steps[0]);
    steps[steps.length - 1].parentNode.insertBefore(buttons, steps[steps.length - 1].nextSibling);
    // A refused save opens at the first section with something to correct.
    var invalid = steps.findIndex(function (step) { return step.querySelector(".is-invalid, .invalid-feedback"); });
    show(invalid >= 0 ? invalid : 0, false);
  }

  // -- autosave --------------------------------------------------------------------------------
  function fields() {
    var data = new FormData(form);
    data.delete("file");
    return data;
  }

  function created(data) {
    // The draft exists now: the form edits it, a reload opens it, the device keeps it under its name.
    practiceId.value = String(data.practice_id);
    form.action = data.edit_url;
    form.setAttribute("data-upload-url", data.upload_url);
    var keepKey = form.getAttribute("data-keep");
    if (keepKey && /-new$/.test(keepKey)) {
      try { localStorage.removeItem("tolok-form-" + keepKey); } catch (e) { /* blocked */ }
      form.setAttribute("data-keep", keepKey.replace(/-new$/, "-" + data.practice_id));
    }
    if (window.history && window.history.replaceState) { window.history.replaceState(null, "", data.edit_url); }
  }

  function save() {
    if (stopped) { return Promise.resolve(false); }
    if (inFlight) { return inFlight.then(function () { return dirty ? save() : true; }); }
    dirty = false;
    say(form.getAttribute("data-msg-saving"));
    inFlight = fetch(form.getAttribute("data-autosave-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf },
      body: fields()
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (data) {
        inFlight = null;
        if (response.ok && data) {
          var fresh = !practiceId.value;
          version.value = String(data.version);
          if (fresh) { created(data); }
          say(form.getAttribute("data-msg-saved") + " " + new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
          form.setAttribute("data-saved-version", String(data.version));
          return true;
        }
        if (response.status === 409) {
          stopped = true;  // never overwrite: "Save draft" shows both versions side by side
          say(form.getAttribute("data-msg-conflict"));
        } else {
          say((data && data.message) || form.getAttribute("data-msg-offline"));
        }
        dirty = true;
        return false;
      });
    }).catch(function () {
      inFlight = null;
      dirty = true;
      say(form.getAttribute("data-msg-offline"));
      return false;
    });
    return inFlight;
  }

  function schedule() {
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { timer = null; save(); }, DELAY);
  }

  form.addEventListener("input", function (event) { if (event.target !== fileInput) { schedule(); } });
  form.addEventListener("change", function (event) { if (event.target !== fileInput) { schedule(); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && dirty) { save(); }
  });
  window.addEventListener("online", function () { if (dirty) { save(); } });
  form.addEventListener("submit", function (event) {
    if (timer) { clearTimeout(timer); timer = null; }
    if (inFlight) {
      // Let the autosave under way finish first: the form then goes with the version it left.
      event.preventDefault();
      inFlight.then(function () { stopped = true; form.submit(); });
      return;
    }
    stopped = true;  // the form itself goes now, with the version the last autosave left
  });

  // -- photos, uploaded at once with progress ---------------------------------------------------
  function upload(file) {
    uploadStatus.textContent = fill(form.getAttribute("data-msg-uploading"), { name: file.name });
    window.tolokUpload(form.getAttribute("data-upload-url"), file, csrf, progress, function (ok, data) {
      if (ok) {
        var li = document.createElement("li");
        li.textContent = data.name;
        li.setAttribute("data-attachment", String(data.id));
        attachments.appendChild(li);
        uploadStatus.textContent = fill(form.getAttribute("data-msg-uploaded"), { name: data.name });
        fileInput.value = "";
      } else {
        uploadStatus.textContent = (data && data.message) || form.getAttribute("data-msg-upload-failed");
      }
    });
  }

  if (fileInput && window.FormData && window.tolokUpload) {
    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      if (!file) { return; }
      if (timer) { clearTimeout(timer); timer = null; }
      // No draft yet: the first autosave makes one (with whatever is typed), then the photo follows.
      var ready = practiceId.value ? Promise.resolve(true) : (dirty = true, save());
      ready.then(function (ok) {
        if (ok && form.getAttribute("data-upload-url")) { upload(file); }
      });
    });
  }
})();
