// Polling that slows down while the tab is hidden: a polled element (data-poll) asks at most every
// HIDDEN_INTERVAL_MS while hidden, and refreshes at once when the tab is shown again.
(function () {
  "use strict";
  const HIDDEN_INTERVAL_MS = 30000;
  const lastPoll = new WeakMap();

  document.addEventListener("htmx:confirm", function (event) {
    const elt = event.detail.elt;
    if (!elt.hasAttribute || !elt.hasAttribute("data-poll") || !document.hidden) {
      lastPoll.set(elt, Date.now());
      return;
    }
    const last = lastPoll.get(elt) || 0;
    if (Date.now() - last < HIDDEN_INTERVAL_MS) {
      event.preventDefault();
    } else {
      lastPoll.set(elt, Date.now());
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    document.querySelectorAll("[data-poll]").forEach(function (elt) {
      htmx.trigger(elt, "refresh");
    });
  });
})();
