// offermap review: keyboard shortcuts on top of plain HTML forms.
// Every action is an ordinary form or link on the page; this file only triggers them,
// so the app works the same without JavaScript.  No inline script: the CSP forbids it.
(function () {
  "use strict";

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

  var keys = {
    "i": function () { return submit("include-form"); },
    "m": function () { return submit("maybe-form"); },
    "x": function () { return focus("reason"); },
    "u": function () { return submit("undo-form"); },
    "e": function () { return focus("edit-field"); },
    "j": function () { return follow("next"); },
    "n": function () { return follow("next"); },
    "k": function () { return follow("previous"); },
    "p": function () { return follow("previous"); },
    "?": function () { return toggleHelp(); }
  };

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
    var action = keys[event.key];
    if (action && action()) { event.preventDefault(); }
  });

  document.addEventListener("click", function (event) {
    if (event.target && event.target.hasAttribute("data-help")) { toggleHelp(); }
  });
}());
