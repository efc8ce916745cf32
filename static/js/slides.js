// The presentation: next and previous slide from buttons, arrow keys and PageUp/PageDown (what
// a presentation clicker sends), on the projector's page and on the console; the projector's
// dark theme and full screen.
(function () {
  var deck = document.querySelector("[data-slide-url]");
  if (!deck) return;
  var url = deck.dataset.slideUrl;

  function show(to) {
    // The console swaps its live part in; the projector follows over its socket.
    var console = document.getElementById("console-live");
    htmx.ajax("POST", url, {
      source: deck, values: { to: to },
      target: console ? "#console-live" : undefined, swap: console ? "outerHTML" : "none",
    });
  }

  var KEYS = { ArrowRight: "next", PageDown: "next", ArrowDown: "next",
               ArrowLeft: "previous", PageUp: "previous", ArrowUp: "previous" };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var to = KEYS[event.key];
    if (!to) return;
    event.preventDefault();
    show(to);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-slide]");
    if (button) { show(button.dataset.slide); return; }
    if (event.target.closest && event.target.closest("[data-theme-toggle]")) {
      var dark = document.body.classList.toggle("dark");
      try { localStorage.setItem("projector-theme", dark ? "dark" : "light"); } catch (e) {}
      return;
    }
    if (event.target.closest && event.target.closest("[data-fullscreen]")) {
      if (document.fullscreenElement) document.exitFullscreen();
      else document.documentElement.requestFullscreen().catch(function () {});
    }
  });

  if (document.body.classList.contains("projector")) {
    try {
      if (localStorage.getItem("projector-theme") === "dark") document.body.classList.add("dark");
    } catch (e) {}
  }
})();
