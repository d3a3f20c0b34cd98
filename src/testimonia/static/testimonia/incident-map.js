// The incident map: bundled boundaries as the base map (offline), an optional tile layer when
// TESTIMONIA_MAP_TILES is set, and the filtered incidents as markers with links to them.
"use strict";
document.addEventListener("DOMContentLoaded", async () => {
  const el = document.getElementById("incident-map");
  if (!el || typeof L === "undefined") return;
  const status = document.getElementById("map-status");
  status.textContent = el.dataset.statusLoading;
  const map = L.map(el).setView([31.9, 35.0], 8);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map);
  }
  const fetchJson = (url) => fetch(url, { credentials: "same-origin" }).then((r) => {
    if (!r.ok) throw new Error(r.status);
    return r.json();
  });
  const style = (weight, color, fill) => ({ weight, color, fillColor: fill, fillOpacity: 0.15 });
  const [countries, adm1, adm2, incidents] = await Promise.all([
    fetchJson(el.dataset.countries), fetchJson(el.dataset.adm1),
    fetchJson(el.dataset.adm2), fetchJson(el.dataset.incidents),
  ]);
  const base = L.layerGroup([
    L.geoJSON(countries, { style: { weight: 1, color: "#888", fillColor: "#f4f4f0", fillOpacity: 1 } }),
    L.geoJSON(adm2, {
      style: style(1, "#5a6b8a", "#e8edf5"),
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.adm2_name_en || ""),
    }),
    L.geoJSON(adm1, { style: { weight: 2, color: "#34425e", fill: false } }),
  ]).addTo(map);
  // SVG markers are elements (accessible, testable); past a thousand, a canvas keeps it fast.
  const renderer = incidents.features.length > 1000 ? L.canvas() : L.svg();
  const markers = L.geoJSON(incidents, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, {
      renderer, radius: 6, weight: 1, color: "#7a1f1f", fillColor: "#c0392b", fillOpacity: 0.8,
    }),
    onEachFeature: (f, layer) => {
      const link = document.createElement("a");
      link.href = f.properties.url;
      link.textContent = f.properties.title;  // text, never HTML: titles are user input
      link.dir = "auto";
      const box = document.createElement("div");
      box.append(link, document.createElement("br"), f.properties.date || "");
      layer.bindPopup(box);
    },
  }).addTo(map);
  const overlays = {};
  overlays[el.dataset.labelBoundaries] = base;
  overlays[el.dataset.labelIncidents] = markers;
  L.control.layers(null, overlays).addTo(map);
  if (incidents.features.length) map.fitBounds(markers.getBounds(), { maxZoom: 12, padding: [20, 20] });
  status.textContent = `${incidents.features.length} ${el.dataset.statusShown}`;
  el.dataset.ready = String(incidents.features.length);
});
