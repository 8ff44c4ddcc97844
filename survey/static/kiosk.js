// The kiosk's thank-you: a visible countdown to a fresh card for the next person, which any
// tap or key stops (WCAG 2.2.1: a slow reader keeps the confirmation as long as they need).
// Without this file nothing leaves the page: the "Next person" button does.
(function () {
  "use strict";
  var box = document.getElementById("next-countdown");
  if (!box) { return; }
  var left = parseInt(box.getAttribute("data-seconds"), 10);
  var href = box.getAttribute("data-href");
  var shown = document.getElementById("countdown-seconds");
  var state = document.getElementById("countdown-state");
  var running = document.getElementById("countdown-running");
  if (!(left > 0) || !href) { return; }
  var events = ["keydown", "pointerdown", "touchstart", "mousedown", "wheel"];
  var timer = null;

  function stop() {
    if (timer === null) { return; }
    clearInterval(timer);
    timer = null;
    events.forEach(function (name) { document.removeEventListener(name, stop, true); });
    running.hidden = true;
    state.textContent = state.getAttribute("data-stopped");
  }

  box.hidden = false;
  timer = setInterval(function () {
    left -= 1;
    shown.textContent = String(Math.max(left, 0));
    if (left <= 0) {
      clearInterval(timer);
      timer = null;
      window.location.replace(href);
    }
  }, 1000);
  events.forEach(function (name) { document.addEventListener(name, stop, true); });
})();
