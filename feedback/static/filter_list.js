// A search box over a long list: <input data-filter-list="ID"> narrows the <ul> or <select>
// with that id to the entries whose text (or data-filter-text) contains what was typed.
(function () {
  "use strict";
  function entries(target) {
    return target.tagName === "SELECT" ? Array.prototype.slice.call(target.options)
                                        : Array.prototype.slice.call(target.children);
  }
  function text(el) {
    return (el.getAttribute("data-filter-text") || el.textContent || "").toLowerCase();
  }
  document.querySelectorAll("input[data-filter-list]").forEach(function (input) {
    var target = document.getElementById(input.getAttribute("data-filter-list"));
    if (!target) { return; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var first = null;
      entries(target).forEach(function (el) {
        var keep = !needle || !el.value && target.tagName === "SELECT" || text(el).indexOf(needle) !== -1;
        el.hidden = !keep;
        if (keep && first === null && target.tagName === "SELECT" && el.value) { first = el; }
      });
      // a select shows the first match as chosen, so the choice follows what was typed
      if (first && target.tagName === "SELECT" && (target.selectedOptions[0] || {}).hidden !== false) {
        target.value = first.value;
      }
    });
  });
}());
