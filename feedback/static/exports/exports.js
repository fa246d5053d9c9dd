// Export job page: poll the JSON status until the file is ready, then show the download link.
// A static file, not inline script: the Content-Security-Policy allows scripts from 'self' only.
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("export-progress");
  var label = document.getElementById("export-status");
  var link = document.getElementById("export-download");
  var error = document.getElementById("export-error");
  var delay = 700;

  function show(s) {
    bar.value = s.progress;
    bar.textContent = s.progress + "%";
    label.textContent = s.status_label + (s.status === "running" ? " " + s.progress + "%" : "");
    box.setAttribute("data-status", s.status);
    if (s.download_url) {
      link.href = s.download_url;
      link.textContent = link.textContent.split(" ")[0] + " " + (s.filename || "");
      link.hidden = false;
      link.classList.remove("hidden");
    }
    if (s.error) {
      error.querySelector("span").textContent = s.error;
      error.hidden = false;
      error.classList.remove("hidden");
    }
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) {
        show(s);
        if (s.status === "queued" || s.status === "running") {
          delay = Math.min(delay * 1.3, 5000);
          window.setTimeout(poll, delay);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  var state = box.getAttribute("data-status");
  if (state === "queued" || state === "running") { window.setTimeout(poll, delay); }
}());
