/* kam charts: one place that draws every chart with the bundled Chart.js (no CDN). */
(function () {
  "use strict";
  var palette = { revenue: "#2f6f9f", margin: "#3aa17e", grid: "#e3e8ee", text: "#4a5568" };
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
    }
  };
})();
