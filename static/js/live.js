// Behaviour the live pages need beyond htmx's own.
(function () {
  // The join's POST is answered with the participant's page itself (no redirect). Replacing
  // that history entry with the page's own address makes a reload, or a tab the phone restores
  // after sleep, ask for the page again instead of offering to send the form a second time.
  if (window.history && history.replaceState) {
    history.replaceState(history.state, "", window.location.href);
  }

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

  function onPhone(event) {
    var elt = event.detail.elt;
    return !!(elt && elt.closest && elt.closest(".phone-live"));
  }

  // With DEBUG on (the laptop default of `make run`) django-htmx replaces the whole page with
  // an error response (400, 403, 404, 500) for a developer to read. A phone keeps its question
  // on screen and says what went wrong in #phone-alert instead.
  document.body.addEventListener("htmx:beforeOnLoad", function (event) {
    if (event.detail.xhr.status >= 400 && onPhone(event)) event.stopPropagation();
  });

  // A 4xx that is not one of the phone's own messages (which come retargeted to #phone-alert)
  // is a page meant for a browser tab, not for the middle of a question: say it failed.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && onPhone(event) &&
        !xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = false;
      showAlert("serverError");
    }
  });

  // The messages come translated from the page (data attributes of #phone-alert).
  function showAlert(kind) {
    var box = document.getElementById("phone-alert");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "phone-error";
    p.textContent = box.dataset[kind] || "";
    box.replaceChildren(p);
  }

  // A failed save leaves the question on screen: the "answer N saved" of the previous one
  // would contradict the message above it.
  function hideSaved(event) {
    var section = event.detail.elt && event.detail.elt.closest &&
      event.detail.elt.closest(".phone-question, .phone-summary");
    if (!section) return;
    section.querySelectorAll(".saved").forEach(function (saved) { saved.hidden = true; });
  }

  // A save that never reached the server (no network) or that the server could not make
  // must not look saved: say so; the person taps again to retry. A 4xx answer brings its own
  // message, which htmx puts in #phone-alert.
  document.body.addEventListener("htmx:sendError", function (event) {
    showAlert("offline");
    hideSaved(event);
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) showAlert("serverError");
    hideSaved(event);
  });

  // While an answer is being saved, the tapped option says so (the form's fieldset, with
  // every option, is disabled by hx-disabled-elt meanwhile).
  var lastTapped = null;
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.choice");
    if (button) lastTapped = button;
  });
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig;
    var submitter = config && config.triggeringEvent && config.triggeringEvent.submitter;
    var form = event.detail.elt;
    var tapped = submitter || (lastTapped && form.contains(lastTapped) ? lastTapped : null);
    if (!tapped || !tapped.classList.contains("choice")) return;
    tapped.classList.add("saving");
    tapped.setAttribute("aria-busy", "true");
    event.detail.elt.addEventListener("htmx:afterRequest", function done() {
      tapped.classList.remove("saving");
      tapped.removeAttribute("aria-busy");
      event.detail.elt.removeEventListener("htmx:afterRequest", done);
    });
  });

  var connection = document.getElementById("connection");
  if (connection) {
    document.body.addEventListener("htmx:wsClose", function () { connection.hidden = false; });
    document.body.addEventListener("htmx:wsOpen", function () { connection.hidden = true; });
  }
})();
