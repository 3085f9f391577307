// The header's menu button, shown on narrow windows only (CSS). Without JavaScript the button stays hidden and the
// navigation simply shows, wrapped; with it, the navigation folds behind the button.
(function () {
  "use strict";
  const button = document.querySelector(".menu-button");
  if (!button) return;

  function setOpen(open) {
    button.setAttribute("aria-expanded", String(open));
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
})();
