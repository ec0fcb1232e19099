// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Forms that destroy or change something ask first (server-side checks stay in force).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Selects that submit their form on change (the language switch).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // "Tick everyone" boxes (data-tick-all="NAME") tick or clear the NAME boxes of their form, and
  // the form's count (#bulk-count, data-template with {num}) says how many are ticked.
  document.querySelectorAll("[data-tick-all]").forEach(function (all) {
    var form = all.form;
    var name = all.getAttribute("data-tick-all");
    var count = document.getElementById("bulk-count");
    function boxes() {
      return Array.prototype.filter.call(form.elements, function (el) { return el.name === name && el.type === "checkbox"; });
    }
    function update() {
      var ticked = boxes().filter(function (box) { return box.checked; }).length;
      all.checked = ticked > 0 && ticked === boxes().length;
      all.indeterminate = ticked > 0 && ticked < boxes().length;
      if (count) { count.textContent = ticked ? count.getAttribute("data-template").replace("{num}", ticked) : ""; }
    }
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      update();
    });
    boxes().forEach(function (box) { box.addEventListener("change", update); });
    update();
  });

  // Copy buttons (temporary passwords).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (target && navigator.clipboard) { navigator.clipboard.writeText(target.textContent.trim()); }
    });
  });
})();

// Forms marked data-keep="KEY" keep what was typed on this device until the form is sent, so a
// dropped connection or an ended session never loses it. An untouched form that finds kept text
// brings it back and says so, with a way to throw it away.
(function () {
  "use strict";
  var PREFIX = "tolok-form-";
  var MAX_AGE = 7 * 24 * 3600 * 1000;
  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && !el.hasAttribute("data-keep-not") && el.type !== "hidden" && el.type !== "file" &&
        el.type !== "submit" && el.type !== "button" && el.type !== "password";
    });
  }
  function read(form) {
    var data = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        data[el.name + "=" + el.value] = el.checked;
      } else if (el.multiple) {
        data[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }
  function write(form, data) {
    fields(form).forEach(function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        var key = el.name + "=" + el.value;
        if (key in data) { el.checked = data[key]; }
      } else if (el.multiple && Array.isArray(data[el.name])) {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = data[el.name].indexOf(o.value) >= 0; });
      } else if (el.name in data) {
        el.value = data[el.name];
      }
    });
  }
  document.querySelectorAll("form[data-keep]").forEach(function (form) {
    // Read again at each keep: a page's own script may move the form to another key (a new
    // practice's form, once its first autosave made the draft, keeps under that practice).
    var key = PREFIX + form.getAttribute("data-keep");
    var initial = JSON.stringify(read(form));
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { kept = null; }
    if (kept && Date.now() - kept.at < MAX_AGE && JSON.stringify(kept.data) !== initial) {
      write(form, kept.data);
      var note = document.createElement("div");
      note.className = "alert alert-info d-flex flex-wrap gap-2 align-items-center";
      note.setAttribute("role", "status");
      note.textContent = form.getAttribute("data-keep-restored") || "";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "btn btn-sm btn-outline-secondary";
      discard.textContent = form.getAttribute("data-keep-discard") || "×";
      discard.addEventListener("click", function () {
        localStorage.removeItem(key);
        window.location.reload();
      });
      note.appendChild(discard);
      form.parentNode.insertBefore(note, form);
    } else if (kept) {
      localStorage.removeItem(key);
    }
    form.addEventListener("input", function () { keep(); });
    form.addEventListener("change", function () { keep(); });
    form.addEventListener("submit", function () {
      keep();
      try { sessionStorage.setItem(PREFIX + "sent", key); } catch (e) { /* blocked */ }
    });
    function keep() {
      key = PREFIX + form.getAttribute("data-keep");
      try { localStorage.setItem(key, JSON.stringify({ at: Date.now(), data: read(form) })); } catch (e) { /* full */ }
    }
  });
  // The page right after a form was sent: if it is an ordinary page, the form was saved and what
  // was kept is forgotten. The login page and error pages (an ended session, an expired form)
  // leave it for when the person comes back to the form.
  var sent = null;
  try { sent = sessionStorage.getItem(PREFIX + "sent"); sessionStorage.removeItem(PREFIX + "sent"); } catch (e) { sent = null; }
  if (sent && !document.body.hasAttribute("data-keep-drafts") &&
      !document.querySelector('form[data-keep="' + sent.slice(PREFIX.length).replace(/"/g, "") + '"]')) {
    localStorage.removeItem(sent);
  }
})();
