// The report's buttons. Event listeners here, not inline handlers: the Content-Security-Policy
// allows no inline script.
(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  // One click selects the whole share link, ready to copy.
  document.querySelectorAll("[data-select-on-click]").forEach(function (input) {
    input.addEventListener("click", function () { input.select(); });
  });
})();
