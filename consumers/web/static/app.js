// The console's only script: live inbox (server-sent events), SLA countdowns, photo size check.
// No framework; every page works without it (the inbox then updates on reload).
(function () {
  "use strict";

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000), days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) return days + "天" + hours + "小时";
    return hours ? hours + "小时" + mins + "分" : mins + "分钟";
  }

  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = new Date(el.getAttribute("data-due")) - new Date();
      el.textContent = left > 0 ? "剩余 " + span(left) : "已超期 " + span(left);
      el.className = "sla " + (left <= 0 ? "sla-late" : left < 86400000 ? "sla-soon" : "sla-ok");
    });
  }

  function fragment(html) {
    var t = document.createElement("template");
    t.innerHTML = html.trim();
    return t.content.firstElementChild;
  }

  function liveInbox(list) {
    var status = document.getElementById("live-status"), notices = document.getElementById("notices");
    var count = document.getElementById("case-count"), empty = document.getElementById("empty");
    var source = new EventSource(list.getAttribute("data-events"));
    function recount() {
      var n = list.querySelectorAll(".case-row").length;
      count.textContent = n;
      empty.hidden = n > 0;
    }
    source.onopen = function () { status.textContent = "实时更新已连接"; status.className = "live on"; };
    source.onerror = function () { status.textContent = "连接中断，正在重连…"; status.className = "live"; };
    source.addEventListener("case", function (e) {
      var data = JSON.parse(e.data), old = document.getElementById("case-" + data.case_id);
      if (!data.shown) { if (old) old.remove(); recount(); return; }
      var row = fragment(data.html);
      if (old) old.replaceWith(row); else list.insertBefore(row, list.firstChild);
      status.textContent = (data.new ? "新案件：" : "案件更新：") + data.state;
      recount(); tick();
    });
    source.addEventListener("notification", function (e) {
      var data = JSON.parse(e.data);
      if (!document.getElementById("notice-" + data.id)) notices.insertBefore(fragment(data.html), notices.firstChild);
      status.textContent = "收到新预警通知";
    });
    source.addEventListener("expired", function () { source.close(); window.location.href = "/login"; });
  }

  function photoCheck(input) {
    var max = Number(input.getAttribute("data-max-bytes")), msg = document.getElementById("photo-msg");
    input.addEventListener("change", function () {
      var bad = Array.prototype.filter.call(input.files, function (f) {
        return f.size > max || ["image/jpeg", "image/png"].indexOf(f.type) < 0;
      });
      var tooMany = input.files.length > 3;
      input.setCustomValidity(bad.length || tooMany ? "invalid" : "");
      msg.textContent = tooMany ? "最多 3 张照片" : bad.length ? "照片须为 JPEG/PNG，每张不超过 2 MiB" : "";
      msg.className = bad.length || tooMany ? "error" : "hint";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var list = document.getElementById("cases");
    if (list && list.hasAttribute("data-events") && window.EventSource) liveInbox(list);
    var photos = document.getElementById("f-photos");
    if (photos) photoCheck(photos);
    var errors = document.getElementById("form-errors");
    if (errors) errors.focus();
    tick();
    setInterval(tick, 30000);
  });
})();
