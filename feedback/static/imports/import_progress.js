// Live progress of a file import: polls the job's JSON status and reloads the page once the
// import has finished, so the server renders the final counts, errors and the download link.
// (A static file: the Content-Security-Policy allows no inline script.)
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.finished === "true") { return; }
  var url = box.dataset.statusUrl;
  var labels = { queued: box.dataset.labelQueued, running: box.dataset.labelRunning };

  function show(name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el && value !== null && value !== undefined) { el.textContent = value; }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
      .then(function (job) {
        if (job.finished) { window.location.reload(); return; }
        show("status", labels[job.status] || job.status);
        show("rows_done", job.rows_done);
        show("rows_total", job.rows_total);
        show("created", job.created);
        show("duplicate", job.duplicate);
        show("error", job.error);
        var bar = box.querySelector('[data-field="bar"]');
        if (bar) { bar.value = job.percent; bar.textContent = job.percent + "%"; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
}());
