// Uploads with a progress bar: window.tolokUpload(url, file, csrf, progress, done) posts one file
// with XMLHttpRequest (fetch reports no upload progress), asking for JSON; done(ok, data, status).
// Forms marked data-upload-progress (a file input, a <progress>, a status line) send their file
// this way and reload on success; without JavaScript they are plain forms.
(function () {
  "use strict";
  function upload(url, file, csrf, progress, done) {
    var body = new FormData();
    body.append("csrf_token", csrf);
    body.append("file", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrf);
    if (progress) { progress.value = 0; progress.classList.remove("d-none"); }
    xhr.upload.addEventListener("progress", function (event) {
      if (progress && event.lengthComputable) { progress.value = Math.round(event.loaded * 100 / event.total); }
    });
    xhr.addEventListener("load", function () {
      var data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
      if (progress) { progress.classList.add("d-none"); }
      done(xhr.status >= 200 && xhr.status < 300 && !!data, data, xhr.status);
    });
    xhr.addEventListener("error", function () {
      if (progress) { progress.classList.add("d-none"); }
      done(false, null, 0);
    });
    xhr.send(body);
  }
  window.tolokUpload = upload;

  document.querySelectorAll("form[data-upload-progress]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    var progress = form.querySelector("progress");
    var status = form.querySelector("[role=status]");
    form.addEventListener("submit", function (event) {
      var file = input && input.files && input.files[0];
      if (!file || !window.FormData) { return; }  // the plain form says what is missing
      event.preventDefault();
      status.textContent = form.getAttribute("data-msg-uploading").replace("{name}", file.name);
      upload(form.action, file, form.querySelector("input[name=csrf_token]").value, progress, function (ok, data) {
        if (ok) { window.location.reload(); return; }
        status.textContent = (data && data.message) || form.getAttribute("data-msg-failed");
      });
    });
  });
})();
