/* The rulebook's pages: the editor's fact catalogue (click a fact to insert it into the
   condition, filter the list), the check result marking its field, the dry run's chart, and a
   "working" line for long forms when HTMX is not there. No framework; Chart.js is bundled. */
(function () {
  "use strict";

  function insertAtCursor(field, text) {
    var start = field.selectionStart, end = field.selectionEnd, value = field.value;
    if (typeof start !== "number") { start = end = value.length; }
    var before = value.slice(0, start), after = value.slice(end);
    var left = before && !/[\s(]$/.test(before) ? " " : "";
    var right = after && !/^[\s)]/.test(after) ? " " : "";
    field.value = before + left + text + right + after;
    var cursor = (before + left + text).length;
    field.focus();
    field.setSelectionRange(cursor, cursor);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert]");
    if (!button) { return; }
    var condition = document.getElementById("id_condition");
    if (condition) { insertAtCursor(condition, button.dataset.insert); }
  });

  document.addEventListener("input", function (event) {
    if (event.target.id !== "fact-filter") { return; }
    var text = event.target.value.trim().toLowerCase();
    document.querySelectorAll("#fact-catalogue .fact").forEach(function (item) {
      item.hidden = Boolean(text) && item.textContent.toLowerCase().indexOf(text) === -1;
    });
  });

  // The check's answer marks the field it is about (the condition or the parameters).
  document.addEventListener("htmx:afterSwap", function () {
    var result = document.getElementById("check-result");
    if (result && result.dataset.ok) {
      ["condition", "parameters"].forEach(function (name) {
        var cell = document.getElementById(name + "-cell");
        if (cell) { cell.classList.toggle("has-error", result.dataset.where === name); }
      });
    }
    if (document.getElementById("dry-run-chart")) { window.kamRules.dryRunChart(); }
  });

  // Without HTMX a long form still says it is working (and is not sent twice).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.working || window.htmx) { return; }
    var note = document.querySelector(form.dataset.working);
    if (note) { note.classList.add("shown"); }
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });

  var charts = {};
  window.kamRules = window.kamRules || {};
  /* Per month: this version's violations (bars) beside the enabled version's (when compared). */
  window.kamRules.dryRunChart = function () {
    var canvas = document.getElementById("dry-run-chart");
    var source = document.getElementById("dry-run-data");
    if (!canvas || !source || !window.Chart) { return null; }
    if (charts.dryRun) { charts.dryRun.destroy(); }
    var rows = JSON.parse(source.textContent);
    var labels = { version: canvas.dataset.labelVersion, enabled: canvas.dataset.labelEnabled };
    var datasets = [{
      label: labels.version, data: rows.map(function (r) { return r.violations; }),
      backgroundColor: "#2f6f9f", borderRadius: 2
    }];
    if (canvas.dataset.compared === "true") {
      datasets.push({
        label: labels.enabled, data: rows.map(function (r) { return r.enabled; }),
        backgroundColor: "#b8c4d0", borderRadius: 2
      });
    }
    charts.dryRun = new Chart(canvas, {
      type: "bar",
      data: { labels: rows.map(function (r) { return r.month; }), datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { labels: { color: "#4a5568" } } },
        scales: {
          x: { grid: { display: false }, ticks: { color: "#4a5568", maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } },
          y: { beginAtZero: true, grid: { color: "#e3e8ee" }, ticks: { color: "#4a5568", precision: 0 } }
        }
      }
    });
    canvas.dataset.chartReady = "true";
    return charts.dryRun;
  };
})();
