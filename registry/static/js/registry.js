/* Progressive enhancement only: every page works without this file.
 * 1. Area and facility pickers: as the user types, ask the app for matching codes
 *    (/lookup/areas?q=, /lookup/facilities?q=) and offer them through the input's <datalist>.
 * 2. After a failed submission, move focus to the error summary so it is read out first.
 */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments, self = this;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(self, args); }, ms);
    };
  }

  function picker(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var url = input.getAttribute("data-lookup");
    if (!list || !url) { return; }
    var last = null;
    var controller = null;
    var lookup = debounce(function () {
      var q = input.value.trim();
      if (q === last || q.length < 1) { return; }
      last = q;
      if (controller) { controller.abort(); }
      controller = window.AbortController ? new AbortController() : null;
      fetch(url + "?q=" + encodeURIComponent(q), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        return response.ok ? response.json() : [];
      }).then(function (rows) {
        while (list.firstChild) { list.removeChild(list.firstChild); }
        rows.forEach(function (row) {
          var option = document.createElement("option");
          option.value = row.code;
          option.label = row.name + " (" + row.code + ")";
          option.textContent = row.name + " (" + row.code + ")";
          list.appendChild(option);
        });
      }).catch(function () { /* offline or aborted: typing the code still works */ });
    }, 250);
    input.addEventListener("input", lookup);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inputs = document.querySelectorAll("input[data-lookup][list]");
    Array.prototype.forEach.call(inputs, picker);
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
}());
