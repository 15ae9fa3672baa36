/* Offline capture: the outbox of declarations kept on this device, and its sync.
 *
 * Loaded on every page; does something only for a signed-in clerk or registrar (the page's
 * <body data-outbox-user="ID">). Everything else works without it.
 * - Registers the service worker (/sw.js) and asks it to cache the blank forms, the outbox page
 *   and the reference data; <html data-offline-ready="CACHE"> once they are cached.
 * - On a declaration form (<form data-outbox-kind="births|deaths">): without a connection,
 *   "Save" keeps the declaration in IndexedDB (one database per user: "crvs-outbox-ID"), with its
 *   own Idempotency-Key and the device's time of declaration. With "?outbox=KEY" the form
 *   reopens a refused item to be fixed; saving it puts it back in the queue.
 * - Sync (when the connection returns, on page load, and the "Send now" button): items go one
 *   by one to POST /api/v1/births|deaths with their key, using a bearer token of a few minutes
 *   asked for the signed-in owner of the outbox (see registry/web/offline_pages.py). An item
 *   leaves "pending" only on the server's answer: 201 sent (then its suspected duplicates are
 *   asked for, masked), 4xx refused with the field messages; no answer, 5xx or an ended session
 *   (401) leave it pending. A replay of a lost answer returns the first record (the key).
 * - Items are sealed (AES-GCM) under the owner's key, <body data-outbox-key>.
 * - Signing out with unsent items asks first; the items are never deleted by signing out.
 */
(function () {
  "use strict";

  var body = document.body;
  var user = body && body.getAttribute("data-outbox-user");
  if (!user || !window.indexedDB) { return; }
  var texts = {};
  var textNode = document.getElementById("outbox-texts");
  if (textNode) {
    try { texts = JSON.parse(textNode.textContent); } catch (e) { texts = {}; }
  }
  var REQUIRED = { births: ["child", "place", "mother"], deaths: ["deceased", "place"] };
  var OPTIONAL = ["father", "informant", "cause"];
  var CAUSE_LINES = 4;
  var UNSENT = ["pending", "sending", "refused"];

  function t(key, values) {
    var text = texts[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }

  // -- IndexedDB: one database per user ------------------------------------------------------

  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open("crvs-outbox-" + user, 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore("items", { keyPath: "id" });
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }

  function run(mode, action) {
    return db().then(function (database) {
      return new Promise(function (resolve, reject) {
        var tx = database.transaction("items", mode);
        var result = action(tx.objectStore("items"));
        tx.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  // Items are sealed with AES-GCM under the owner's key (<body data-outbox-key>, derived by
  // the server for the signed-in user only): what identifies a person is unreadable on the
  // device without a page of that user. Only the key, owner, kind, status and times are plain.
  var PLAIN = ["id", "user", "kind", "status", "createdAt", "updatedAt"];
  var keyPromise = null;

  function cryptoKey() {
    if (!keyPromise) {
      var encoded = body.getAttribute("data-outbox-key") || "";
      if (!encoded || !window.crypto || !crypto.subtle) {
        keyPromise = Promise.reject(new Error("no outbox key"));
      } else {
        var text = atob(encoded.replace(/-/g, "+").replace(/_/g, "/"));
        var raw = new Uint8Array(text.length);
        for (var i = 0; i < text.length; i += 1) { raw[i] = text.charCodeAt(i); }
        keyPromise = crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
      }
    }
    return keyPromise;
  }

  function seal(item) {
    return cryptoKey().then(function (key) {
      var secret = {};
      var stored = {};
      Object.keys(item).forEach(function (name) {
        if (PLAIN.indexOf(name) === -1) { secret[name] = item[name]; } else { stored[name] = item[name]; }
      });
      stored.iv = crypto.getRandomValues(new Uint8Array(12));
      var plain = new TextEncoder().encode(JSON.stringify(secret));
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: stored.iv }, key, plain).then(function (sealed) {
        stored.sealed = sealed;
        return stored;
      });
    });
  }

  function unseal(stored) {
    if (!stored || stored.user !== user) { return Promise.resolve(null); }
    return cryptoKey().then(function (key) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: stored.iv }, key, stored.sealed);
    }).then(function (plain) {
      var item = JSON.parse(new TextDecoder().decode(plain));
      PLAIN.forEach(function (name) { if (name in stored) { item[name] = stored[name]; } });
      return item;
    }).catch(function () { return null; });  // another key: not this user's to read
  }

  function rawItems() {
    return run("readonly", function (store) { return store.getAll(); }).then(function (items) {
      return (items || []).filter(function (item) { return item.user === user; });
    });
  }

  function allItems() {
    return rawItems().then(function (stored) {
      return Promise.all(stored.map(unseal));
    }).then(function (items) {
      return items.filter(Boolean).sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : 1; });
    });
  }

  function getItem(id) {
    return run("readonly", function (store) { return store.get(id); }).then(unseal);
  }

  function putItem(item) {
    item.updatedAt = new Date().toISOString();
    return seal(item).then(function (stored) {
      return run("readwrite", function (store) { store.put(stored); });
    });
  }

  function deleteItem(id) {
    return run("readwrite", function (store) { store["delete"](id); });
  }

  // -- the form as the API's JSON (the same mapping as registry/web/forms.py to_facts) --------

  function formValues(form) {
    var values = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.type === "submit") { return; }
      values[el.name] = el.type === "checkbox" ? (el.checked ? el.value : "") : el.value;
    });
    return values;
  }

  function put(target, path, value) {
    var parts = path.split(".");
    var node = target;
    for (var i = 0; i < parts.length - 1; i += 1) {
      node[parts[i]] = node[parts[i]] || {};
      node = node[parts[i]];
    }
    node[parts[parts.length - 1]] = value;
  }

  function toFacts(kind, values) {
    var facts = {};
    REQUIRED[kind].forEach(function (group) { facts[group] = {}; });
    Object.keys(values).forEach(function (name) {
      var raw = values[name];
      if (name === "notification") {
        if (raw) { facts.notification = true; }
        return;
      }
      var value = (raw || "").trim();
      if (!value || name.indexOf("cause.part1.") === 0 || name === "cause.part2") { return; }
      put(facts, name, value);
    });
    if (kind === "deaths") {
      var lines = [];
      for (var i = 0; i < CAUSE_LINES; i += 1) {
        var line = {};
        ["text", "icd10", "interval"].forEach(function (key) {
          var value = (values["cause.part1." + i + "." + key] || "").trim();
          if (value) { line[key] = value; }
        });
        lines.push(line);
      }
      while (lines.length && !Object.keys(lines[lines.length - 1]).length) { lines.pop(); }
      var part2 = (values["cause.part2"] || "").split("\n").map(function (c) { return c.trim(); })
        .filter(Boolean);
      if (lines.length) { facts.cause = facts.cause || {}; facts.cause.part1 = lines; }
      if (part2.length) { facts.cause = facts.cause || {}; facts.cause.part2 = part2; }
    }
    OPTIONAL.forEach(function (group) {
      if (facts[group] && !Object.keys(facts[group]).length) { delete facts[group]; }
    });
    return facts;
  }

  function label(kind, values) {
    var person = kind === "births" ? "child" : "deceased";
    var name = [values[person + ".given_names"], values[person + ".family_name"]]
      .filter(Boolean).join(" ").trim();
    return name || t("no_name");
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function localIso(d) {
    // The device's own time with its offset: the server reads the day in the device's zone.
    var offset = -d.getTimezoneOffset();
    var sign = offset >= 0 ? "+" : "-";
    offset = Math.abs(offset);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + sign +
      pad(Math.floor(offset / 60)) + ":" + pad(offset % 60);
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 15) | 64;
    bytes[8] = (bytes[8] & 63) | 128;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // -- messages on the page ------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function notice(text, kind) {
    var main = document.getElementById("main");
    if (!main) { return; }
    var box = document.getElementById("outbox-notice");
    if (!box) {
      box = el("div", { id: "outbox-notice", role: "status", tabindex: "-1" });
      main.insertBefore(box, main.firstChild);
    }
    box.className = "flash " + (kind || "info");
    box.textContent = text;
    return box;
  }

  // -- the declaration form ------------------------------------------------------------------

  function showOfflineHint(form) {
    var hint = document.getElementById("outbox-offline-hint");
    if (!navigator.onLine) {
      if (!hint) {
        hint = el("p", { id: "outbox-offline-hint", "class": "notice" }, [t("offline_form")]);
        form.parentNode.insertBefore(hint, form);
      }
    } else if (hint) {
      hint.parentNode.removeChild(hint);
    }
  }

  function showErrors(form, errors) {
    var summary = el("div", { "class": "error-summary", id: "outbox-errors", tabindex: "-1", role: "alert" },
      [el("h2", {}, [t("refused_title")])]);
    var list = el("ul");
    Object.keys(errors || {}).forEach(function (name) {
      var messages = errors[name];
      var field = name ? form.querySelector("[name=\"" + name.replace(/"/g, "") + "\"]") : null;
      if (field) {
        var wrap = field.closest(".field");
        if (wrap) { wrap.classList.add("invalid"); }
        field.setAttribute("aria-invalid", "true");
        field.parentNode.insertBefore(el("p", { "class": "error" }, [messages.join(" ")]), field);
      }
      messages.forEach(function (message) {
        var text = field && field.labels && field.labels[0] ? field.labels[0].textContent.replace("*", "").trim() + ": " + message : (name ? name + ": " : "") + message;
        list.appendChild(el("li", {}, [text]));
      });
    });
    summary.appendChild(list);
    form.parentNode.insertBefore(summary, form);
    summary.focus();
  }

  function saveToOutbox(form, kind, existing) {
    var values = formValues(form);
    var item = existing || {
      id: newKey(),
      user: user,
      kind: kind,
      declaredAt: localIso(new Date()),
      createdAt: new Date().toISOString()
    };
    if (existing && existing.errors && existing.errors.declared_at_device) {
      item.dropDeviceTime = true;  // the device's clock was refused: the receipt time stands
    }
    item.values = values;
    item.body = toFacts(kind, values);
    item.label = label(kind, values);
    item.status = "pending";
    item.errors = null;
    return putItem(item).then(function () { return item; });
  }

  function fillForm(form, values) {
    Object.keys(values).forEach(function (name) {
      var field = form.elements[name];
      if (!field || !field.tagName) { return; }
      if (field.type === "checkbox") { field.checked = !!values[name]; } else { field.value = values[name]; }
    });
  }

  // Offline, the area and facility pickers offer the cached codes of the user's area.
  var reference = null;

  function referenceData() {
    if (!reference) {
      reference = fetch("/outbox/reference.json", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { areas: [], facilities: [] }; })
        .catch(function () { reference = null; return { areas: [], facilities: [] }; });
    }
    return reference;
  }

  function offlinePicker(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var facilities = (input.getAttribute("data-lookup") || "").indexOf("facilities") !== -1;
    if (!list) { return; }
    input.addEventListener("input", function () {
      if (navigator.onLine) { return; }  // online, registry.js asks the server
      var q = input.value.trim().toLowerCase();
      if (!q) { return; }
      referenceData().then(function (data) {
        var rows = (facilities ? data.facilities : data.areas) || [];
        var found = rows.filter(function (row) {
          return row.code.toLowerCase().indexOf(q) === 0 || row.name.toLowerCase().indexOf(q) === 0;
        }).slice(0, 20);
        while (list.firstChild) { list.removeChild(list.firstChild); }
        found.forEach(function (row) {
          var option = el("option", { value: row.code, label: row.name + " (" + row.code + ")" }, [row.name + " (" + row.code + ")"]);
          list.appendChild(option);
        });
      });
    });
  }

  function declarationForm(form) {
    var kind = form.getAttribute("data-outbox-kind");
    var editing = new URLSearchParams(window.location.search).get("outbox");
    var existing = null;
    showOfflineHint(form);
    Array.prototype.forEach.call(form.querySelectorAll("input[data-lookup][list]"), offlinePicker);
    window.addEventListener("online", function () { showOfflineHint(form); });
    window.addEventListener("offline", function () { showOfflineHint(form); });
    if (editing) {
      getItem(editing).then(function (item) {
        if (!item || item.kind !== kind || item.status !== "refused") { return; }
        existing = item;
        fillForm(form, item.values || {});
        showErrors(form, item.errors || {});
      });
    }
    form.addEventListener("submit", function (event) {
      if (!existing && navigator.onLine) { return; }  // online: the page posts as always
      event.preventDefault();
      saveToOutbox(form, kind, existing).then(function (item) {
        if (existing) {
          window.location.href = body.getAttribute("data-outbox-page") || "/outbox";
          return;
        }
        form.reset();
        window.scrollTo(0, 0);
        var box = notice(t("saved", { name: item.label }), "success");
        if (box) { box.focus(); }
      }).catch(function () {
        notice(t("not_saved"), "error");
      });
    });
  }

  // -- sync ----------------------------------------------------------------------------------

  function Stop(kind) { this.kind = kind; }

  function json(response) {
    return response.json().catch(function () { return {}; });
  }

  function flatten(errors, prefix, out) {
    out = out || {};
    if (errors && typeof errors === "object" && !Array.isArray(errors)) {
      Object.keys(errors).forEach(function (key) {
        var name = key === "_schema" ? prefix : (prefix ? prefix + "." + key : key);
        if (!prefix && key === "json") { name = ""; }
        flatten(errors[key], name, out);
      });
    } else if (Array.isArray(errors)) {
      errors.forEach(function (entry) {
        if (entry && typeof entry === "object") { flatten(entry, prefix, out); } else {
          (out[prefix] = out[prefix] || []).push(String(entry));
        }
      });
    } else if (errors !== undefined && errors !== null) {
      (out[prefix] = out[prefix] || []).push(String(errors));
    }
    return out;
  }

  function askToken() {
    var headers = { "Accept": "application/json" };
    return fetch("/outbox/session", { credentials: "same-origin", headers: headers, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401 || response.redirected) { throw new Stop("signin"); }
        if (!response.ok) { throw new Stop("later"); }
        return response.json();
      }).then(function (who) {
        if (String(who.user_id) !== user) { throw new Stop("other"); }
        return fetch("/outbox/token", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Accept": "application/json", "Content-Type": "application/json", "X-CSRFToken": who.csrf_token },
          body: JSON.stringify({ user_id: who.user_id })
        });
      }).then(function (response) {
        if (response.status === 401) { throw new Stop("signin"); }
        if (response.status === 409) { throw new Stop("other"); }
        if (!response.ok) { throw new Stop("later"); }
        return response.json();
      }).then(function (answer) { return answer.token; });
  }

  function duplicatesOf(item, token) {
    return fetch("/outbox/" + item.kind + "/" + item.recordId + "/duplicates", {
      credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store"
    }).then(function (response) {
      return response.ok ? response.json() : { open: 0, candidates: [] };
    }).catch(function () { return { open: 0, candidates: [] }; });
  }

  function sendOne(item, token) {
    var payload = {};
    Object.keys(item.body).forEach(function (key) { payload[key] = item.body[key]; });
    if (!item.dropDeviceTime) { payload.declared_at_device = item.declaredAt; }
    item.status = "sending";
    return putItem(item).then(function () {
      return fetch("/api/v1/" + item.kind, {
        method: "POST",
        credentials: "omit",
        cache: "no-store",
        headers: {
          "Accept": "application/json",
          "Content-Type": "application/json",
          "Authorization": "Bearer " + token,
          "Idempotency-Key": item.id
        },
        body: JSON.stringify(payload)
      }).catch(function () { return null; });
    }).then(function (response) {
      if (response === null) {
        item.status = "pending";  // no answer: the key makes the next attempt safe
        return putItem(item).then(function () { throw new Stop("later"); });
      }
      if (response.status === 401) {
        item.status = "pending";
        return putItem(item).then(function () { throw new Stop("signin"); });
      }
      if (response.status === 429 || response.status >= 500) {
        item.status = "pending";
        return putItem(item).then(function () { throw new Stop("later"); });
      }
      return json(response).then(function (answer) {
        if (response.ok) {
          item.status = "sent";
          item.recordId = answer.id;
          item.recordUrl = "/" + item.kind + "/" + answer.id;
          item.sentAt = new Date().toISOString();
          // What is sent is on the server now: only the label and the link stay on the device.
          delete item.values;
          delete item.body;
          return duplicatesOf(item, token).then(function (found) {
            if (found.open) {
              item.status = "duplicate";
              item.candidates = found.candidates;
            }
            return putItem(item);
          });
        }
        item.status = "refused";
        var errors = flatten(answer.errors || {}, "");
        if (!Object.keys(errors).length) { errors = { "": [answer.message || String(response.status)] }; }
        item.errors = errors;
        return putItem(item);
      });
    });
  }

  function revoke(token) {
    if (!token) { return; }
    fetch("/api/v1/auth/token", {
      method: "DELETE", credentials: "omit", headers: { "Authorization": "Bearer " + token }
    }).catch(function () { /* it expires within minutes anyway */ });
  }

  var syncing = null;

  function sync() {
    if (syncing) { return syncing; }
    if (!navigator.onLine) {
      report({ kind: "offline" });
      return Promise.resolve();
    }
    var token = null;
    var sent = 0;
    // One sync at a time across this user's tabs (the key would make a race harmless anyway).
    var work = function () { return allItems().then(function (items) {
      var todo = items.filter(function (item) { return item.status === "pending" || item.status === "sending"; });
      if (!todo.length) { return { kind: "empty", sent: 0 }; }
      return askToken().then(function (got) {
        token = got;
        return todo.reduce(function (chain, item) {
          return chain.then(function () {
            return sendOne(item, token).then(function () {
              if (item.status === "sent" || item.status === "duplicate") { sent += 1; }
            });
          });
        }, Promise.resolve());
      }).then(function () { return { kind: "done", sent: sent }; });
    }).catch(function (stop) {
      return stop instanceof Stop ? { kind: stop.kind, sent: sent } : { kind: "later", sent: sent };
    }).then(function (outcome) {
      revoke(token);
      syncing = null;
      if (outcome) { report(outcome); }
      return render();
    }); };
    syncing = navigator.locks ? navigator.locks.request("crvs-outbox-" + user, work) : work();
    return syncing;
  }

  function report(outcome) {
    var keys = { signin: "signin_again", other: "other_user", later: "try_later", offline: "offline", empty: "nothing" };
    var text = outcome.kind === "done" ? t("sent_count", { n: String(outcome.sent) }) : t(keys[outcome.kind]);
    var status = document.getElementById("outbox-status");
    if (status) {
      status.textContent = text;
      status.setAttribute("data-outcome", outcome.kind);
    } else if ((outcome.kind !== "done" && outcome.kind !== "empty") || outcome.sent) {
      notice(text, outcome.kind === "done" ? "success" : "info");
    }
  }

  // -- the outbox page -----------------------------------------------------------------------

  function candidateText(c) {
    return t("candidate", {
      given: c.given_names || "?", family: c.family_name || "?", month: c.event_month,
      area: c.area_code, percent: String(Math.round(c.probability * 100))
    });
  }

  var labelsCache = null;

  function fieldLabels() {
    if (labelsCache === null) {
      var node = document.getElementById("outbox-labels");
      try { labelsCache = node ? JSON.parse(node.textContent) : {}; } catch (e) { labelsCache = {}; }
    }
    return labelsCache;
  }

  function itemNode(item) {
    var node = el("li", { "class": "outbox-item " + item.status, "data-key": item.id, "data-status": item.status });
    node.appendChild(el("p", {}, [
      el("strong", {}, [t(item.kind) + ": " + item.label]), " ",
      el("span", { "class": "status outbox-" + item.status }, [t("status_" + item.status)])
    ]));
    node.appendChild(el("p", { "class": "meta" }, [t("declared_at", { time: item.declaredAt.replace("T", " ").slice(0, 16) })]));
    if (item.recordUrl) {
      node.appendChild(el("p", {}, [el("a", { href: item.recordUrl, "class": "record-link" }, [t("open_record")])]));
    }
    if (item.status === "refused") {
      var errors = el("ul", { "class": "error" });
      var names = fieldLabels()[item.kind] || {};
      Object.keys(item.errors || {}).forEach(function (name) {
        item.errors[name].forEach(function (message) {
          errors.appendChild(el("li", {}, [(name ? (names[name] || name) + ": " : "") + message]));
        });
      });
      node.appendChild(errors);
      node.appendChild(el("p", {}, [el("a", { href: "/" + item.kind + "/new?outbox=" + encodeURIComponent(item.id), "class": "fix" }, [t("fix")])]));
    }
    if (item.status === "duplicate") {
      var list = el("ul", { "class": "candidates" });
      (item.candidates || []).forEach(function (c) { list.appendChild(el("li", {}, [candidateText(c)])); });
      node.appendChild(el("p", { "class": "notice" }, [t("duplicate_note")]));
      node.appendChild(list);
    }
    if (item.status === "sent" || item.status === "duplicate") {
      var remove = el("button", { type: "button", "class": "link remove" }, [t("remove")]);
      remove.addEventListener("click", function () { deleteItem(item.id).then(render); });
      node.appendChild(el("p", {}, [remove]));
    }
    return node;
  }

  function render() {
    var list = document.getElementById("outbox-items");
    if (!list) { return Promise.resolve(); }
    return allItems().then(function (items) {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      items.slice().reverse().forEach(function (item) { list.appendChild(itemNode(item)); });
      var empty = document.getElementById("outbox-empty");
      if (empty) { empty.hidden = items.length > 0; }
      list.setAttribute("data-count", String(items.length));
    });
  }

  // -- signing out with unsent items ---------------------------------------------------------

  function forgetPages() {
    if (!navigator.serviceWorker || !navigator.serviceWorker.controller) { return Promise.resolve(); }
    navigator.serviceWorker.controller.postMessage({ type: "forget-pages" });
    return new Promise(function (resolve) { setTimeout(resolve, 150); });
  }

  function guardSignOut(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      rawItems().then(function (items) {
        var unsent = items.filter(function (item) { return UNSENT.indexOf(item.status) !== -1; });
        if (!unsent.length) {
          forgetPages().then(function () { form.submit(); });
          return;
        }
        var dialog = el("dialog", { id: "outbox-leave", "aria-labelledby": "outbox-leave-title" }, [
          el("h2", { id: "outbox-leave-title" }, [t("leave_title")]),
          el("p", {}, [t("leave_text", { n: String(unsent.length) })])
        ]);
        var stay = el("button", { type: "button", id: "outbox-stay" }, [t("stay")]);
        var leave = el("button", { type: "button", id: "outbox-leave-anyway", "class": "secondary" }, [t("leave_anyway")]);
        stay.addEventListener("click", function () { dialog.close(); dialog.remove(); });
        leave.addEventListener("click", function () {
          forgetPages().then(function () { form.submit(); });
        });
        dialog.appendChild(el("p", { "class": "buttons" }, [stay, leave]));
        document.body.appendChild(dialog);
        dialog.showModal();
      }).catch(function () {
        form.submit();  // the outbox cannot be read (no storage): never keep anyone signed in
      });
    });
  }

  // -- the service worker --------------------------------------------------------------------

  function askWorker(type) {
    if (!navigator.serviceWorker) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active && navigator.onLine) {
        registration.active.postMessage({ type: type, user: user });
      }
    });
  }

  function registerWorker() {
    if (!navigator.serviceWorker) { return; }
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "refreshed" && data.complete) {
        document.documentElement.setAttribute("data-offline-ready", data.cache);
      }
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      askWorker("ensure");
    }).catch(function () { /* no worker: the pages still work online */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-outbox-kind]");
    if (form) { declarationForm(form); }
    var signOut = document.querySelector("form.who");
    if (signOut) { guardSignOut(signOut); }
    var button = document.getElementById("outbox-sync");
    if (button) { button.addEventListener("click", function () { sync(); }); }
    registerWorker();
    render().then(function () { if (navigator.onLine) { sync(); } });
    window.addEventListener("online", function () { askWorker("refresh"); sync(); });
    window.addEventListener("offline", function () { report({ kind: "offline" }); });
  });
}());
