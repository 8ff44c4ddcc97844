// The campaign form's live weight check: shares of the surveyed groups as the user types.
// Progressive only: the form works without it and the server checks the same rules on save.
(function () {
  "use strict";
  var table = document.getElementById("group-settings");
  var check = document.getElementById("weight-check");
  if (!table || !check) return;
  var format;
  try {
    format = new Intl.NumberFormat(check.dataset.locale || undefined, {
      style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1
    });
  } catch (e) {
    format = { format: function (x) { return (x * 100).toFixed(1) + "%"; } };
  }

  function rows() {
    return Array.prototype.slice.call(table.querySelectorAll("tbody tr"));
  }

  function update() {
    var surveyed = [], problem = null, total = 0, allEmpty = true;
    rows().forEach(function (row) {
      var output = row.querySelector("output.share");
      if (output) output.textContent = "";
      var box = row.querySelector("input.included");
      if (!box || !box.checked) return;
      var raw = row.querySelector("input.weight").value.trim().replace(",", ".");
      var value = null;
      if (raw !== "") {
        allEmpty = false;
        value = Number(raw);
        if (!isFinite(value)) problem = problem || "nan";
        else if (value < 0) problem = problem || "negative";
      }
      surveyed.push({ row: row, value: value });
    });
    if (!surveyed.length) { check.textContent = ""; return; }
    if (allEmpty) {
      surveyed.forEach(function (s) {
        s.row.querySelector("output.share").textContent = format.format(1 / surveyed.length);
      });
      check.className = "muted";
      check.textContent = check.dataset.msgEmpty;
      return;
    }
    if (!problem && surveyed.some(function (s) { return s.value === null; })) problem = "missing";
    if (!problem) {
      surveyed.forEach(function (s) { total += s.value; });
      if (!(total > 0)) problem = "zero";
    }
    if (problem) {
      check.className = "error";
      check.textContent = check.dataset["msg" + problem.charAt(0).toUpperCase() + problem.slice(1)];
      return;
    }
    surveyed.forEach(function (s) {
      s.row.querySelector("output.share").textContent = format.format(s.value / total);
    });
    check.className = "muted";
    check.textContent = check.dataset.msgOk;
  }

  table.addEventListener("input", update);
  table.addEventListener("change", update);
  update();
})();
