// Heatline's pages, live without reload.
//
// Countdowns: any element with data-due="ISO time" shows the time left (or overdue), refreshed each second;
// with data-warn="ISO time" (the clock's 80 % point) it turns amber from then on, red when overdue.
//
// The live feed (body[data-live] = the stream's URL, server-sent events, see heatline/core/live.py):
// - "request" events reload the page's live regions: an element with an id and data-live-region="all"
//   (any visible request changed) or "mine" (a request for me, or one the region shows); the region is
//   read again from the page and swapped in place, at most once per data-live-throttle ms (default 300).
//   New emergency rows (tr[data-emergency]) of a region with data-live-sound flash and ring; a region with
//   data-live-every="ms" also reloads on that period (the figures that move with the clock alone).
// - "call" events pop the caller up (ringing) and close the pop-up (hang-up).
// - "notify" events count up the inbox badge; "hotspot" events reload regions marked "hotspot";
//   "resync" (after a reconnect) reloads every region.
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }

  function render(el) {
    var due = Date.parse(el.dataset.due);
    if (isNaN(due)) return;
    var now = Date.now();
    var left = Math.round((due - now) / 1000);
    var late = left < 0, s = Math.abs(left);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = (h ? h + ":" + pad(m) : m) + ":" + pad(sec);
    el.textContent = late ? (el.dataset.lateLabel || "超时") + " " + text : text;
    var warn = Date.parse(el.dataset.warn || "");
    var soon = !late && (isNaN(warn) ? left < 600 : now >= warn);
    el.classList.toggle("late", late);
    el.classList.toggle("soon", soon);
    var row = el.closest("tr");
    if (row) { row.classList.toggle("overdue", late); row.classList.toggle("warning", soon); }
  }
  function tick() { document.querySelectorAll("[data-due]").forEach(render); }

  // ----------------------------------------------------------------------------------------- sound
  var audio = null;
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    audio = audio || new Context();
    return audio;
  }
  function ring() {
    window.heatlineRings = (window.heatlineRings || 0) + 1;
    if (navigator.vibrate) { try { navigator.vibrate([200, 100, 200]); } catch (e) { /* not allowed */ } }
    var context = audioContext();
    if (!context) return;
    if (context.state === "suspended") { context.resume(); showSoundButton(); }
    [0, 0.35].forEach(function (start) {
      var tone = context.createOscillator(), gain = context.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.25, context.currentTime + start);
      gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + start + 0.3);
      tone.connect(gain); gain.connect(context.destination);
      tone.start(context.currentTime + start); tone.stop(context.currentTime + start + 0.3);
    });
  }
  function showSoundButton() {
    var button = document.getElementById("live-sound");
    if (!button) return;
    button.hidden = false;
    button.onclick = function () { var c = audioContext(); if (c) c.resume(); button.hidden = true; };
  }

  // ---------------------------------------------------------------------------------------- regions
  var timers = {};
  function numbersIn(region) {
    var found = {};
    region.querySelectorAll("[data-number]").forEach(function (el) { found[el.dataset.number] = true; });
    return found;
  }
  // Regions due at the same moment (same throttle) are read from one fetch of the page, not one each.
  function reload(region) {
    var id = region.id;
    if (!id || timers[id]) return;
    var wait = parseInt(region.dataset.liveThrottle || "300", 10);
    timers[id] = { wait: wait, timer: setTimeout(function () { refresh(wait); }, wait) };
  }
  function refresh(wait) {
    var due = [];
    Object.keys(timers).forEach(function (id) {
      if (timers[id].wait !== wait) return;
      clearTimeout(timers[id].timer);
      delete timers[id];
      var current = document.getElementById(id);
      if (!current) return;
      var focused = document.activeElement;
      if (focused && current.contains(focused) && focused.matches("input, textarea, select")) {
        setTimeout(function () { reload(current); }, 2000);  // never swap a form out from under the typist
        return;
      }
      due.push({ id: id, before: numbersIn(current) });
    });
    if (!due.length) return;
    fetch(window.location.href, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) {
        if (!html) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        due.forEach(function (item) { swap(item, page); });
        tick();
      });
  }
  function swap(item, page) {
    var current = document.getElementById(item.id), incoming = page.getElementById(item.id);
    if (!current || !incoming) return;
    var fresh = document.importNode(incoming, true);
    current.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    var rang = false;
    fresh.querySelectorAll("tr[data-emergency][data-number]").forEach(function (row) {
      if (item.before[row.dataset.number]) return;
      row.classList.add("fresh");
      rang = true;
    });
    if (rang && fresh.hasAttribute("data-live-sound")) ring();
    fresh.dispatchEvent(new CustomEvent("heatline:refreshed", { bubbles: true }));
  }
  function regions(kind) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-live-region]"), function (region) {
      return kind === "*" || region.dataset.liveRegion.split(" ").indexOf(kind) >= 0;
    });
  }
  function onRequest(data) {
    regions("all").forEach(reload);
    regions("mine").forEach(function (region) {
      if (data.mine || region.querySelector('[data-number="' + data.number + '"]')) reload(region);
    });
  }

  // ------------------------------------------------------------------------------------ call pop-up
  function onCall(data) {
    var box = document.getElementById("live-popups");
    if (!box || !data.call) return;
    var existing = box.querySelector('[data-call="' + data.call + '"]');
    if (data.event === "ringing" || data.event === "answered") {
      if (existing) return;
      fetch("/integrations/calls/" + data.call + "/popup/", { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) {
          if (!html || box.querySelector('[data-call="' + data.call + '"]')) return;
          box.insertAdjacentHTML("afterbegin", html);
          ring();
        });
    } else if (existing) {
      existing.classList.add("ended");
      setTimeout(function () { if (existing.parentNode && !existing.matches(":hover")) existing.remove(); }, 20000);
    }
  }

  function onNotify() {
    var inbox = document.querySelector(".userbox .inbox");
    if (!inbox) return;
    var badge = inbox.querySelector(".badge");
    if (!badge) { badge = document.createElement("b"); badge.className = "badge"; badge.textContent = "0"; inbox.appendChild(badge); }
    badge.textContent = String((parseInt(badge.textContent, 10) || 0) + 1);
  }

  // ------------------------------------------------------------------------------------------ feed
  function connect(url) {
    if (!window.EventSource) return;
    var state = document.getElementById("live-state");
    var source = new EventSource(url, { withCredentials: true });
    function handle(kind, fn) {
      source.addEventListener(kind, function (message) {
        var data = {};
        try { data = JSON.parse(message.data || "{}"); } catch (e) { return; }
        window.heatlineLastEvent = { type: kind, data: data, at: Date.now() };
        fn(data);
        document.dispatchEvent(new CustomEvent("heatline:live", { detail: { type: kind, data: data } }));
      });
    }
    source.onopen = function () { if (state) state.classList.add("on"); document.body.dataset.liveConnected = "1"; };
    source.onerror = function () { if (state) state.classList.remove("on"); delete document.body.dataset.liveConnected; };
    handle("request", onRequest);
    handle("call", onCall);
    handle("notify", onNotify);
    handle("hotspot", function () { regions("hotspot").forEach(reload); });
    handle("resync", function () { regions("*").forEach(reload); });
  }

  document.addEventListener("click", function (event) {
    var close = event.target.closest && event.target.closest(".call-popup-close");
    if (close) close.closest(".call-popup").remove();
  });
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    regions("*").forEach(function (region) {
      var every = parseInt(region.dataset.liveEvery || "0", 10);
      var id = region.id;
      if (every > 0) setInterval(function () { var r = document.getElementById(id); if (r) reload(r); }, every);
    });
    if (document.body.dataset.live) connect(document.body.dataset.live);
    if (document.querySelector("[data-live-sound]")) {
      // Browsers start sound only after a click on the page: offer the button before the first emergency.
      var context = audioContext();
      if (context && context.state === "suspended") showSoundButton();
    }
  });
  document.addEventListener("htmx:afterSwap", tick);
})();
