// Small behaviours that htmx attributes cannot express. No inline scripts anywhere (see the CSP).
(function () {
  "use strict";

  function flash(message) {
    var area = document.getElementById("flash-messages");
    if (!area) return;
    var div = document.createElement("div");
    div.className = "alert alert-danger py-2";
    div.setAttribute("role", "alert");
    div.textContent = message;
    area.replaceChildren(div);
  }

  var zh = document.documentElement.lang === "zh-CN";
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 403) flash(zh ? "没有权限执行此操作。" : "You are not allowed to do this.");
    else if (status === 429) flash(zh ? "操作过于频繁，请稍后再试。" : "Too many attempts; please wait.");
    else flash(zh ? "操作失败（" + status + "），请刷新页面后重试。" : "Request failed (" + status + "); reload and try again.");
  });
  // [data-print] buttons print the page (the skills record); print styles hide .no-print and the navigation.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
  document.addEventListener("htmx:sendError", function () {
    flash(zh ? "网络连接失败，请检查网络后重试。" : "Network error; check the connection and retry.");
  });
})();
