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
  window.VRUKIT.map = map; /* for the page's own tests: where the map is looking */
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

  /* The map files carry each property as one list and each ring as whole-number steps from
     the vertex before (vrukit.publish.site.compact): back to GeoJSON for Leaflet. */
  function expand(c) {
    if (!c || c.type === "FeatureCollection") { return c; }
    var keys = Object.keys(c.props);
    return { type: "FeatureCollection", features: c.shapes.map(function (polygons, i) {
      var props = {};
      keys.forEach(function (k) { props[k] = c.props[k][i]; });
      var coords = polygons.map(function (rings) {
        return rings.map(function (r) {
          var out = [], x = 0, y = 0;
          for (var j = 0; j < r.length; j += 2) {
            x += r[j]; y += r[j + 1];
            out.push([x * c.step, y * c.step]);
          }
          return out;
        });
      });
      return { type: "Feature", properties: props,
               geometry: { type: "MultiPolygon", coordinates: coords } };
    }) };
  }

  var expanded = {};
  function build(layer) {
    expanded[layer.source] = expanded[layer.source] || expand(window.VRUKIT[layer.source]);
    var data = expanded[layer.source];
    var hasFocus = cfg.focus.length > 0;
    return L.geoJSON(data, {
      filter: function (f) { return !hasFocus || layer.source !== "areas" || focus[f.properties.code]; },
      style: function (f) {
        return { color: "#52606d", weight: 0.4, fillOpacity: 0.85, fillColor: colour(layer, f.properties) };
      },
      onEachFeature: function (f, lyr) { lyr.bindPopup(popup(f.properties)); }
    });
  }

  /* A layer's data arrive as a script: the page's areas with the page, the hexagons only when a
     reader first picks a hexagon layer (they would double the page's weight). */
  function withSource(name, done) {
    if (window.VRUKIT[name]) { done(); return; }
    var tag = document.createElement("script");
    tag.src = (el.getAttribute("data-root") || "") + "data/" + cfg.sources[name];
    tag.onload = done;
    document.body.appendChild(tag);
  }

  function show(id) {
    var layer = cfg.layers.filter(function (x) { return x.id === id; })[0];
    if (!layer) { return; }
    withSource(layer.source, function () {
      if (current) { map.removeLayer(current); }
      layers[id] = layers[id] || build(layer);
      current = layers[id].addTo(map);
      document.querySelectorAll(".legend").forEach(function (d) {
        d.hidden = d.getAttribute("data-layer") !== id;
      });
    });
  }

  /* Where the reader is: a tile layer when the site names one (published online), and always
     the local authorities' outlines and names, drawn over the areas. */
  if (cfg.tiles) {
    L.tileLayer(cfg.tiles.url, { attribution: cfg.tiles.attribution, maxZoom: 19 }).addTo(map);
  }
  function drawContext() {
    var c = window.VRUKIT.areas && window.VRUKIT.areas.context;
    if (!c) { return; }
    map.createPane("context");
    map.getPane("context").style.zIndex = 450;
    map.getPane("context").style.pointerEvents = "none";
    var fc = expand(c);
    L.geoJSON(fc, { pane: "context", interactive: false, renderer: L.svg({ pane: "context" }),
                    style: { color: "#1f2933", weight: 2, fill: false } }).addTo(map);
    fc.features.forEach(function (f) {
      var name = document.createElement("span");
      name.textContent = f.properties.name;
      L.tooltip({ permanent: true, direction: "center", className: "la-label" })
        .setLatLng([f.properties.at[1], f.properties.at[0]]).setContent(name).addTo(map);
    });
  }

  show(cfg.layers[0].id);
  drawContext();

  /* Find a place by name: up to eight areas or local authorities whose names hold what is
     typed, each a button that frames it on the map and opens its figures. */
  var find = document.getElementById("map-find");
  var found = document.getElementById("map-found");
  function places() {
    var out = [];
    var areas = expanded.areas || expand(window.VRUKIT.areas);
    (areas ? areas.features : []).forEach(function (f) {
      out.push({ name: f.properties.name || f.properties.code, feature: f });
    });
    var c = window.VRUKIT.areas && window.VRUKIT.areas.context;
    (c ? expand(c).features : []).forEach(function (f) {
      out.push({ name: f.properties.name, feature: f, whole: true });
    });
    /* wards (when the site was given their boundaries): each framed by its extent */
    var wards = (window.VRUKIT.areas && window.VRUKIT.areas.wards) || [];
    wards.forEach(function (w) {
      out.push({ name: w.name + " (" + (cfg.labels.ward || "ward") + ")", box: w.box, whole: true });
    });
    return out;
  }
  var all = null;
  function go(p) {
    if (p.box) {
      map.fitBounds([[p.box[1], p.box[0]], [p.box[3], p.box[2]]], { padding: [16, 16], maxZoom: 15, animate: false });
      return;
    }
    var bounds = L.geoJSON(p.feature).getBounds();
    map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15, animate: false });
    if (!p.whole) { L.popup().setLatLng(bounds.getCenter()).setContent(popup(p.feature.properties)).openOn(map); }
  }
  /* A full postcode: its district's file (data/map/pc/<district>.js, loaded the first time),
     then the postcode's position, framed with its area's figures. */
  var POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})$/;
  function byPostcode(text) {
    var m = POSTCODE.exec(text.toUpperCase().replace(/\s+/g, " ").trim());
    if (!cfg.postcodes || !m) { return false; }
    var district = m[1], code = m[1] + m[2];
    function answer() {
      var hit = ((window.VRUKIT.pc || {})[district] || {})[code];
      found.textContent = "";
      var li = document.createElement("li");
      if (!hit) { li.textContent = cfg.labels.no_postcode; found.appendChild(li); return; }
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = m[1] + " " + m[2];
      b.addEventListener("click", function () {
        map.setView([hit[0], hit[1]], 15, { animate: false });
        var areas = expanded.areas || expand(window.VRUKIT.areas);
        var f = (areas ? areas.features : []).filter(function (x) { return x.properties.code === hit[2]; })[0];
        if (f) { L.popup().setLatLng([hit[0], hit[1]]).setContent(popup(f.properties)).openOn(map); }
      });
      li.appendChild(b);
      found.appendChild(li);
    }
    if ((window.VRUKIT.pc || {})[district]) { answer(); return true; }
    var tag = document.createElement("script");
    tag.src = (el.getAttribute("data-root") || "") + "data/map/pc/" + district + ".js";
    tag.onload = answer;
    tag.onerror = answer;
    document.body.appendChild(tag);
    return true;
  }
  if (find && found) {
    find.addEventListener("input", function () {
      all = all || places();
      if (byPostcode(find.value)) { return; }
      var q = find.value.trim().toLocaleLowerCase(cfg.lang);
      found.textContent = "";
      if (q.length < 2) { return; }
      all.filter(function (p) { return p.name.toLocaleLowerCase(cfg.lang).indexOf(q) >= 0; })
        .slice(0, 8).forEach(function (p) {
          var li = document.createElement("li");
          var b = document.createElement("button");
          b.type = "button";
          b.textContent = p.name;
          b.addEventListener("click", function () { go(p); });
          li.appendChild(b);
          found.appendChild(li);
        });
    });
  }
  if (current) { map.fitBounds(current.getBounds(), { padding: [8, 8] }); }
  document.querySelectorAll('input[name="layer"]').forEach(function (input) {
    input.addEventListener("change", function () { if (input.checked) { show(input.value); } });
  });
})();

/* Tables marked "sortable": a column's button sorts by it (numbers by their data-sort value,
   text by the page's language), again to reverse; the search box above keeps the rows whose
   text holds what is typed, and says how many are shown. Without script, the table is whole. */
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var heads = table.querySelectorAll("thead th");
    var collator = new Intl.Collator(lang, { numeric: true, sensitivity: "base" });
    function key(row, i) {
      var cell = row.cells[i];
      var raw = cell.getAttribute("data-sort");
      return raw === null ? cell.textContent.trim() : (raw === "" ? null : parseFloat(raw));
    }
    heads.forEach(function (th, i) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var up = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = key(a, i), y = key(b, i);
          if (x === null || y === null) { return (x === null) - (y === null); }
          var c = typeof x === "number" ? x - y : collator.compare(x, y);
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    var box = document.querySelector('input[data-filter="' + table.id + '"]');
    var count = document.getElementById(table.id + "-count");
    function filter() {
      var q = (box ? box.value : "").trim().toLocaleLowerCase(lang);
      var shown = 0;
      rows.forEach(function (r) {
        var keep = !q || r.textContent.toLocaleLowerCase(lang).indexOf(q) >= 0;
        r.hidden = !keep;
        shown += keep ? 1 : 0;
      });
      if (count) {
        count.textContent = count.getAttribute("data-template")
          .replace("{shown}", shown.toLocaleString(lang)).replace("{total}", rows.length.toLocaleString(lang));
      }
    }
    if (box) { box.addEventListener("input", filter); }
    filter();
  });
})();
