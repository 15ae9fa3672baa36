/* The registry's service worker (served as /sw.js, which prepends self.CRVS_OFFLINE:
 * {cache, static, pages, data}).
 *
 * What it keeps, in one cache named after the deployment (a new deployment, a new cache; the
 * old ones are deleted when it activates):
 * - the static files (styles, scripts, icons, manifest): cache first;
 * - the blank declaration forms and the outbox page: network first, the cache when offline;
 * - the reference data of the clerk's area: network first, the cache when offline.
 * Nothing else is ever stored: record pages, searches and API answers go to the network only.
 * Only same-origin GETs are handled; the registry fetches nothing from elsewhere.
 * Each signed-in page asks {type: "ensure", user} (fetches only what is missing, or everything
 * when the cached pages were another user's); {type: "refresh", user} when the connection
 * returns; {type: "forget-pages"} drops the cached pages and data (sign-out), keeping static
 * files.
 */
/* global self, caches, fetch, Response */
(function () {
  "use strict";
  var config = self.CRVS_OFFLINE;
  var CACHE = config.cache;
  var KEPT = config.pages.concat(config.data);

  function kept(url) {
    return KEPT.indexOf(url.pathname) !== -1;
  }

  function usable(response) {
    // A redirect (to the sign-in page) or an error is never kept in place of a form.
    return response && response.ok && !response.redirected && response.type === "basic";
  }

  function store(request, response) {
    if (!usable(response)) { return Promise.resolve(false); }
    return caches.open(CACHE).then(function (cache) {
      return cache.put(request, response).then(function () { return true; });
    });
  }

  // Which user the cached pages were rendered for: a page of another user is never kept.
  var OWNER = "/__crvs_offline_owner";

  function refreshPages(user) {
    return Promise.all(KEPT.map(function (path) {
      var request = new Request(path, { credentials: "same-origin", cache: "no-store" });
      return fetch(request).then(function (response) {
        return store(path, response);
      }).catch(function () { return false; });
    })).then(function (results) {
      var complete = results.every(Boolean);
      return caches.open(CACHE).then(function (cache) {
        return complete ? cache.put(OWNER, new Response(String(user))) : cache.delete(OWNER);
      }).then(function () { return complete; });
    });
  }

  function ensurePages(user) {
    // Cheap on every page load: fetches only when a page is missing or was another user's.
    return caches.open(CACHE).then(function (cache) {
      return cache.match(OWNER).then(function (owner) {
        return owner ? owner.text() : null;
      }).then(function (owner) {
        if (owner !== String(user)) { return refreshPages(user); }
        return Promise.all(KEPT.map(function (path) { return cache.match(path); }))
          .then(function (found) {
            return found.every(Boolean) ? true : refreshPages(user);
          });
      });
    });
  }

  function forgetPages() {
    return caches.open(CACHE).then(function (cache) {
      return Promise.all(KEPT.concat([OWNER]).map(function (path) { return cache.delete(path); }));
    });
  }

  self.addEventListener("install", function (event) {
    event.waitUntil(caches.open(CACHE).then(function (cache) {
      var requests = config.static.map(function (path) {
        return new Request(path, { cache: "no-cache" });
      });
      return cache.addAll(requests);
    }).then(function () { return self.skipWaiting(); }));
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf("crvs-") === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); }));
  });

  self.addEventListener("message", function (event) {
    var data = event.data || {};
    var reply = function (message) {
      if (event.source) { event.source.postMessage(message); }
    };
    if (data.type === "refresh" || data.type === "ensure") {
      var work = data.type === "refresh" ? refreshPages(data.user) : ensurePages(data.user);
      event.waitUntil(work.then(function (complete) {
        reply({ type: "refreshed", complete: complete, cache: CACHE });
      }));
    } else if (data.type === "forget-pages") {
      event.waitUntil(forgetPages().then(function () { reply({ type: "forgotten" }); }));
    }
  });

  function networkFirst(request, key) {
    return fetch(request).then(function (response) {
      if (usable(response)) { store(key, response.clone()); }
      return response;
    }).catch(function () {
      return caches.open(CACHE).then(function (cache) {
        return cache.match(key);
      }).then(function (cached) {
        return cached || Response.error();
      });
    });
  }

  function cacheFirst(request) {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(request, { ignoreSearch: true }).then(function (cached) {
        return cached || fetch(request);
      });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") { return; }
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) { return; }
    if (config.static.indexOf(url.pathname) !== -1) {
      event.respondWith(cacheFirst(request));
    } else if (kept(url)) {
      // A form opened to edit an outbox item (?outbox=…) is the same blank form.
      event.respondWith(networkFirst(request, url.pathname));
    }
  });
}());
