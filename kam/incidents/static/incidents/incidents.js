/* The incident pages: confirmation of irreversible steps, the sanction's measure, "add another"
   corrective action, and the scorecard's chart. Every form also works without this script. */
(function () {
  "use strict";

  // Dismiss and close ask first; accepted, the server skips its own confirmation page.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset || !form.dataset.confirm) { return; }
    if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); return; }
    var flag = form.querySelector('input[name$="confirmed"]');
    if (flag) { flag.value = "1"; }
  });

  // The decision: only the amount (a fine) or the percent (a bonus reduction) the sanction asks.
  function showMeasure() {
    var select = document.getElementById("id_decide-sanction");
    var data = document.getElementById("sanction-measures");
    if (!select || !data) { return; }
    var measures = JSON.parse(data.textContent);
    var measure = measures[select.value] || "none";
    document.querySelectorAll("#decide-form .measure").forEach(function (box) {
      box.hidden = box.dataset.measure !== measure;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_decide-sanction") { showMeasure(); }
  });
  showMeasure();

  // One more corrective action without a round trip to the server.
  var add = document.getElementById("add-action");
  if (add) {
    add.addEventListener("click", function (event) {
      var total = document.getElementById("id_actions-TOTAL_FORMS");
      var max = document.getElementById("id_actions-MAX_NUM_FORMS");
      var template = document.getElementById("action-template");
      if (!total || !template) { return; }
      event.preventDefault();
      var n = parseInt(total.value, 10);
      if (max && n >= parseInt(max.value, 10)) { add.disabled = true; return; }
      var html = template.innerHTML.replace(/__prefix__/g, String(n));
      document.getElementById("action-rows").insertAdjacentHTML("beforeend", html);
      total.value = String(n + 1);
      var rows = document.querySelectorAll("#action-rows .action-row");
      var first = rows[rows.length - 1].querySelector("textarea, input, select");
      if (first) { first.focus(); }
    });
  }

  // The scorecard: incidents by month, stacked by sales subprocess.
  var canvas = document.getElementById("scorecard-months");
  var source = document.getElementById("scorecard-months-data");
  if (canvas && source && window.Chart) {
    var chart = JSON.parse(source.textContent);
    var colours = ["#2b6cb0", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#718096"];
    var made = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.series.map(function (s, i) {
          return { label: s.label, data: s.data, backgroundColor: colours[i % colours.length], stack: "all" };
        })
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: "bottom" } },
        onClick: function (_event, elements) {
          if (!elements.length || !chart.links) { return; }
          var link = chart.links[elements[0].index];
          if (link) { window.location.href = link; }
        }
      }
    });
    canvas.dataset.chartReady = made ? "true" : "false";
  }
})();
