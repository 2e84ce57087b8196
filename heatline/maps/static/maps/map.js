/* Heatline's map (issue 21): Leaflet, vendored. The data comes from /api/v1/map/… as WGS84 GeoJSON, scoped
   on the server. Two modes: the overview page (#map, layers and filters) and the incident form (#incident-map:
   draw the affected area or pick buildings; hidden inputs carry them to the form). */
(function () {
  "use strict";

  var configNode = document.getElementById("map-config");
  if (!configNode || typeof L === "undefined") return;
  var cfg = JSON.parse(configNode.textContent);
  var labels = cfg.labels;

  // GCJ-02 for tiles drawn in it (AMap, Tencent); the same formulas as heatline/maps/geo.py (tested there).
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lon, lat) { return !(lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271); }
  function shiftLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }
  function shiftLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }
  function gcjOffset(lon, lat) {
    var dlat = shiftLat(lon - 105, lat - 35), dlon = shiftLon(lon - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sq = Math.sqrt(magic);
    dlat = (dlat * 180) / ((A * (1 - EE)) / (magic * sq) * Math.PI);
    dlon = (dlon * 180) / (A / sq * Math.cos(rad) * Math.PI);
    return [dlon, dlat];
  }
  var gcj = cfg.tiles.url && cfg.tiles.datum === "gcj02";
  // [lon, lat] WGS84 → Leaflet LatLng on the base map, and back.
  function display(lon, lat) {
    if (gcj && !outOfChina(lon, lat)) { var d = gcjOffset(lon, lat); return L.latLng(lat + d[1], lon + d[0]); }
    return L.latLng(lat, lon);
  }
  function stored(latlng) {
    var lon = latlng.lng, lat = latlng.lat;
    if (gcj && !outOfChina(lon, lat)) {
      var d = gcjOffset(lon, lat), w = [lon - d[0], lat - d[1]];
      for (var i = 0; i < 3; i++) { var f = gcjOffset(w[0], w[1]); w = [w[0] + (lon - (w[0] + f[0])), w[1] + (lat - (w[1] + f[1]))]; }
      return w;
    }
    return [lon, lat];
  }
  window.heatlineGeo = { display: display, stored: stored };

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function fetchJson(url, signal) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, signal: signal })
      .then(function (r) { if (!r.ok) throw new Error(url + " " + r.status); return r.json(); });
  }
  function bboxParam(map) {
    var b = map.getBounds(), sw = stored(b.getSouthWest()), ne = stored(b.getNorthEast());
    return [sw[0], sw[1], ne[0], ne[1]].map(function (v) { return v.toFixed(6); }).join(",");
  }
  function newMap(node) {
    var map = L.map(node, { preferCanvas: true, zoomSnap: 0.5, maxZoom: 19 });
    if (cfg.tiles.url) {
      L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution, subdomains: cfg.tiles.subdomains, maxZoom: 18 }).addTo(map);
    } else {
      map.attributionControl.addAttribution("Heatline · " + esc(document.title.split(" · ")[0]));
    }
    L.control.scale({ imperial: false }).addTo(map);
    if (cfg.extent) {
      var sw = display(cfg.extent[0][1], cfg.extent[0][0]), ne = display(cfg.extent[1][1], cfg.extent[1][0]);
      map.fitBounds(L.latLngBounds(sw, ne), { padding: [20, 20], maxZoom: 17 });
    } else {
      map.setView(display(cfg.center[1], cfg.center[0]), 13);
    }
    return map;
  }
  var COLORS = { late: "#d62728", soon: "#ff9f1c", ok: "#2ca02c", none: "#7f7f7f" };

  function buildingsLayer(data, onClick) {
    var group = L.layerGroup();
    data.features.forEach(function (f) {
      var c = f.geometry.coordinates;
      var marker = L.circleMarker(display(c[0], c[1]), {
        radius: 3, color: "#8a96a3", weight: 1, fillColor: "#c9d1d9", fillOpacity: 0.9, className: "map-building",
      });
      marker.bindTooltip(esc(f.properties.label), { direction: "top" });
      marker.feature = f;
      if (onClick) marker.on("click", function () { onClick(f, marker); });
      group.addLayer(marker);
    });
    return group;
  }

  // ---- the overview page ----------------------------------------------------------------------------
  function overview(node) {
    var map = newMap(node);
    var filters = document.getElementById("map-filters");
    var layers = {}, counts = {}, controllers = {};
    var heatData = null, heatLayer = null;
    var heatDay = document.getElementById("map-heat-day"), heatSeason = document.getElementById("map-heat-season");
    var heatLabel = document.getElementById("map-heat-label"), heatControls = document.getElementById("map-heat-controls");
    window.heatlineMap = { map: map, layers: layers, counts: counts };

    function setCount(name, n) {
      counts[name] = n;
      var el = document.getElementById("map-count-" + name);
      if (el) el.textContent = n;
    }
    function requestsLayer(data) {
      var group = L.layerGroup();
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties, at = display(c[0], c[1]);
        if (p.cluster) {
          var size = Math.round(24 + Math.min(28, Math.log(p.count) * 5));
          var icon = L.divIcon({
            html: "<span>" + p.count + "</span>", className: "map-cluster" + (p.late * 5 >= p.count ? " has-late" : ""),
            iconSize: [size, size],
          });
          var m = L.marker(at, { icon: icon, title: p.count + labels.requests });
          m.on("click", function () { map.setView(at, Math.min(map.getZoom() + 2, 19)); });
          m.bindTooltip(p.count + labels.requests + " · " + labels.emergency + " " + p.emergency + " · " + labels.late + " " + p.late);
          group.addLayer(m);
          return;
        }
        var emergency = p.kind === "emergency";
        var marker = L.circleMarker(at, {
          radius: emergency ? 8 : 6, color: emergency ? "#111" : "#fff", weight: emergency ? 3 : 1.5,
          fillColor: COLORS[p.clock] || COLORS.none, fillOpacity: 0.95, className: "map-request",
        });
        marker.bindPopup(
          '<dl class="map-popup"><dt><a href="' + esc(p.url) + '">' + esc(p.number) + "</a></dt><dd>" +
          esc(p.category) + " · " + esc(emergency ? labels.emergency : labels.routine) + "</dd><dd>" +
          esc(labels[p.clock] || "") + "</dd><dd>" + esc(p.address) + "</dd></dl>"
        );
        group.addLayer(marker);
      });
      setCount("requests", data.total);
      return group;
    }
    function watchLayer(data) {
      var group = L.layerGroup();
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties;
        var marker = L.circleMarker(display(c[0], c[1]), {
          radius: 5, color: p.visited ? "#2ca02c" : "#1f77b4", weight: 2,
          fillColor: p.visited ? "#2ca02c" : "#ffffff", fillOpacity: p.visited ? 0.8 : 0.6, className: "map-watch",
        });
        marker.bindPopup('<a href="' + esc(p.url) + '">' + esc(p.address) + "</a><br>" +
          esc(p.visited ? labels.visited : labels.to_visit) + " · " + esc(p.status_label));
        group.addLayer(marker);
      });
      setCount("watchlist", data.total);
      return group;
    }
    function hazardLayer(data) {
      var group = L.layerGroup();
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties;
        var circle = L.circle(display(c[0], c[1]), {
          radius: p.level === "community" ? 160 : 45, color: "#b03a2e", weight: 2, dashArray: "4 3",
          fillColor: "#e74c3c", fillOpacity: 0.25, className: "map-hazard",
        });
        circle.bindPopup('<a href="' + esc(p.url) + '">' + esc(p.label) + "</a><br>" + p.households + labels.households + " · " + p.requests + labels.requests);
        group.addLayer(circle);
      });
      setCount("hazard_areas", data.total);
      return group;
    }
    function incidentLayer(data) {
      var group = L.layerGroup();
      data.features.forEach(function (f) {
        var p = f.properties, popup = '<a href="' + esc(p.url) + '">' + esc(p.number) + " " + esc(p.title) + "</a><br>" +
          esc(p.state) + " · " + p.buildings + labels.buildings + " · " + p.households + labels.households;
        var planned = p.kind === "planned", color = planned ? "#6c3483" : "#c0392b";
        f.geometry.geometries.forEach(function (g) {
          if (g.type === "Polygon") {
            var ring = g.coordinates[0].map(function (c) { return display(c[0], c[1]); });
            group.addLayer(L.polygon(ring, { color: color, weight: 2, dashArray: "6 4", fillOpacity: 0.08, className: "map-incident-area" }).bindPopup(popup));
          } else {
            g.coordinates.forEach(function (c) {
              group.addLayer(L.circleMarker(display(c[0], c[1]), {
                radius: 5, color: color, weight: 2, fillColor: color, fillOpacity: 0.5, className: "map-incident",
              }).bindPopup(popup));
            });
          }
        });
      });
      setCount("incidents", data.total);
      return group;
    }
    function pipeLayer(data) {
      var group = L.layerGroup();
      data.features.forEach(function (f) {
        var p = f.properties;
        var line = L.polyline(f.geometry.coordinates.map(function (c) { return display(c[0], c[1]); }), {
          color: p.company_owned ? "#1f3b73" : "#888", weight: Math.max(2, Math.min(7, p.diameter_mm / 60)),
          dashArray: p.company_owned ? null : "6 5", opacity: 0.8, className: "map-pipe",
        });
        line.bindTooltip(esc(p.code + " " + p.name) + " · DN" + p.diameter_mm + " · " +
          esc(p.company_owned ? labels.company : (p.owner_name || labels.not_company)));
        group.addLayer(line);
      });
      setCount("pipes", data.total);
      return group;
    }
    function crewLayer(data) {
      var group = L.layerGroup();
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates, p = f.properties;
        var icon = L.divIcon({ html: esc(p.name), className: "map-crew", iconSize: null });
        group.addLayer(L.marker(display(c[0], c[1]), { icon: icon, keyboard: false })
          .bindPopup(esc(p.name) + " · " + esc(p.team) + "<br>" + esc(p.action) + " " + esc(p.request) + "<br>" + esc(p.at.slice(0, 16).replace("T", " "))));
      });
      setCount("crews", data.total);
      return group;
    }
    function baseLayer(data) { setCount("buildings", data.total); return buildingsLayer(data); }

    function heatWindow() {
      if (!heatData) return [];
      var all = heatSeason.checked, day = parseInt(heatDay.value, 10), points = [];
      var start = new Date(heatData.start + "T00:00:00");
      var shown = new Date(start.getTime() + day * 86400000);
      heatLabel.textContent = all ? labels.season : shown.toISOString().slice(0, 10) + " (7d)";
      var total = 0;
      heatData.points.forEach(function (p) {
        if (all || (p[2] <= day && p[2] > day - 7)) { var at = display(p[1], p[0]); points.push([at.lat, at.lng, p[3]]); total += p[3]; }
      });
      setCount("heat", total);
      return points;
    }
    function heatRedraw() { if (heatLayer) heatLayer.setLatLngs(heatWindow()); }

    var DEFS = {
      buildings: { url: cfg.api.buildings, bbox: true, build: baseLayer, pane: "base" },
      pipes: { url: cfg.api.pipes, bbox: true, build: pipeLayer },
      hazard_areas: { url: cfg.api.hazard_areas, bbox: true, build: hazardLayer },
      incidents: { url: cfg.api.incidents, bbox: true, build: incidentLayer },
      watchlist: { url: cfg.api.watchlist, bbox: true, build: watchLayer },
      requests: { url: cfg.api.requests, bbox: true, build: requestsLayer, filters: true },
      crews: { url: cfg.api.crews, bbox: false, build: crewLayer },
    };
    var ORDER = ["buildings", "pipes", "hazard_areas", "incidents", "watchlist", "requests", "crews"];

    function checked(name) {
      var box = document.querySelector('input[data-layer="' + name + '"]');
      return box && box.checked;
    }
    function load(name) {
      var def = DEFS[name];
      if (!def) return;
      if (controllers[name]) controllers[name].abort();
      var controller = new AbortController();
      controllers[name] = controller;
      var params = new URLSearchParams();
      if (def.bbox) params.set("bbox", bboxParam(map));
      if (def.filters && filters) {
        new FormData(filters).forEach(function (value, key) { if (value !== "") params.set(key, value); });
      }
      node.dataset["loading_" + name] = "1";
      return fetchJson(def.url + "?" + params.toString(), controller.signal).then(function (data) {
        if (layers[name]) map.removeLayer(layers[name]);
        layers[name] = def.build(data);
        if (checked(name)) layers[name].addTo(map);
        // Keep the drawing order: base buildings under everything, requests and crews on top.
        ORDER.forEach(function (n) { if (layers[n] && map.hasLayer(layers[n]) && layers[n].eachLayer) layers[n].eachLayer(function (l) { if (l.bringToFront) l.bringToFront(); }); });
        delete node.dataset["loading_" + name];
        node.dataset.loaded = (node.dataset.loaded || "").split(" ").concat([name]).filter(function (v, i, a) { return v && a.indexOf(v) === i; }).join(" ");
        // First paint: every layer on at load drawn (the next frame), in ms since navigation (bench/map.py).
        if (!node.dataset.paintedAt && initial.every(function (n) { return node.dataset.loaded.split(" ").indexOf(n) >= 0; })) {
          requestAnimationFrame(function () { node.dataset.paintedAt = String(Math.round(performance.now())); });
        }
      }).catch(function (error) { if (error.name !== "AbortError") { console.error(error); delete node.dataset["loading_" + name]; } });
    }
    function loadHeat() {
      if (heatData) { heatControls.hidden = false; heatLayer.addTo(map); heatRedraw(); return; }
      fetchJson(cfg.api.heat).then(function (data) {
        heatData = data;
        heatDay.max = String(Math.max(0, data.days - 1));
        var today = Math.floor((Date.now() - new Date(data.start + "T00:00:00").getTime()) / 86400000);
        heatDay.value = String(Math.max(0, Math.min(data.days - 1, today)));
        heatLayer = L.heatLayer([], { radius: 18, blur: 15, maxZoom: 16, minOpacity: 0.3 });
        if (checked("heat")) { heatControls.hidden = false; heatLayer.addTo(map); heatRedraw(); }
      }).catch(function () { setCount("heat", 0); });
    }
    function refresh() {
      ORDER.forEach(function (name) { if (checked(name) && DEFS[name].bbox) load(name); });
    }
    var timer = null;
    map.on("moveend", function () { clearTimeout(timer); timer = setTimeout(refresh, 150); });
    document.querySelectorAll("input[data-layer]").forEach(function (box) {
      box.addEventListener("change", function () {
        var name = box.dataset.layer;
        if (name === "heat") {
          if (box.checked) loadHeat(); else { heatControls.hidden = true; if (heatLayer) map.removeLayer(heatLayer); }
          return;
        }
        if (box.checked) load(name); else if (layers[name]) map.removeLayer(layers[name]);
      });
    });
    if (heatDay) heatDay.addEventListener("input", heatRedraw);
    if (heatSeason) heatSeason.addEventListener("change", heatRedraw);
    if (filters) {
      filters.addEventListener("change", function () { load("requests"); });
      filters.addEventListener("submit", function (e) { e.preventDefault(); load("requests"); });
    }
    var initial = ORDER.filter(checked);
    initial.forEach(load);
    if (checked("heat")) loadHeat();
  }

  // ---- the incident form: draw the area or pick buildings -------------------------------------------
  function incidentForm(node) {
    var map = newMap(node);
    var areaInput = document.getElementById(node.dataset.areaInput);
    var pickedInput = document.getElementById(node.dataset.buildingsInput);
    var status = document.getElementById("incident-map-status");
    var drawButton = document.getElementById("incident-map-draw"), clearButton = document.getElementById("incident-map-clear");
    var picked = {}, markers = {}, drawing = false, vertices = [], shape = null, base = null;
    window.heatlineIncidentMap = { map: map, picked: picked };

    function report() {
      var ids = Object.keys(picked);
      pickedInput.value = ids.join(",");
      var inside = 0;
      if (shape && !drawing) {
        var ring = vertices.map(function (v) { return [v.lng, v.lat]; });
        Object.keys(markers).forEach(function (id) { if (inRing(markers[id].getLatLng(), ring)) inside += 1; });
      }
      status.textContent = labels.picked + ": " + ids.length + labels.buildings + (shape ? " · " + labels.inside + ": " + inside + labels.buildings : "");
      node.dataset.picked = String(ids.length);
      node.dataset.inside = String(inside);
    }
    function inRing(latlng, ring) {
      var x = latlng.lng, y = latlng.lat, inside = false;
      for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
        if ((yi > y) !== (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) inside = !inside;
      }
      return inside;
    }
    function style(marker, on) {
      marker.setStyle(on ? { radius: 6, color: "#c0392b", fillColor: "#e74c3c", weight: 2 } : { radius: 3, color: "#8a96a3", fillColor: "#c9d1d9", weight: 1 });
    }
    function toggle(f, marker) {
      if (drawing) return;
      var id = String(f.properties.id);
      if (picked[id]) delete picked[id]; else picked[id] = true;
      style(marker, !!picked[id]);
      report();
    }
    function loadBuildings() {
      fetchJson(cfg.api.buildings + "?bbox=" + bboxParam(map)).then(function (data) {
        if (base) map.removeLayer(base);
        markers = {};
        base = buildingsLayer(data, toggle).addTo(map);
        base.eachLayer(function (m) { var id = String(m.feature.properties.id); markers[id] = m; if (picked[id]) style(m, true); });
        node.dataset.buildings = String(data.total);
        report();
      });
    }
    function finish() {
      drawing = false;
      map.doubleClickZoom.enable();
      node.classList.remove("drawing");
      // The double click that ends the drawing also clicked twice: drop the repeated last vertices.
      while (vertices.length > 1 && vertices[vertices.length - 1].distanceTo(vertices[vertices.length - 2]) < 1) vertices.pop();
      if (shape) shape.setLatLngs(vertices);
      if (vertices.length < 3) { clear(); return; }
      areaInput.value = JSON.stringify({ type: "Polygon", coordinates: [vertices.map(function (v) { return stored(v); }).concat([stored(vertices[0])])] });
      report();
    }
    function clear() {
      if (shape) map.removeLayer(shape);
      shape = null; vertices = []; areaInput.value = "";
      report();
    }
    drawButton.addEventListener("click", function () {
      clear();
      drawing = true;
      map.doubleClickZoom.disable();
      node.classList.add("drawing");
      status.textContent = labels.draw_hint;
    });
    clearButton.addEventListener("click", function () {
      clear();
      Object.keys(picked).forEach(function (id) { delete picked[id]; if (markers[id]) style(markers[id], false); });
      report();
    });
    map.on("click", function (e) {
      if (!drawing) return;
      vertices.push(e.latlng);
      if (shape) shape.setLatLngs(vertices); else shape = L.polygon(vertices, { color: "#c0392b", weight: 2, dashArray: "6 4", fillOpacity: 0.1 }).addTo(map);
    });
    map.on("dblclick", function (e) { if (drawing) { L.DomEvent.stop(e); finish(); } });
    map.on("moveend", loadBuildings);
    loadBuildings();
  }

  function start() {
    var node = document.getElementById("map");
    if (node) overview(node);
    var form = document.getElementById("incident-map");
    if (form) incidentForm(form);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
