// The phone console, quicker with the keyboard. Everything also works without this file:
// the answer control has autofocus, Enter submits, each outcome button has an accesskey.
//   digits       pick the option showing that digit (toggle it for several answers): 1..9 in
//                the order listed, or the score itself (0..9) on a 0-10 scale; only while
//                the focus is in the answer form
//   Enter        next question (Shift+Enter: a new line in a text answer)
//   F2..F9       the outcomes shown next to their buttons
(function () {
  "use strict";
  var answerForm = document.getElementById("answer-form");
  var dispositionForm = document.getElementById("disposition-form");

  function submitWith(form, button) {
    if (form.requestSubmit) { form.requestSubmit(button); } else { button.click(); }
  }

  function isTyping(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT") { return true; }
    return tag === "INPUT" && !/^(radio|checkbox|submit|button)$/.test(el.type);
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (/^F[2-9]$/.test(event.key) && dispositionForm) {
      var outcome = dispositionForm.querySelector('button[data-fkey="' + event.key + '"]');
      if (outcome) {
        event.preventDefault();
        submitWith(dispositionForm, outcome);
      }
      return;
    }
    if (event.altKey || event.ctrlKey || event.metaKey) { return; }
    var inAnswer = answerForm && answerForm.contains(target);
    // Digits pick options only while the focus is in the answer form (WCAG 2.1.4): on a
    // header link, the notes or an outcome button a digit is just a key.
    if (/^[0-9]$/.test(event.key) && inAnswer && !isTyping(target)) {
      var option = answerForm.querySelector('input[data-digit="' + event.key + '"]');
      if (option) {
        event.preventDefault();
        option.checked = option.type === "checkbox" ? !option.checked : true;
        option.focus();
      }
      return;
    }
    if (event.key === "Enter" && inAnswer && !event.shiftKey && target.tagName !== "BUTTON") {
      event.preventDefault();
      submitWith(answerForm, document.getElementById("next"));
    }
  });

  // Focus on the answer control even when the browser ignored autofocus (a restored tab).
  var focused = document.activeElement;
  if (!focused || focused === document.body) {
    var first = document.querySelector("[autofocus]");
    if (first) { first.focus(); }
  }
})();
