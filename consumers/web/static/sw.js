// Service worker of the field app: the pages a caseworker opened stay readable with no signal.
// GET pages: network first, the last copy when offline. Static files: cache first. POSTs pass through
// (offline visits are queued by field.js, not here).
var CACHE = "safetynet-field-v1";
var SHELL = ["/static/app.css", "/static/app.js", "/static/field.js", "/static/icon.svg", "/manifest.webmanifest"];

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (e) { e.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (e) {
  var req = e.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin || url.pathname.indexOf("/console/events") === 0) return;
  if (url.pathname.indexOf("/static/") === 0) {
    e.respondWith(caches.match(req).then(function (hit) { return hit || fetch(req); }));
    return;
  }
  if (req.mode === "navigate" && url.pathname.indexOf("/console") === 0) {
    e.respondWith(fetch(req).then(function (res) {
      var copy = res.clone();
      if (res.ok) caches.open(CACHE).then(function (c) { c.put(req, copy); });
      return res;
    }).catch(function () {
      return caches.match(req).then(function (hit) { return hit || new Response("当前无网络，此页面尚未离线保存。",
        { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" } }); });
    }));
  }
});
