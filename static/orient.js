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
        var heading = group.querySelector("h3");
        var label = heading ? heading.textContent : "";
        group.querySelectorAll("[data-filter-item]").forEach(function (item) {
          var match = !needle || fold(item.textContent + " " + label).indexOf(needle) !== -1;
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
  // "Télécharger en PDF" from the result lands here with #pdf: open the print dialog, whose
  // "Enregistrer au format PDF" is the download (without JavaScript the page says how).
  if (location.hash === "#pdf" && document.querySelector("[data-print]")) {
    window.addEventListener("load", function () { window.print(); });
  }
  // Result page: copy the orientation link (the field stays selectable without JavaScript).
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.parentNode.querySelector(".copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      field.select();
      var done = function () { if (status) { status.textContent = "Lien copié."; } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
  // Presenter mode (/formation/cas/…): the keys a presentation clicker sends. ArrowRight and
  // PageDown follow the "Étape suivante" link, ArrowLeft and PageUp "Étape précédente" (their
  // #etape-courante fragment puts the step at the top of the screen). Keys typed in a form
  // field, or with a modifier (Alt+Left is the browser's Back), are left alone.
  var step = document.querySelector("[data-presenter]");
  if (step) {
    var keysHint = document.querySelector("[data-presenter-keys]");
    if (keysHint) { keysHint.hidden = false; }
    if (!window.location.hash && step.scrollIntoView) {
      var box = step.getBoundingClientRect();
      if (box.top < 0 || box.bottom > window.innerHeight) { step.scrollIntoView({ block: "nearest" }); }
    }
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName))) { return; }
      var rel = { ArrowRight: "next", PageDown: "next", ArrowLeft: "prev", PageUp: "prev" }[event.key];
      var link = rel && step.querySelector(".step-nav a[rel=" + rel + "]");
      if (!link) { return; }
      event.preventDefault();
      window.location.assign(link.href);
    });
  }
  // Focus the error summary so screen-reader users hear what went wrong.
  var summary = document.getElementById("erreurs");
  if (summary) { summary.focus(); }
})();
