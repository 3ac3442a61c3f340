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
    function recount(delta) {  // the count is the inbox's true total, not the rows of this page
      count.textContent = Math.max(0, Number(count.textContent) + delta);
      empty.hidden = list.querySelectorAll(".case-row").length > 0;
    }
    source.onopen = function () { status.textContent = "实时更新已连接"; status.className = "live on"; };
    source.onerror = function () { status.textContent = "连接中断，正在重连…"; status.className = "live"; };
    source.addEventListener("case", function (e) {
      var data = JSON.parse(e.data), old = document.getElementById("case-" + data.case_id);
      if (!data.shown) { if (old) { old.remove(); recount(-1); } return; }
      if (!old && !data.new) return;  // a case on another page of the inbox
      var row = fragment(data.html);
      if (old) old.replaceWith(row); else list.insertBefore(row, list.firstChild);
      status.textContent = (data.new ? "新案件：" : "案件更新：") + data.state;
      recount(old ? 0 : 1); tick();
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
      input.setCustomValidity(tooMany ? "最多 3 张照片" : bad.length ? "照片须为 JPEG/PNG，每张不超过 2 MiB" : "");
      msg.textContent = tooMany ? "最多 3 张照片" : bad.length ? "照片须为 JPEG/PNG，每张不超过 2 MiB" : "";
      msg.className = bad.length || tooMany ? "error" : "hint";
    });
  }

  // Size checked before sending: a form over the server's limit is not sent, nothing typed is lost.
  function bytes(form) {
    var total = 0, encoder = new TextEncoder();
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name) return;
      if (el.type === "file") { Array.prototype.forEach.call(el.files, function (f) { total += f.size; }); }
      else if ((el.type !== "radio" && el.type !== "checkbox") || el.checked) {
        total += encoder.encode(encodeURIComponent(el.value)).length + el.name.length + 2;
      }
    });
    return total;
  }

  function sizeCheck(form) {
    form.addEventListener("submit", function (e) {
      var limit = Number(form.getAttribute("data-max-bytes") || 65536);
      var size = bytes(form), msg = form.querySelector(".size-error");
      if (size <= limit) { if (msg) msg.remove(); return; }
      e.preventDefault();
      if (!msg) {
        msg = document.createElement("p");
        msg.className = "error banner size-error";
        msg.setAttribute("role", "alert");
        msg.tabIndex = -1;
        form.insertBefore(msg, form.firstChild);
      }
      msg.textContent = "内容过大（约 " + Math.ceil(size / 1024) + " KiB，每次最多 " + Math.floor(limit / 1024) +
        " KiB），没有提交。您填写的内容都还在，请精简后再提交。";
      msg.focus();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[method=post]").forEach(sizeCheck);
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
