// The field app (智慧民政): installable (manifest + service worker), and home visits recorded with no
// signal. A visit form carries a visit_id (its idempotency key); with no network the visit is kept in
// localStorage and sent when the phone is back online; the server records each visit_id once.
(function () {
  "use strict";
  var QUEUE = "safetynet.visits";

  function queue() { try { return JSON.parse(localStorage.getItem(QUEUE) || "[]"); } catch (e) { return []; } }
  function save(items) { localStorage.setItem(QUEUE, JSON.stringify(items)); }
  function uuid() {
    var b = new Uint8Array(16); crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }
  function say(text, tone) {
    var box = document.getElementById("field-status");
    if (!box) {
      box = document.createElement("p"); box.id = "field-status"; box.setAttribute("role", "status");
      var main = document.getElementById("main"); main.insertBefore(box, main.firstChild);
    }
    box.className = (tone || "ok") + " banner"; box.textContent = text;
  }
  function pendingNote() {
    var n = queue().length;
    if (n) say("有 " + n + " 条走访记录保存在本机，联网后自动上传。", "hint");
  }

  function send(item) {
    var body = new FormData();
    Object.keys(item.fields).forEach(function (k) { body.append(k, item.fields[k]); });
    return fetch(item.url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual" })
      .then(function (r) { return r.type === "opaqueredirect" || r.ok; });  // refused: kept, shown as pending
  }

  var flushing = false;
  function flush() {
    if (flushing || !navigator.onLine || !queue().length) return;
    flushing = true;
    var items = queue(), sent = 0;
    (function next(i) {
      if (i >= items.length) {
        flushing = false;
        if (sent) say("已上传 " + sent + " 条离线走访记录。", "ok");
        pendingNote();
        return;
      }
      send(items[i]).then(function (done) {
        if (done) { save(queue().filter(function (q) { return q.fields.visit_id !== items[i].fields.visit_id; })); sent++; }
        next(i + 1);
      }, function () { flushing = false; pendingNote(); });
    })(0);
  }

  function offlineForm(form) {
    var id = form.querySelector("input[name=visit_id]");
    if (!id) { id = document.createElement("input"); id.type = "hidden"; id.name = "visit_id"; form.appendChild(id); }
    if (!id.value) id.value = uuid();
    form.addEventListener("submit", function (e) {
      if (navigator.onLine) return;  // online: the normal submit, with its visit_id
      e.preventDefault();
      if (!form.reportValidity()) return;
      var fields = {};
      new FormData(form).forEach(function (v, k) { if (typeof v === "string") fields[k] = v; });
      var items = queue(); items.push({ url: form.getAttribute("action"), fields: fields, saved_at: Date.now() }); save(items);
      form.reset(); id.value = uuid();
      say("当前无网络：走访记录已保存在本机（照片需联网后补传），联网后自动上传。", "hint");
    });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { say("当前无网络：可继续填写走访记录，联网后自动上传。", "hint"); });
  document.addEventListener("DOMContentLoaded", function () {
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(function () {});
    document.querySelectorAll("form#survey-form, form[data-offline]").forEach(offlineForm);
    pendingNote();
    flush();
  });
})();
