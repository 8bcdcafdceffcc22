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
  // The 菜单 button below the desktop width opens and closes the navigation; Escape closes it again.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest(".nav-toggle");
    if (!toggle) return;
    toggle.setAttribute("aria-expanded", toggle.getAttribute("aria-expanded") === "true" ? "false" : "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var toggle = document.querySelector(".nav-toggle[aria-expanded='true']");
    if (!toggle) return;
    toggle.setAttribute("aria-expanded", "false");
    toggle.focus();
  });

  // A table that scrolls sideways inside itself (phones) must be reachable with the keyboard (WCAG 2.1.1):
  // it joins the tab order while, and only while, it has something to scroll to.
  var SCROLLERS = ".data-table, .table, .table-responsive, .print-page table";
  function markScrollers() {
    document.querySelectorAll(SCROLLERS).forEach(function (el) {
      var scrolls = el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== "visible";
      if (scrolls && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "0");
        el.setAttribute("data-scroller", "");
      } else if (!scrolls && el.hasAttribute("data-scroller")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-scroller");
      }
    });
  }
  var pending = false;
  function markSoon() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; markScrollers(); });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", markScrollers);
  else markScrollers();
  document.addEventListener("htmx:afterSettle", markSoon);
  window.addEventListener("resize", markSoon);

  document.addEventListener("htmx:sendError", function () {
    flash(zh ? "网络连接失败，请检查网络后重试。" : "Network error; check the connection and retry.");
  });
})();
