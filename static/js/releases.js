// The release console: the confirmation dialog of operator actions, and countdowns that tick.
(function () {
  "use strict";

  function dialog() {
    return document.getElementById("action-dialog");
  }

  // The action whose button opened the dialog: focus goes back to it when the dialog closes. Kept by kind, as the
  // live fragment may have been redrawn (and the button replaced) meanwhile.
  let openedBy = null;
  document.addEventListener("click", function (event) {
    const opener = event.target.closest("#actions [data-action]");
    if (opener) openedBy = opener.dataset.action;
  });

  function returnFocus() {
    if (openedBy === null) return;
    const button = document.querySelector('#actions [data-action="' + openedBy + '"]');
    const heading = document.querySelector("#actions h2");
    const to = button || heading;
    if (!to) return;
    if (!button) heading.setAttribute("tabindex", "-1");
    to.focus();
  }

  // A confirmation form (or an action's status) loaded into the dialog opens it. A swap inside the open dialog
  // (the submitted form replaced by AWS's answer, the answer polled) removes the focused element: focus then goes
  // to the dialog's heading, not to the page body.
  document.addEventListener("htmx:afterSettle", function (event) {
    const box = dialog();
    if (!box) return;
    if (!box.contains(event.detail.elt)) {
      // The live fragment redrawn after the dialog closed replaced the button that had the focus back.
      if (!box.open && event.detail.elt.id === "live" && document.activeElement === document.body) returnFocus();
      return;
    }
    if (!box.open) {
      box.showModal();
      const reason = box.querySelector("textarea");
      if (reason) { reason.focus(); return; }
    }
    if (!box.contains(document.activeElement) || document.activeElement === box) {
      const title = box.querySelector("#action-dialog-title");
      if (title) title.focus();
    }
  });

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-close-dialog]");
    if (!button) return;
    const box = dialog();
    if (box && box.open) box.close();
  });

  // However it closes (its Close button, Escape): the page catches up, and focus goes back to the opening button.
  document.addEventListener("DOMContentLoaded", function () {
    const box = dialog();
    if (!box) return;
    box.addEventListener("close", function () {
      returnFocus();
      document.querySelectorAll("[data-poll]").forEach(function (elt) { htmx.trigger(elt, "refresh"); });
    });
  });

  // "in 12 min 5 s", every second, for <time datetime=... data-countdown>. The deadline is on the dashboard's
  // clock; the browser's may differ, so each countdown keeps how far the dashboard's clock was ahead of the
  // browser's when it arrived (data-rendered-ms, on the fragment around it, is the dashboard's clock as that answer
  // was drawn: the countdown itself may be a shared copy drawn earlier, so its words are redrawn as it arrives).
  function skew(elt) {
    if (elt.dataset.skewMs === undefined) {
      const clock = elt.closest("[data-rendered-ms]");
      const rendered = Number(clock ? clock.dataset.renderedMs : NaN);
      elt.dataset.skewMs = Number.isFinite(rendered) && rendered > 0 ? String(rendered - Date.now()) : "0";
    }
    return Number(elt.dataset.skewMs);
  }
  function stamp() { document.querySelectorAll("time[data-countdown]").forEach(skew); tick(); }
  document.addEventListener("htmx:afterSwap", stamp);
  document.addEventListener("DOMContentLoaded", stamp);

  function tick() {
    document.querySelectorAll("time[data-countdown]").forEach(function (elt) {
      const now = Date.now() + skew(elt);
      const left = Math.round((Date.parse(elt.getAttribute("datetime")) - now) / 1000);
      if (Number.isNaN(left)) return;
      if (left <= 0) { elt.textContent = "now"; return; }
      const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      elt.textContent = "in " + (h ? h + " h " + m + " min" : m ? m + " min " + s + " s" : s + " s");
    });
  }
  setInterval(tick, 1000);
})();
