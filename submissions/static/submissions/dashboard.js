/* The dashboard's charts: ECharts (served by the portal) draws the figures passed by the page in
   #dashboard-data (json_script); a click on a bar, slice or point opens the queue filtered to it. */
(function () {
  "use strict";
  function start() {
    var source = document.getElementById("dashboard-data");
    if (!source || typeof window.echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var labels = document.getElementById("dashboard-labels");
    var daysLeft = labels ? labels.getAttribute("data-days-left") : "";
    var charts = [];

    function draw(name, option, linkOf) {
      var el = document.querySelector('[data-chart="' + name + '"]');
      if (!el) { return; }
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      chart.on("click", function (params) {
        var link = linkOf(params);
        if (link) { window.location.assign(link); }
      });
      el.setAttribute("data-drawn", "1");
      charts.push(chart);
    }

    var regions = data.regions;
    draw("regions", {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 10, top: 30, bottom: 60 },
      xAxis: { type: "category", data: regions.names, axisLabel: { interval: 0, rotate: regions.names.length > 6 ? 40 : 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: regions.series.map(function (s) {
        return { name: s.name, type: s.key === "quota" ? "line" : "bar", data: s.values, connectNulls: false };
      })
    }, function (p) { var s = regions.series[p.seriesIndex]; return s && s.links[p.dataIndex]; });

    draw("statuses", {
      tooltip: { trigger: "item" },
      series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "10%",
                 label: { formatter: "{b}: {c}" }, data: data.statuses }]
    }, function (p) { return data.statuses[p.dataIndex] && data.statuses[p.dataIndex].link; });

    draw("industries", {
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}: {c}" }, data: data.industries }]
    }, function (p) { return data.industries[p.dataIndex] && data.industries[p.dataIndex].link; });

    draw("deadlines", {
      tooltip: { trigger: "item", formatter: function (p) { return p.name + ": " + p.value + " " + daysLeft; } },
      grid: { left: 10, right: 30, top: 10, bottom: 20, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: data.deadlines.map(function (d) { return d.name; }), axisLabel: { width: 180, overflow: "truncate" } },
      series: [{ type: "bar", data: data.deadlines.map(function (d) { return d.value; }) }]
    }, function (p) { return data.deadlines[p.dataIndex] && data.deadlines[p.dataIndex].link; });

    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
