/* kam portfolio matrix: potential × attractiveness bubbles with the bundled Chart.js.
   Reads #matrix-data and #matrix-labels (json_script) and draws on canvas#matrix-chart. */
(function () {
  "use strict";
  var STATUS = {
    key: { fill: "rgba(214, 140, 20, 0.72)", line: "#a86400", order: 1 },
    potential_key: { fill: "rgba(47, 150, 100, 0.68)", line: "#22643f", order: 2 },
    standard: { fill: "rgba(90, 125, 165, 0.40)", line: "#4d6f95", order: 3 }
  };
  var QUADRANT_LINE = "#8a97a6";
  var QUADRANT_TEXT = "rgba(31, 78, 121, 0.55)";
  var TEXT = "#4a5568";
  var GRID = "#eef1f5";
  var MIN_RADIUS = 3;
  var MAX_RADIUS = 24;

  function json(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function numberFormat() {
    return new Intl.NumberFormat(document.documentElement.lang || "ru", { maximumFractionDigits: 0 });
  }

  /* Quadrant lines at the model's thresholds and the cell names in the corners. */
  function quadrants(data, labels) {
    return {
      id: "kamQuadrants",
      beforeDatasetsDraw: function (chart) {
        var x = chart.scales.x, y = chart.scales.y, ctx = chart.ctx, area = chart.chartArea;
        var qx = x.getPixelForValue(data.attractiveness_high);
        var qy = y.getPixelForValue(data.potential_high);
        ctx.save();
        ctx.strokeStyle = QUADRANT_LINE;
        ctx.lineWidth = 1.5;
        ctx.setLineDash([6, 4]);
        ctx.beginPath();
        ctx.moveTo(qx, area.top); ctx.lineTo(qx, area.bottom);
        ctx.moveTo(area.left, qy); ctx.lineTo(area.right, qy);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = QUADRANT_TEXT;
        ctx.font = "600 15px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
        var pad = 10;
        ctx.textBaseline = "top";
        ctx.textAlign = "right";
        ctx.fillText(labels.cells.strategic, area.right - pad, area.top + pad);
        ctx.textAlign = "left";
        ctx.fillText(labels.cells.star, area.left + pad, area.top + pad);
        ctx.textBaseline = "bottom";
        ctx.textAlign = "right";
        ctx.fillText(labels.cells.status, area.right - pad, area.bottom - pad);
        ctx.textAlign = "left";
        ctx.fillText(labels.cells.streamline, area.left + pad, area.bottom - pad);
        ctx.restore();
      }
    };
  }

  function draw(canvas) {
    var data = json("matrix-data"), labels = json("matrix-labels");
    if (!canvas || !data || !labels || !window.Chart) { return null; }
    var fmt = numberFormat();
    var maxRevenue = data.points.reduce(function (m, p) { return Math.max(m, p.revenue); }, 0);
    function radius(revenue) {
      if (maxRevenue <= 0 || revenue <= 0) { return MIN_RADIUS; }
      return MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * Math.sqrt(revenue / maxRevenue);
    }
    var datasets = Object.keys(STATUS).map(function (status) {
      var style = STATUS[status];
      return {
        label: labels.statuses[status] || status,
        status: status,
        order: style.order,
        backgroundColor: style.fill,
        borderColor: style.line,
        borderWidth: 1,
        hoverBorderWidth: 2,
        data: data.points.filter(function (p) { return p.status === status; }).map(function (p) {
          return { x: p.x, y: p.y, r: radius(p.revenue), point: p };
        })
      };
    });
    var clientUrl = canvas.dataset.clientUrl || "";
    var chart = new Chart(canvas, {
      type: "bubble",
      data: { datasets: datasets },
      plugins: [quadrants(data, labels)],
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        clip: false,
        layout: { padding: { top: 6, right: 12 } },
        scales: {
          x: { min: 0, max: 100, title: { display: true, text: labels.x, color: TEXT },
               grid: { color: GRID }, ticks: { color: TEXT, stepSize: 10 } },
          y: { min: 0, max: 100, title: { display: true, text: labels.y, color: TEXT },
               grid: { color: GRID }, ticks: { color: TEXT, stepSize: 10 } }
        },
        plugins: {
          legend: { position: "top", labels: { color: TEXT, usePointStyle: true } },
          tooltip: {
            callbacks: {
              title: function (items) { return items.length ? items[0].raw.point.name : ""; },
              label: function (item) {
                var p = item.raw.point;
                return [
                  labels.revenue + ": " + fmt.format(p.revenue),
                  labels.y + ": " + p.y + " · " + labels.x + ": " + p.x,
                  labels.cell + ": " + (labels.cells[p.cell] || p.cell),
                  labels.proposed + ": " + (labels.statuses[p.proposed] || p.proposed)
                ];
              }
            }
          }
        },
        onHover: function (event, elements) {
          event.native.target.style.cursor = elements.length ? "pointer" : "default";
        },
        onClick: function (event, elements) {
          if (!elements.length || !clientUrl) { return; }
          var element = elements[0];
          var p = chart.data.datasets[element.datasetIndex].data[element.index].point;
          window.location.href = clientUrl.replace(/\/0\/$/, "/" + p.id + "/");
        }
      }
    });
    canvas.dataset.chartReady = "true";
    return chart;
  }

  function start() {
    window.kamMatrix = draw(document.getElementById("matrix-chart"));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
