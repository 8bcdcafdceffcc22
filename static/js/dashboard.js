// Officials' dashboard charts (ECharts from npm). Each [data-dashboard-chart] holds, in data-chart, its labels
// and one or more series, each with its values and the list each bar or point links to; clicking opens that
// list. The kind is "bars" (vertical bars), "levels" (horizontal bars, top level first) or "lines" (a monthly
// trend). The same numbers are always in a table beneath the chart.
(function () {
  "use strict";

  var COLOURS = ["#1f5fa8", "#e08a1e", "#2e8b57", "#8e44ad"];

  function draw(el) {
    var data = JSON.parse(el.getAttribute("data-chart"));
    var kind = el.getAttribute("data-dashboard-chart");
    var labels = data.labels;
    var horizontal = kind === "levels";
    var many = data.series.length > 1;
    var longest = labels.reduce(function (m, l) { return Math.max(m, String(l).length); }, 0);
    var rotate = !horizontal && (labels.length > 8 || (labels.length > 4 && longest > 6)) ? 35 : 0;
    var category = {type: "category", data: horizontal ? labels.slice().reverse() : labels,
                    axisLabel: {interval: 0, rotate: rotate, fontSize: 12,
                                formatter: function (v) { return v.length > 10 ? v.slice(0, 10) + "…" : v; }}};
    var value = {type: "value", minInterval: 1};
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis", renderMode: "richText"},  // drawn on the canvas: no inline styles (CSP)
      legend: many ? {top: 0, data: data.series.map(function (s) { return s.name; })} : undefined,
      grid: {left: horizontal ? 110 : 56, right: 24, top: many ? 36 : 24, bottom: horizontal ? 24 : (rotate ? 80 : 40)},
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: data.series.map(function (s, i) {
        return {type: kind === "lines" ? "line" : "bar", name: s.name,
                data: horizontal ? s.values.slice().reverse() : s.values,
                itemStyle: {color: COLOURS[i % COLOURS.length]}, symbolSize: 8,
                cursor: s.links.length ? "pointer" : "default"};
      }),
      animation: false
    });
    chart.on("click", function (params) {
      var series = data.series[params.seriesIndex] || data.series[0];
      var index = horizontal ? labels.length - 1 - params.dataIndex : params.dataIndex;
      if (series.links[index]) window.location.href = series.links[index];
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init() {
    if (!window.echarts) { window.setTimeout(init, 50); return; }
    document.querySelectorAll("[data-dashboard-chart]").forEach(function (el) {
      if (el.dataset.ready) return;
      el.dataset.ready = "1";
      draw(el);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
  document.addEventListener("htmx:afterSettle", init);
})();
