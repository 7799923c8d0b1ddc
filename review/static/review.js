// offermap review: keyboard shortcuts on top of plain HTML forms.
// Every action is an ordinary form or link on the page; this file only triggers them,
// so the app works the same without JavaScript.  No inline script: the CSP forbids it.
//
// Every page: "?" help, Esc closes help or leaves a field, "g" then q / d / c / a goes
// to the queue, duplicates, conflicts or API docs.
// Lists (queue, duplicates, conflicts): j / k or arrows move, Enter / o open, and on
// the queue u undoes your last action.
// A training: i include, m maybe, x exclude (reason list), e edit, u undo, j / k next
// and previous.  A duplicate pair: a same (keep left), b same (keep right), n not same.
(function () {
  "use strict";

  var GO = {"q": "/queue", "d": "/duplicates", "c": "/conflicts", "a": "/api/docs"};
  var pendingGo = 0;

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" ||
      (target && target.isContentEditable);
  }

  function submit(id) {
    var form = document.getElementById(id);
    if (!form) { return false; }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    return true;
  }

  function follow(id) {
    var link = document.getElementById(id);
    if (link) { window.location.assign(link.href); }
    return Boolean(link);
  }

  function focus(id) {
    var element = document.getElementById(id);
    if (element) { element.focus(); }
    return Boolean(element);
  }

  function toggleHelp(show) {
    var help = document.getElementById("help");
    if (!help) { return false; }
    help.hidden = show === undefined ? !help.hidden : !show;
    return true;
  }

  // --- lists: a row per entry, its link has class "open" ------------------------------

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("a.open"));
  }

  function selected() {
    var links = rows();
    for (var index = 0; index < links.length; index += 1) {
      if (links[index].getAttribute("aria-current") === "true") { return index; }
    }
    return -1;
  }

  function select(index) {
    var links = rows();
    if (!links.length) { return false; }
    index = Math.max(0, Math.min(links.length - 1, index));
    links.forEach(function (link, at) {
      var row = link.closest("tr");
      if (at === index) {
        link.setAttribute("aria-current", "true");
        if (row) { row.classList.add("selected"); }
      } else {
        link.removeAttribute("aria-current");
        if (row) { row.classList.remove("selected"); }
      }
    });
    links[index].focus();
    return true;
  }

  function openSelected() {
    var links = rows();
    if (!links.length) { return false; }
    var index = selected();
    window.location.assign(links[index < 0 ? 0 : index].href);
    return true;
  }

  function move(step) {
    var index = selected();
    return select(index < 0 ? 0 : index + step);
  }

  var list = {
    "j": function () { return move(1); },
    "ArrowDown": function () { return move(1); },
    "k": function () { return move(-1); },
    "ArrowUp": function () { return move(-1); },
    "o": openSelected,
    "Enter": openSelected,
    "u": function () { return submit("undo-form"); }
  };

  var training = {
    "i": function () { return submit("include-form"); },
    "m": function () { return submit("maybe-form"); },
    "x": function () { return focus("reason"); },
    "u": function () { return submit("undo-form"); },
    "e": function () { return focus("edit-field"); },
    "j": function () { return follow("next"); },
    "n": function () { return follow("next"); },
    "k": function () { return follow("previous"); },
    "p": function () { return follow("previous"); }
  };

  var pair = {
    "a": function () { return submit("same-a"); },
    "b": function () { return submit("same-b"); },
    "n": function () { return submit("not-same"); },
    "u": function () { return submit("undo-form"); }
  };

  function keysOfPage() {
    var kind = document.body.getAttribute("data-page");
    if (kind === "list") { return list; }
    if (kind === "pair") { return pair; }
    if (kind === "training") { return training; }
    return {};
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing(event.target)) { event.target.blur(); }
      return;
    }
    // A select does not submit its form on Enter by itself; the reason list should.
    if (event.key === "Enter" && event.target && event.target.id === "reason" &&
        event.target.value) {
      event.preventDefault();
      submit("exclude-form");
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    // Enter on a link or a button does what it always does.
    if (event.key === "Enter" && event.target &&
        /^(A|BUTTON)$/.test(event.target.tagName)) { return; }
    if (pendingGo && Date.now() - pendingGo < 1500 && GO[event.key]) {
      pendingGo = 0;
      event.preventDefault();
      window.location.assign(GO[event.key]);
      return;
    }
    pendingGo = 0;
    if (event.key === "g") { pendingGo = Date.now(); event.preventDefault(); return; }
    if (event.key === "?") { toggleHelp(); event.preventDefault(); return; }
    var action = keysOfPage()[event.key];
    if (action && action()) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    if (event.target && event.target.hasAttribute("data-help")) { toggleHelp(); }
  });
}());
