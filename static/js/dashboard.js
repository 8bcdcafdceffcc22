// Officials' dashboard charts (ECharts from npm). Each [data-dashboard-chart] holds its labels, values and the
// list each bar links to; clicking a bar opens that list. The same numbers are in the table beneath.
(function () {
  "use strict";

  function draw(el) {
    var labels = JSON.parse(el.getAttribute("data-labels"));
    var values = JSON.parse(el.getAttribute("data-values"));
    var links = JSON.parse(el.getAttribute("data-links") || "[]");
    var horizontal = el.getAttribute("data-dashboard-chart") === "levels";
    var category = {type: "category", data: horizontal ? labels.slice().reverse() : labels,
                    axisLabel: {interval: 0, rotate: !horizontal && labels.length > 6 ? 35 : 0}};
    var value = {type: "value", minInterval: 1};
    var chart = window.echarts.init(el);
    chart.setOption({
      tooltip: {trigger: "axis", renderMode: "richText"},  // drawn on the canvas: no inline styles (CSP)
      grid: {left: horizontal ? 110 : 40, right: 24, top: 24, bottom: horizontal ? 24 : 64},
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: [{type: "bar", name: el.getAttribute("data-title"), data: horizontal ? values.slice().reverse() : values,
                itemStyle: {color: "#1f5fa8"}, cursor: links.length ? "pointer" : "default"}],
      animation: false
    });
    chart.on("click", function (params) {
      var index = horizontal ? labels.length - 1 - params.dataIndex : params.dataIndex;
      if (links[index]) window.location.href = links[index];
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
