/* kam charts: one place that draws every chart with the bundled Chart.js (no CDN). */
(function () {
  "use strict";
  var palette = {
    revenue: "#2f6f9f", margin: "#3aa17e", grid: "#e3e8ee", text: "#4a5568",
    target: "#b8c4d0", forecast: "rgba(47, 111, 159, 0.28)", pace: "#8a94a0"
  };
  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || "ru", { maximumFractionDigits: 0 });

  function data(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : [];
  }

  window.kamCharts = {
    revenueMargin: function (canvasId, dataId, labels) {
      var canvas = document.getElementById(canvasId);
      if (!canvas || !window.Chart) { return null; }
      var rows = data(dataId);
      var chart = new Chart(canvas, {
        data: {
          labels: rows.map(function (r) { return r.month; }),
          datasets: [
            { type: "bar", label: labels.revenue, data: rows.map(function (r) { return r.revenue; }),
              backgroundColor: palette.revenue, borderRadius: 2, order: 2 },
            { type: "line", label: labels.margin, data: rows.map(function (r) { return r.margin; }),
              borderColor: palette.margin, backgroundColor: palette.margin, tension: 0.25,
              pointRadius: 2, order: 1 }
          ]
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { labels: { color: palette.text } },
            tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + numberFormat.format(c.parsed.y); } } }
          },
          scales: {
            x: { grid: { display: false }, ticks: { color: palette.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 12 } },
            y: { grid: { color: palette.grid }, ticks: { color: palette.text, callback: function (v) { return numberFormat.format(v); } } }
          }
        }
      });
      canvas.dataset.chartReady = "true";
      return chart;
    },

    /* Plan against actual per account: rows [{label, target, actual, forecast}], one group of
       three horizontal bars per account (the box grows with the accounts); labels
       {target, actual, forecast}. */
    planBars: function (canvasId, dataId, labels) {
      var canvas = document.getElementById(canvasId);
      if (!canvas || !window.Chart) { return null; }
      var rows = data(dataId);
      if (canvas.parentNode && canvas.parentNode.classList.contains("chart-box")) {
        canvas.parentNode.style.height = Math.max(200, rows.length * 46 + 70) + "px";
      }
      function series(key) { return rows.map(function (r) { return r[key]; }); }
      var chart = new Chart(canvas, {
        type: "bar",
        data: {
          labels: rows.map(function (r) { return r.label; }),
          datasets: [
            { label: labels.target, data: series("target"), backgroundColor: palette.target,
              borderRadius: 2, categoryPercentage: 0.8, barPercentage: 0.9 },
            { label: labels.actual, data: series("actual"), backgroundColor: palette.revenue,
              borderRadius: 2, categoryPercentage: 0.8, barPercentage: 0.9 },
            { label: labels.forecast, data: series("forecast"), backgroundColor: palette.forecast,
              borderColor: palette.revenue, borderWidth: 1, borderDash: [4, 3], borderRadius: 2,
              categoryPercentage: 0.8, barPercentage: 0.9 }
          ]
        },
        options: {
          indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", axis: "y", intersect: false },
          plugins: {
            legend: { position: "top", labels: { color: palette.text } },
            tooltip: { callbacks: { label: function (c) {
              return c.dataset.label + ": " + (c.parsed.x === null ? "—" : numberFormat.format(c.parsed.x));
            } } }
          },
          scales: {
            x: { beginAtZero: true, grid: { color: palette.grid },
                 ticks: { color: palette.text, callback: function (v) { return numberFormat.format(v); } } },
            y: { grid: { display: false },
                 ticks: { color: palette.text, autoSkip: false, callback: function (value) {
                   var text = this.getLabelForValue(value) || "";
                   return text.length > 32 ? text.slice(0, 31) + "…" : text;
                 } } }
          }
        }
      });
      canvas.dataset.chartReady = "true";
      return chart;
    },

    /* A plan's pace: rows [{day: "YYYY-MM-DD", actual: number|null, target: number}], the
       cumulative revenue so far (solid; null for days still to come) against the target's even
       pace (dashed); labels {actual, target}. */
    planPace: function (canvasId, dataId, labels) {
      var canvas = document.getElementById(canvasId);
      if (!canvas || !window.Chart) { return null; }
      var rows = data(dataId);
      var dayFormat = new Intl.DateTimeFormat(document.documentElement.lang || "ru", { day: "numeric", month: "short" });
      function dayLabel(text) {
        var parts = String(text).split("-");
        var day = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
        return isNaN(day.getTime()) ? text : dayFormat.format(day);
      }
      var chart = new Chart(canvas, {
        type: "line",
        data: {
          labels: rows.map(function (r) { return dayLabel(r.day); }),
          datasets: [
            { label: labels.actual, data: rows.map(function (r) { return r.actual; }),
              borderColor: palette.revenue, backgroundColor: palette.revenue, borderWidth: 2,
              pointRadius: 0, pointHitRadius: 6, tension: 0, spanGaps: false },
            { label: labels.target, data: rows.map(function (r) { return r.target; }),
              borderColor: palette.pace, backgroundColor: palette.pace, borderWidth: 2,
              borderDash: [6, 4], pointRadius: 0, pointHitRadius: 6, tension: 0 }
          ]
        },
        options: {
          responsive: true, maintainAspectRatio: false, animation: false,
          interaction: { mode: "index", intersect: false },
          plugins: {
            legend: { labels: { color: palette.text } },
            tooltip: { callbacks: { label: function (c) {
              return c.dataset.label + ": " + (c.parsed.y === null ? "—" : numberFormat.format(c.parsed.y));
            } } }
          },
          scales: {
            x: { grid: { display: false }, ticks: { color: palette.text, maxRotation: 0, autoSkip: true, maxTicksLimit: 10 } },
            y: { beginAtZero: true, grid: { color: palette.grid },
                 ticks: { color: palette.text, callback: function (v) { return numberFormat.format(v); } } }
          }
        }
      });
      canvas.dataset.chartReady = "true";
      return chart;
    }
  };
})();
