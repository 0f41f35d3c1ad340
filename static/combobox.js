/* Disease-name suggestions as the GP types: the WAI-ARIA 1.2 combobox pattern (list
   autocomplete, manual selection). Progressive enhancement only: without this file the
   search form is a plain GET form. No inline style (strict CSP): state lives in classes and
   the hidden attribute; text goes through textContent only. */
(function () {
  "use strict";
  var DELAY_MS = 150;
  var MIN_LETTERS = 2;

  function setup(input) {
    var endpoint = input.getAttribute("data-combobox");
    var form = input.form;
    var listId = input.id + "-suggestions";
    var wrapper = input.parentNode;

    var list = document.createElement("ul");
    list.id = listId;
    list.className = "combobox-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions de maladies");
    list.hidden = true;
    wrapper.appendChild(list);

    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrapper.appendChild(status);

    var help = document.createElement("p");
    help.id = input.id + "-combobox-aide";
    help.className = "visually-hidden";
    help.textContent = "Des suggestions s'affichent pendant la saisie : flèches haut et bas pour les parcourir, Entrée pour ouvrir, Échap pour fermer.";
    wrapper.appendChild(help);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + help.id);

    var items = [];      // [{label, url, hint}]
    var active = -1;     // index of the highlighted option, -1 when none
    var timer = null;
    var sequence = 0;    // only the answer to the latest request is shown
    var lastQuery = null;

    function optionId(i) { return listId + "-" + i; }

    function highlight(i) {
      var options = list.querySelectorAll("[role=option]");
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "false");
        options[active].classList.remove("is-active");
      }
      active = i;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        options[active].classList.add("is-active");
        input.setAttribute("aria-activedescendant", optionId(active));
        if (options[active].scrollIntoView) { options[active].scrollIntoView({ block: "nearest" }); }
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function close() {
      highlight(-1);
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
    }

    function open() {
      if (!items.length) { return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function render(suggestions) {
      items = suggestions;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      while (list.firstChild) { list.removeChild(list.firstChild); }
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = optionId(i);
        li.className = "combobox-option";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var label = document.createElement("span");
        label.textContent = item.label;
        li.appendChild(label);
        if (item.hint) {
          var hint = document.createElement("span");
          hint.className = "combobox-hint";
          hint.textContent = " — " + item.hint;
          li.appendChild(hint);
        }
        li.addEventListener("mousedown", function (event) { event.preventDefault(); }); // keep focus
        li.addEventListener("click", function () { go(i); });
        list.appendChild(li);
      });
      if (items.length) {
        open();
        status.textContent = items.length + (items.length > 1 ? " suggestions disponibles." : " suggestion disponible.");
      } else {
        close();
        status.textContent = input.value.trim().length >= MIN_LETTERS ? "Aucune suggestion." : "";
      }
    }

    function go(i) {
      var item = items[i];
      if (item && item.url && item.url.charAt(0) === "/") { window.location.assign(item.url); }
    }

    function fetchSuggestions() {
      var query = input.value.trim();
      if (query === lastQuery) { open(); return; }
      lastQuery = query;
      var mine = ++sequence;
      if (query.length < MIN_LETTERS) { render([]); return; }
      fetch(endpoint + "?q=" + encodeURIComponent(query), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (data) { if (mine === sequence) { render(data.suggestions || []); } })
        .catch(function () { if (mine === sequence) { render([]); } });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var expanded = !list.hidden;
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!expanded) { if (items.length) { open(); highlight(0); } else { fetchSuggestions(); } return; }
          highlight(active + 1 >= items.length ? 0 : active + 1);
          return;
        case "ArrowUp":
          event.preventDefault();
          if (!expanded) { if (items.length) { open(); highlight(items.length - 1); } return; }
          highlight(active <= 0 ? items.length - 1 : active - 1);
          return;
        case "Enter":
          if (expanded && active >= 0) { event.preventDefault(); go(active); }
          return;  // otherwise the form is submitted as without JavaScript
        case "Escape":
          if (expanded) { event.preventDefault(); close(); }
          else if (input.value) { event.preventDefault(); input.value = ""; lastQuery = null; render([]); }
          return;
        case "Tab":
          close();
          return;
        default:
          return;
      }
    });

    input.addEventListener("blur", function () { close(); });
    if (form) {
      form.addEventListener("submit", function () { close(); });
      // The list never stands between the user and the search button: it closes as soon as
      // the button is reached, by keyboard (focus), by mouse (hover, press) or by touch.
      form.querySelectorAll("button, [type=submit]").forEach(function (button) {
        ["focus", "mouseenter", "pointerdown"].forEach(function (type) {
          button.addEventListener(type, function () { close(); });
        });
      });
    }
    // Leaving the field and its list with the mouse closes the list too (typing reopens it).
    wrapper.addEventListener("mouseleave", function () { close(); });
  }

  document.querySelectorAll("input[data-combobox]").forEach(setup);
})();
