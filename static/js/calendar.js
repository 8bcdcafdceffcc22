// The base's training calendar (FullCalendar from npm, copied into static/vendor by `make static`).
// Times are Beijing wall-clock times: the calendar runs in its "UTC" mode and the server sends and reads
// times without a zone, so what the page shows does not depend on the browser's own time zone.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function wallTime(date) {
    return date.toISOString().slice(0, 19);
  }

  function say(box, text, ok) {
    box.textContent = text;
    box.className = "calendar-message alert " + (ok ? "alert-success" : "alert-danger");
  }

  function moveEvent(info, box) {
    var body = new URLSearchParams();
    body.set("starts_at", wallTime(info.event.start));
    body.set("ends_at", wallTime(info.event.end || info.event.start));
    fetch(info.event.extendedProps.moveUrl, {
      method: "POST",
      headers: {"X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded"},
      body: body,
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (result) {
      if (result.ok) {
        say(box, result.data.message, true);
      } else {
        info.revert();
        say(box, result.data.error || "", false);
      }
    }).catch(function () {
      info.revert();
      say(box, document.documentElement.lang === "zh-CN" ? "保存失败，已撤回。" : "Could not save; moved back.", false);
    });
  }

  function init() {
    var el = document.getElementById("training-calendar");
    if (!el || el.dataset.ready) return;
    if (!window.FullCalendar) { window.setTimeout(init, 50); return; }
    el.dataset.ready = "1";
    var box = document.getElementById("calendar-message");
    var zh = el.dataset.locale === "zh-cn";
    var calendar = new window.FullCalendar.Calendar(el, {
      timeZone: "UTC",
      locale: el.dataset.locale,
      initialView: "timeGridWeek",
      initialDate: el.dataset.initialDate,
      firstDay: 1,
      allDaySlot: false,
      nowIndicator: false,
      slotMinTime: "06:00:00",
      slotMaxTime: "24:00:00",
      height: "auto",
      headerToolbar: {left: "prev,next today", center: "title", right: "timeGridWeek,dayGridMonth"},
      buttonText: zh ? {today: "今天", week: "周", month: "月"} : {today: "Today", week: "Week", month: "Month"},
      editable: el.dataset.editable === "true",
      eventDurationEditable: false,
      events: {url: el.dataset.eventsUrl, failure: function () { say(box, zh ? "无法加载课程" : "Could not load sessions", false); }},
      eventDrop: function (info) { moveEvent(info, box); }
    });
    calendar.render();
    window.jtCalendar = calendar;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
