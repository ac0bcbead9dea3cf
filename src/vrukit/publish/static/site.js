/* vrukit SNA map: draws the published area (or hexagon) layer with Leaflet, styled by the
   class or category the site computed, and switches layers from the radio buttons. The data
   arrive as script files (data/*.js), so the site also works opened from disk. */
(function () {
  "use strict";
  var node = document.getElementById("map-config");
  var el = document.getElementById("map");
  if (!node || !el || !window.L || !window.VRUKIT) { return; }
  var cfg = JSON.parse(node.textContent);
  var fmt = new Intl.NumberFormat(cfg.lang === "ur" ? "ur-PK" : cfg.lang, { maximumFractionDigits: 1 });
  var map = L.map(el, { preferCanvas: true, zoomSnap: 0.25, attributionControl: true });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("police.uk · ONS · OS");
  var layers = {};
  var current = null;
  var focus = {};
  cfg.focus.forEach(function (c) { focus[c] = true; });

  function colour(layer, props) {
    var v = props[layer.prop];
    if (layer.kind === "class") {
      return v === null || v === undefined || v < 0 ? layer.missing : layer.colours[v];
    }
    return layer.colours[v] || layer.missing;
  }

  function known(v) { return v !== null && v !== undefined; }

  /* "69.4 (1.2 times the region's)": a figure with its scale, where the region's is known. */
  function scaled(v, region) {
    var text = fmt.format(v);
    if (known(region) && region > 0) {
      var x = new Intl.NumberFormat(fmt.resolvedOptions().locale, { maximumFractionDigits: 1 });
      text += " (" + cfg.labels.times.replace("{x}", x.format(v / region)) + ")";
    }
    return text;
  }

  /* Built as DOM nodes, never as HTML: names come from data files. */
  function popup(props) {
    var box = document.createElement("div");
    var l = cfg.labels, sc = cfg.scale || {};
    var title = document.createElement("strong");
    title.textContent = props.name || props.code;
    box.appendChild(title);
    var lines = [];
    if (props.la) { lines.push(props.la); }
    if (props.count !== undefined) { lines.push(l.count + ": " + props.count); }
    if (known(props.rate)) { lines.push(l.rate + ": " + scaled(props.rate, sc.rate)); }
    if (known(props.harm)) { lines.push(l.harm + ": " + scaled(props.harm, sc.harm)); }
    if (known(props.per_km2)) { lines.push(l.per_km2 + ": " + fmt.format(props.per_km2)); }
    if (known(props.rank)) {
      lines.push(l.rank + ": " + (known(sc.ranked) ? l.of.replace("{rank}", fmt.format(props.rank))
        .replace("{n}", fmt.format(sc.ranked)) : fmt.format(props.rank)));
    }
    lines.forEach(function (text) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(text));
    });
    return box;
  }

  function build(layer) {
    var data = window.VRUKIT[layer.source];
    var hasFocus = cfg.focus.length > 0;
    return L.geoJSON(data, {
      filter: function (f) { return !hasFocus || layer.source !== "areas" || focus[f.properties.code]; },
      style: function (f) {
        return { color: "#52606d", weight: 0.4, fillOpacity: 0.85, fillColor: colour(layer, f.properties) };
      },
      onEachFeature: function (f, lyr) { lyr.bindPopup(popup(f.properties)); }
    });
  }

  function show(id) {
    var layer = cfg.layers.filter(function (x) { return x.id === id; })[0];
    if (!layer) { return; }
    if (current) { map.removeLayer(current); }
    layers[id] = layers[id] || build(layer);
    current = layers[id].addTo(map);
    document.querySelectorAll(".legend").forEach(function (d) {
      d.hidden = d.getAttribute("data-layer") !== id;
    });
  }

  show(cfg.layers[0].id);
  map.fitBounds(current.getBounds(), { padding: [8, 8] });
  document.querySelectorAll('input[name="layer"]').forEach(function (input) {
    input.addEventListener("change", function () { if (input.checked) { show(input.value); } });
  });
})();
