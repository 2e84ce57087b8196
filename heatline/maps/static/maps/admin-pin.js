/* Admin: set a station's, community's or building's 经度/纬度 by dragging a pin (or clicking the map).
   WGS84 is stored; no tiles (the utility's own buildings are drawn as dots around the pin). */
(function () {
  "use strict";
  function start() {
    var lat = document.getElementById("id_lat"), lon = document.getElementById("id_lon");
    if (!lat || !lon || typeof L === "undefined") return;
    var row = lon.closest(".form-row") || lon.parentNode;
    var node = document.createElement("div");
    node.id = "admin-pin-map";
    node.style.cssText = "height:320px;max-width:640px;margin:.5rem 0 1rem;border:1px solid #ccc;background:#eef1f4";
    row.parentNode.insertBefore(node, row.nextSibling);
    var here = lat.value && lon.value ? [parseFloat(lat.value), parseFloat(lon.value)] : [50.25, 127.5];
    var map = L.map(node, { maxZoom: 19 }).setView(here, lat.value ? 17 : 13);
    var pin = L.marker(here, { draggable: true }).addTo(map);
    function put(latlng) {
      pin.setLatLng(latlng);
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
    }
    pin.on("dragend", function () { put(pin.getLatLng()); });
    map.on("click", function (e) { put(e.latlng); });
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function () {
        if (lat.value && lon.value) { pin.setLatLng([parseFloat(lat.value), parseFloat(lon.value)]); map.panTo(pin.getLatLng()); }
      });
    });
    var around = "/api/v1/map/buildings?bbox=";
    function dots() {
      var b = map.getBounds();
      fetch(around + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(","), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { features: [] }; })
        .then(function (data) {
          data.features.forEach(function (f) {
            var c = f.geometry.coordinates;
            L.circleMarker([c[1], c[0]], { radius: 3, color: "#8a96a3", weight: 1, fillOpacity: 0.8 }).bindTooltip(f.properties.label).addTo(map);
          });
        });
    }
    map.on("moveend", dots);
    dots();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
