// The service worker, served at /sw.js by gateway/console/web.py with its version and file list
// filled in: keeps the console's own files (never the API) so that a worker can open it in a
// village without a connection; network first, so an update is seen at once when online.
const CACHE = "sgz-console-%(version)s";
const SHELL = %(shell)s;
self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});
self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const own = url.pathname === "/" || url.pathname.startsWith("/console/");
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !own) return;
  event.respondWith(fetch(event.request)
    .then((answer) => {
      if (answer.ok) { const copy = answer.clone(); caches.open(CACHE).then((c) => c.put(event.request, copy)); }
      return answer;
    })
    .catch(() => caches.match(event.request, { ignoreSearch: true })
      .then((kept) => kept || caches.match("/"))));
});
