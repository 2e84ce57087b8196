/* Heatline cold-snap outlook: actual vs predicted heating calls on the last 14 fitted days (ECharts). */
(function () {
  "use strict";
  var source = document.getElementById("outlook-data");
  var node = document.getElementById("chart-outlook");
  if (!source || !node || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var dark = document.body.classList.contains("wall");
  var chart = echarts.init(node, dark ? "dark" : null, { renderer: "canvas" });
  var labels = JSON.parse(node.getAttribute("data-labels") || '{"actual":"实际","predicted":"预测"}');
  chart.setOption({
    backgroundColor: dark ? "transparent" : undefined,
    tooltip: { trigger: "axis" },
    legend: { data: [labels.actual, labels.predicted] },
    grid: { left: 36, right: 12, top: 28, bottom: 24 },
    xAxis: { type: "category", data: data.days.map(function (d) { return d.slice(5); }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: labels.actual, type: "line", data: data.actual },
      { name: labels.predicted, type: "line", lineStyle: { type: "dashed" }, data: data.predicted }
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
