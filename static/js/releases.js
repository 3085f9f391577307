// The release console: the confirmation dialog of operator actions, and countdowns that tick.
(function () {
  "use strict";

  function dialog() {
    return document.getElementById("action-dialog");
  }

  // A confirmation form (or an action's status) loaded into the dialog opens it.
  document.addEventListener("htmx:afterSwap", function (event) {
    const box = dialog();
    if (box && event.detail.target && event.detail.target.id === "action-dialog-body" && !box.open) {
      box.showModal();
      const reason = box.querySelector("textarea");
      if (reason) reason.focus();
    }
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-close-dialog]");
    if (!button) return;
    const box = dialog();
    if (box && box.open) box.close();
    document.querySelectorAll("[data-poll]").forEach(function (elt) { htmx.trigger(elt, "refresh"); });
  });

  // "in 12 min 5 s", every second, for <time datetime=... data-countdown>.
  function tick() {
    const now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (elt) {
      const left = Math.round((Date.parse(elt.getAttribute("datetime")) - now) / 1000);
      if (Number.isNaN(left)) return;
      if (left <= 0) { elt.textContent = "now"; return; }
      const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      elt.textContent = "in " + (h ? h + " h " + m + " min" : m ? m + " min " + s + " s" : s + " s");
    });
  }
  setInterval(tick, 1000);
})();
