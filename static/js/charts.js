// Progress charts (ECharts from npm, copied into static/vendor by `make static`). Each chart reads its data
// from the page's data-chart attribute (JSON); the same numbers are in the tables beside the charts.
(function () {
  "use strict";

  function bar(el, categories, values, name) {
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis", renderMode: "richText"},  // drawn on the canvas: no inline styles (CSP)
      grid: {left: 48, right: 16, top: 24, bottom: 48},
      xAxis: {type: "category", data: categories, axisLabel: {interval: 0, rotate: categories.length > 4 ? 40 : 0}},
      yAxis: {type: "value", name: name},
      series: [{type: "bar", name: name, data: values, itemStyle: {color: "#1f5fa8"}}],
      animation: false
    });
    return chart;
  }

  function lines(el, series, name) {
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis", renderMode: "richText"},  // drawn on the canvas: no inline styles (CSP)
      legend: {top: 0},
      grid: {left: 48, right: 16, top: 32, bottom: 32},
      xAxis: {type: "time", axisLabel: {formatter: "{MM}-{dd}"}},
      yAxis: {type: "value", name: name, min: 0, max: 100},
      series: series.map(function (s) { return {type: "line", name: s.name, data: s.data, showSymbol: true}; }),
      animation: false
    });
    return chart;
  }

  function init() {
    if (!window.echarts) { window.setTimeout(init, 50); return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.ready) return;
      el.dataset.ready = "1";
      var data = JSON.parse(el.getAttribute("data-chart"));
      var kind = el.getAttribute("data-kind");
      var chart;
      if (kind === "weeks") chart = bar(el, data.weeks, data.weekHours, data.labels.hours);
      else if (kind === "modules") chart = bar(el, data.modules, data.moduleHours, data.labels.hours);
      else if (kind === "scores") chart = lines(el, data.scores, data.labels.score);
      else if (kind === "utilisation") chart = bar(el, data.facilities, data.shares, data.labels.share);
      else if (kind === "athlete-hours") chart = bar(el, data.athletes, data.hours, data.labels.hours);
      if (chart) window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
