// Behaviour the live pages need beyond htmx's own.
(function () {
  // Error answers (4xx) carry a message for the person; let htmx swap them in.
  htmx.config.responseHandling = [
    { code: "204", swap: false },
    { code: "[23]..", swap: true },
    { code: "4..", swap: true, error: true },
    { code: "...", swap: false, error: true },
  ];

  // After the server or the network comes back, reconnect within a few seconds: htmx's own
  // backoff doubles up to 64 s. The jitter spreads a room of phones over a second or two.
  htmx.config.wsReconnectDelay = function (retryCount) {
    var ceiling = Math.min(500 * Math.pow(2, retryCount), 3000);
    return ceiling / 2 + Math.random() * ceiling / 2;
  };

  // A reconnecting socket is sent the current stage. While answering, the phone already shows
  // it and may be on another question than the first open one: keep the phone where it is.
  document.body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var incoming = event.detail.fragment && event.detail.fragment.firstElementChild;
    if (target.id === "stage" && incoming && incoming.dataset &&
        incoming.dataset.step === "answering" && target.dataset.step === "answering") {
      event.detail.shouldSwap = false;
    }
  });

  // The messages come translated from the page (data attributes of #phone-alert).
  function showAlert(kind) {
    var box = document.getElementById("phone-alert");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "phone-error";
    p.textContent = box.dataset[kind];
    box.replaceChildren(p);
  }

  // A save that never reached the server (no network) must not look saved: say so; the
  // person taps again to retry.
  document.body.addEventListener("htmx:sendError", function () { showAlert("offline"); });
  document.body.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) showAlert("serverError");
  });

  var connection = document.getElementById("connection");
  if (connection) {
    document.body.addEventListener("htmx:wsClose", function () { connection.hidden = false; });
    document.body.addEventListener("htmx:wsOpen", function () { connection.hidden = true; });
  }
})();
