/* Progressive enhancement only: every journey works without this file. */
(function () {
  "use strict";
  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, " ").trim();
  }
  // Home page: filter the entry signs as the GP types (the form still works server-side).
  var input = document.querySelector("[data-filter-target]");
  if (input) {
    var target = document.getElementById(input.getAttribute("data-filter-target"));
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.parentNode.appendChild(status);
    input.addEventListener("input", function () {
      var needle = fold(input.value), shown = 0;
      target.querySelectorAll("[data-filter-group]").forEach(function (group) {
        var visible = 0;
        group.querySelectorAll("[data-filter-item]").forEach(function (item) {
          var match = !needle || fold(item.getAttribute("data-filter-text")).indexOf(needle) !== -1;
          item.hidden = !match;
          if (match) { visible += 1; }
        });
        group.hidden = visible === 0;
        shown += visible;
      });
      status.textContent = shown + (shown > 1 ? " signes affichés" : " signe affiché");
    });
  }
  // Print view: a print button, only where JavaScript can press it.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // Focus the error summary so screen-reader users hear what went wrong.
  var summary = document.getElementById("erreurs");
  if (summary) { summary.focus(); }
})();
