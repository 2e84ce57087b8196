/* Heatline dashboard: four ECharts charts; clicking a point opens the list of requests behind it. */
(function () {
  "use strict";
  var source = document.getElementById("report-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var dark = document.body.classList.contains("wall");
  var theme = dark ? "dark" : null;
  var charts = [];

  function mount(id, option, urls) {
    var node = document.getElementById(id);
    if (!node) { return; }
    var chart = echarts.init(node, theme, { renderer: "canvas" });
    if (dark) { option.backgroundColor = "transparent"; }
    chart.setOption(option);
    chart.on("click", function (event) {
      var url = urls(event);
      if (url) { window.location.href = url; }
    });
    charts.push(chart);
  }

  var L = data.labels;
  mount("chart-daily", {
    tooltip: { trigger: "axis" },
    legend: { data: [L.total, L.emergency] },
    grid: { left: 40, right: 16, top: 32, bottom: 56 },
    dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 8 }],
    xAxis: { type: "category", data: data.daily.map(function (d) { return d.day; }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: L.total, type: "line", smooth: true, areaStyle: { opacity: 0.15 }, showSymbol: false,
        data: data.daily.map(function (d) { return d.total; }),
        markPoint: { data: [{ type: "max", name: "max" }] } },
      { name: L.emergency, type: "bar", data: data.daily.map(function (d) { return d.emergency; }) }
    ]
  }, function (e) { return data.daily[e.dataIndex] && data.daily[e.dataIndex].url; });

  mount("chart-categories", {
    tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
    series: [{ type: "pie", radius: ["35%", "70%"], data: data.categories,
      label: { formatter: "{b}\n{c}" } }]
  }, function (e) { return data.categories[e.dataIndex] && data.categories[e.dataIndex].url; });

  var districts = data.districts.slice().reverse();
  mount("chart-districts", {
    tooltip: { trigger: "axis", formatter: function (p) {
      var d = districts[p[0].dataIndex];
      return d.name + "<br>" + L.on_time + ": " + d.value + "%<br>" + L.requests + ": " + d.requests;
    } },
    grid: { left: 90, right: 40, top: 16, bottom: 24 },
    xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
    yAxis: { type: "category", data: districts.map(function (d) { return d.name; }) },
    series: [{ type: "bar", data: districts.map(function (d) { return d.value; }),
      label: { show: true, position: "right", formatter: "{c}%" } }]
  }, function (e) { return districts[e.dataIndex] && districts[e.dataIndex].url; });

  var grid = data.grid;
  var max = grid.cells.reduce(function (m, c) { return Math.max(m, c.value[2]); }, 1);
  var xs = []; for (var i = 1; i <= grid.width; i++) { xs.push(String(i)); }
  mount("chart-grid", {
    tooltip: { formatter: function (p) { return p.data.name + ": " + p.data.value[2]; } },
    grid: { left: 110, right: 16, top: 16, bottom: 64 },
    xAxis: { type: "category", data: xs, name: L.rank, nameLocation: "middle", nameGap: 28, splitArea: { show: true } },
    yAxis: { type: "category", data: grid.communities, inverse: true, splitArea: { show: true } },
    visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center", bottom: 0,
      itemHeight: 80, inRange: { color: ["#fff5eb", "#fd8d3c", "#a63603"] } },
    series: [{ type: "heatmap", data: grid.cells, label: { show: true, formatter: function (p) { return p.data.value[2]; } } }]
  }, function (e) { return e.data && e.data.url; });

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
