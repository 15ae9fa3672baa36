/* Progressive enhancement of the duplicate warning on the declaration form (the server does the
 * check and asks for the answer without this file):
 * 1. When the warning is shown, focus it so it is read out first.
 * 2. Saving without an answer is stopped here, with the same message the server would give.
 * 3. When the clerk changes the declaration after the warning, the answer no longer applies:
 *    the warning is set aside and the server checks the new details again on saving.
 */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("declaration-form");
    var warning = document.getElementById("possible-duplicates");
    if (!form || !warning) { return; }
    if (!document.getElementById("error-summary")) { warning.focus(); }
    var checked = warning.querySelector("input[name=duplicate_checked]");
    var radios = warning.querySelectorAll("input[name=duplicate_choice]");
    var message = warning.getAttribute("data-choose") || "";

    function answered() {
      return Array.prototype.some.call(radios, function (r) { return r.checked; });
    }

    form.addEventListener("submit", function (event) {
      if (!checked || !checked.form || answered()) { return; }
      event.preventDefault();
      var error = warning.querySelector("p.error");
      if (!error) {
        error = document.createElement("p");
        error.className = "error";
        error.setAttribute("role", "alert");
        warning.insertBefore(error, warning.querySelector("fieldset"));
      }
      error.textContent = message;
      warning.focus();
    });

    form.addEventListener("change", function (event) {
      if (warning.contains(event.target) || !checked || !checked.form) { return; }
      checked.parentNode.removeChild(checked);
      Array.prototype.forEach.call(radios, function (r) { r.checked = false; r.disabled = true; });
      warning.classList.add("stale");
      var note = warning.querySelector(".stale-note");
      if (note) { note.hidden = false; }
    });
  });
}());
