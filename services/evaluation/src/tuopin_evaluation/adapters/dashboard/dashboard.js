// Tuopin evaluation dashboard (精准扶贫考评看板).
// Reads this service's JSON endpoints and draws the page for the viewer's own region (the
// province for its staff, a county for a county officer, …): the summary, the table of the
// regions one level down, an SVG bar chart of incidence and the published assessments.
// Regions are named from the shared region table (dashboard/regions.json). The loans panel
// is the loans service's own figures, fetched from loans (dashboard/config says where)
// with the viewer's token: evaluation neither holds nor recomputes them.
// No libraries and nothing inline: the page runs under a strict Content-Security-Policy.
// Text goes in through textContent only, never as markup.
"use strict";

(() => {
  const PROVINCE = "620000"; // Gansu
  const SVG_NS = "http://www.w3.org/2000/svg";
  const NUMBER = new Intl.NumberFormat("zh-CN");
  const $ = (id) => document.getElementById(id);

  // ---- small helpers ---------------------------------------------------------------------

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    node.append(...children);
    return node;
  }

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Chinese label with its English gloss, as on the static page.
  function bilingual(zh, en) {
    return [`${zh} `, el("span", { lang: "en" }, en)];
  }

  const count = (n) => NUMBER.format(n);

  // A fraction as a decimal string ("0.0133") as a percentage ("1.33%"), exactly: the
  // decimal point moves two places, no floating point. Null stays null.
  function percent(fraction) {
    if (fraction === null || fraction === undefined) return null;
    const match = /^(\d+)(?:\.(\d*))?$/.exec(fraction);
    if (!match) return String(fraction);
    const digits = (match[2] || "").padEnd(4, "0");
    return `${Number(match[1] + digits.slice(0, 2))}.${digits.slice(2)}%`;
  }

  // The same fraction in ten-thousandths (0.0133 → 133), to size the bars.
  function basisPoints(fraction) {
    const match = /^(\d+)(?:\.(\d*))?$/.exec(fraction || "");
    return match ? Number(match[1] + (match[2] || "").padEnd(4, "0").slice(0, 4)) : null;
  }

  function apiUrl(path, params = {}) {
    const url = new URL(path, document.baseURI);
    for (const [name, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, value);
    }
    return url;
  }

  // The caller's bearer token, kept for this tab only: the sign-in page (signin.js) puts
  // it there, or a link hands it over in the URL fragment (…/dashboard#access_token=…, as
  // `make run` prints; never sent to a server). None, or one refused (401): sign in.
  const token = (() => {
    const given = new URLSearchParams(location.hash.slice(1)).get("access_token");
    if (given) {
      sessionStorage.setItem("tuopin-token", given);
      history.replaceState(null, "", location.pathname + location.search);
    }
    return sessionStorage.getItem("tuopin-token");
  })();
  const signIn = () => location.replace(new URL("signin", document.baseURI));

  async function getJSON(path, params) {
    const url = apiUrl(path, params);
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(url, { headers });
    if (response.status === 401) {
      sessionStorage.removeItem("tuopin-token");
      signIn();
    }
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const detail = body && (body.detail || body.title);
      const why = typeof detail === "string" ? detail : JSON.stringify(detail ?? response.statusText);
      throw new Error(`${url.pathname}${url.search}: ${response.status} ${why}`);
    }
    return body;
  }

  // The viewer's region, read from the token's claims to pick what to ask for (the service
  // checks the token; this only spares a county officer a 403 for the whole province).
  // A region prefix (62, 6211, 621121, 9 or 12 digits) becomes a region code.
  function viewerRegion() {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const claims = JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
      const prefix = typeof claims.region === "string" ? claims.region : "";
      if (!/^62\d*$/.test(prefix) || ![2, 4, 6, 9, 12].includes(prefix.length)) return PROVINCE;
      return prefix.length < 6 ? prefix.padEnd(6, "0") : prefix;
    } catch {
      return PROVINCE;
    }
  }

  function levelOf(code) {
    if (code.length === 12) return "village";
    if (code.length === 9) return "township";
    if (code.endsWith("0000")) return "province";
    return code.endsWith("00") ? "city" : "county";
  }
  // Drill-down: the region asked for in the address (?region=…), if it lies within the
  // viewer's own; otherwise their own. The server refuses anything above it anyway.
  const CODE = /^62\d{4}(?:\d{3}(?:\d{3})?)?$/;
  function prefixOf(code) {
    const level = levelOf(code);
    return level === "province" ? code.slice(0, 2) : level === "city" ? code.slice(0, 4) : code;
  }
  const within = (code, scope) => CODE.test(code || "") && code.startsWith(prefixOf(scope));

  // The regions from the viewer's own down to this one (province, city, county, township,
  // village), for the breadcrumb.
  function trail(code, scope) {
    const chain = [`${code.slice(0, 2)}0000`, `${code.slice(0, 4)}00`, code.slice(0, 6), code.slice(0, 9), code.slice(0, 12)];
    const seen = [...new Set(chain.filter((c) => CODE.test(c)))];
    return seen.filter((c) => within(c, scope));
  }

  // The page for a region, keeping the day shown: a plain link, so Back and sharing work.
  function regionHref(code, asOf) {
    const params = new URLSearchParams({ region: code });
    if (asOf) params.set("as_of", asOf);
    return `dashboard?${params}`;
  }

  const BELOW = { province: "county", city: "county", county: "township", township: "village", village: "village" };
  const LISTED = {
    county: ["各县（市、区）", "Counties"],
    township: ["各乡镇", "Townships"],
    village: ["各村", "Villages"],
  };

  // Names from the shared region table (province, cities, counties), then as the rows carry
  // them (villages as registered); a township has none: its code alone.
  let NAMES = {};
  const nameOf = (code, given) => given || NAMES[code] || null;
  const label = (code, given) => {
    const name = nameOf(code, given);
    return name ? [name, " ", el("span", { class: "code" }, code)] : [code];
  };
  const plainLabel = (code, given) => (nameOf(code, given) ? `${nameOf(code, given)} ${code}` : code);

  // Incidence: over the whole population when every village registered one; otherwise
  // over the villages that did, saying how many did not (not a blank for one village).
  const rateOf = (r) => (r ? r.incidence ?? r.incidence_where_known ?? null : null);
  function missingNote(r) {
    const n = r ? r.villages_without_population : 0;
    return n ? bilingual(`（${n} 个村未登记人口，未计入）`, `(${n} village${n > 1 ? "s" : ""} without population left out)`) : [];
  }

  const total = (byYear) => Object.values(byYear || {}).reduce((a, b) => a + b, 0);

  // ---- breadcrumb ------------------------------------------------------------------------

  function renderBreadcrumb(region, scope, asOf, ownRow) {
    const nav = $("breadcrumb");
    const steps = trail(region, scope);
    const items = steps.map((code) => {
      const name = code === region ? nameOf(code, ownRow && ownRow.name) : nameOf(code);
      const text = name ? [name, " ", el("span", { class: "code" }, code)] : [code];
      if (code === region) return el("li", {}, el("span", { "aria-current": "page" }, ...text));
      return el("li", {}, el("a", { href: regionHref(code, asOf), "data-code": code }, ...text));
    });
    nav.querySelector("ol").replaceChildren(...items);
    nav.hidden = steps.length < 2;
  }

  // ---- province summary ------------------------------------------------------------------

  function renderSummary(report, stats, region) {
    const row = report.rows[0];
    const title = nameOf(region, row && row.name) || region;
    $("summary-title").replaceChildren(`${title}概况 `, el("span", { lang: "en" }, region === PROVINCE ? "Province summary" : `Summary of ${region}`));
    $("province-households").textContent = count(row ? row.poor_households : 0);
    $("province-people").textContent = count(row ? row.poor_people : 0);
    $("province-rural").textContent = count(row ? row.rural_population : 0);
    $("province-incidence").textContent = percent(rateOf(row)) || "—";
    $("province-exits").textContent = count(row ? total(row.exits) : 0);
    $("province-returns").textContent = count(row ? total(row.returns) : 0);
    // Loans and training reached, among the registered households (exits included).
    $("province-credit").textContent = count(row ? row.credit_households : 0);
    $("province-certified").textContent = (row && percent(row.certified_coverage)) || "—";
    $("province-trained").textContent = count(row ? row.people_trained : 0);

    const note = $("province-note");
    if (!row) {
      note.replaceChildren(...bilingual("贫困发生率暂无法计算：", "no data yet"));
    } else if (rateOf(row) === null) {
      note.replaceChildren(...bilingual("贫困发生率暂无法计算：", row.incidence_note || ""));
    } else if (row.villages_without_population) {
      const n = row.villages_without_population;
      note.replaceChildren(
        ...bilingual(
          `贫困发生率按已登记农村户籍人口的村计算；${n} 个村未登记人口，未计入。`,
          `Incidence over the villages with a registered rural population; ${n} village${n > 1 ? "s" : ""} without one left out.`,
        ),
      );
    } else {
      note.replaceChildren();
    }
    note.hidden = !note.childNodes.length;

    const register = $("register");
    register.hidden = !stats;
    if (stats) {
      register.replaceChildren(
        ...bilingual(
          `建档立卡（不含已剔除）${count(stats.total_households)} 户、${count(stats.total_people)} 人。`,
          "On the register (removals excluded, exits included).",
        ),
      );
    }
  }

  // ---- county table ----------------------------------------------------------------------

  const COLUMNS = [
    ["地区", "Region", ""],
    ["贫困户", "Poor households", "num"],
    ["贫困人口", "Poor people", "num"],
    ["农村户籍人口", "Rural population", "num"],
    ["贫困发生率", "Incidence", "num"],
  ];

  function headerCell(zh, en, attrs) {
    return el("th", attrs, zh, el("br"), el("span", { lang: "en" }, en));
  }

  function renderCounties(report, province, level, asOf) {
    const [zh, en] = LISTED[level];
    $("counties-title").replaceChildren(`${zh} `, el("span", { lang: "en" }, en));
    const table = $("counties");
    const rows = report.rows;
    const years = [...new Set(rows.flatMap((r) => [...Object.keys(r.exits), ...Object.keys(r.returns)]))].sort();
    const yearCols = years.length ? years : [null];
    const span = String(yearCols.length);

    const top = el("tr");
    const sub = el("tr");
    for (const [zh, en, kind] of COLUMNS) {
      top.append(headerCell(zh, en, { scope: "col", rowspan: years.length ? "2" : "1", class: kind }));
    }
    for (const [zh, en] of [["脱贫户数", "Exits"], ["返贫户数", "Returns"]]) {
      const attrs = years.length ? { scope: "colgroup", colspan: span } : { scope: "col", class: "num" };
      top.append(headerCell(zh, `${en}${years.length ? " by year" : ""}`, attrs));
      for (const year of years) sub.append(el("th", { scope: "col", class: "num" }, year));
    }
    table.tHead.replaceChildren(...(years.length ? [top, sub] : [top]));

    const line = (head, r, attrs = {}) => {
      const tr = el("tr", attrs, head);
      const num = (value) => el("td", { class: "num" }, value);
      tr.append(num(count(r.poor_households)), num(count(r.poor_people)), num(count(r.rural_population)));
      const rate = percent(rateOf(r));
      const cell = num(rate || "—");
      if (rate) cell.append(...(r.villages_without_population ? [el("br"), el("small", {}, ...missingNote(r))] : []));
      if (!rate && r.incidence_note) {
        cell.title = r.incidence_note;
        cell.classList.add("na");
      }
      tr.append(cell);
      for (const byYear of [r.exits, r.returns]) {
        for (const year of yearCols) tr.append(num(count(year ? byYear[year] || 0 : 0)));
      }
      return tr;
    };

    // Each region one level down is a link to its own page (drill-down), unless it is the
    // region itself (a village's page lists the village).
    const sum = province.rows[0];
    const head = (r) => {
      if (sum && r.code === sum.code) return el("th", { scope: "row" }, ...label(r.code, r.name));
      const link = el("a", { href: regionHref(r.code, asOf), class: "drill", "data-code": r.code }, ...label(r.code, r.name));
      return el("th", { scope: "row" }, link);
    };
    const body = rows.map((r) => line(head(r), r, { "data-code": r.code }));
    if (!body.length) {
      const width = String(COLUMNS.length + 2 * yearCols.length);
      body.push(el("tr", {}, el("td", { colspan: width, class: "empty" }, ...bilingual("暂无数据", "No data"))));
    }
    table.tBodies[0].replaceChildren(...body);

    table.tFoot.replaceChildren(
      ...(sum ? [line(el("th", { scope: "row" }, ...(sum.code === PROVINCE ? bilingual("全省", "Province") : label(sum.code, sum.name))), sum, { id: "province-total" })] : []),
    );
  }

  // ---- incidence chart (inline SVG) ------------------------------------------------------

  function niceStep(max) {
    for (const step of [10, 20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000]) {
      if (Math.ceil(max / step) <= 6) return step;
    }
    return 10000;
  }

  function renderChart(rows) {
    const figure = $("chart");
    figure.querySelector("svg, .empty")?.remove();
    if (!rows.length) {
      figure.prepend(el("p", { class: "empty" }, ...bilingual("暂无数据", "No data")));
      return;
    }
    const values = rows.map((r) => basisPoints(rateOf(r)));
    const highest = Math.max(1, ...values.filter((v) => v !== null));
    const step = niceStep(highest);
    const top = Math.ceil(highest / step) * step;

    const W = 960, LABEL = 150, VALUE = 110, BAR = 22, GAP = 10, AXIS = 26;
    const plot = W - LABEL - VALUE;
    const H = AXIS + rows.length * (BAR + GAP) + 4;
    const x = (bp) => LABEL + (bp / top) * plot;

    const chart = svg("svg", {
      id: "chart-svg",
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      role: "img",
      "aria-labelledby": "chart-svg-title chart-svg-desc",
      preserveAspectRatio: "xMinYMin meet",
    });
    chart.append(svg("title", { id: "chart-svg-title" }, "贫困发生率 Poverty incidence"));
    chart.append(
      svg(
        "desc",
        { id: "chart-svg-desc" },
        rows.map((r) => `${plainLabel(r.code, r.name)}: ${percent(rateOf(r)) || "无数据 n/a"}`).join("; "),
      ),
    );

    for (let bp = 0; bp <= top; bp += step) {
      chart.append(svg("line", { class: "grid", x1: x(bp), x2: x(bp), y1: AXIS - 6, y2: H - 4 }));
      chart.append(svg("text", { class: "tick", x: x(bp), y: AXIS - 10, "text-anchor": "middle" }, `${bp / 100}%`));
    }
    rows.forEach((r, i) => {
      const y = AXIS + i * (BAR + GAP);
      const middle = y + BAR / 2;
      const group = svg("g", { class: "bar-row", "data-code": r.code });
      group.append(svg("text", { class: "label", x: LABEL - 8, y: middle, "text-anchor": "end", "dominant-baseline": "central" }, nameOf(r.code, r.name) || r.code));
      const bp = values[i];
      if (bp === null) {
        group.append(svg("text", { class: "na", x: LABEL + 6, y: middle, "dominant-baseline": "central" }, "无数据 n/a"));
      } else {
        const bar = svg("rect", { class: "bar", x: LABEL, y, width: Math.max(x(bp) - LABEL, 0), height: BAR, rx: 2 });
        bar.append(svg("title", {}, `${plainLabel(r.code, r.name)}: ${percent(rateOf(r))}`));
        group.append(bar);
        group.append(svg("text", { class: "value", x: x(bp) + 6, y: middle, "dominant-baseline": "central" }, percent(rateOf(r))));
      }
      chart.append(group);
    });
    chart.append(svg("line", { class: "axis", x1: LABEL, x2: LABEL, y1: AXIS - 6, y2: H - 4 }));
    figure.prepend(chart);
  }

  // ---- trends 2014–2020 (inline SVG) ------------------------------------------------------
  // One roll-up per year end (as_of=YYYY-12-31, or the day shown if earlier) of the region
  // itself: poor people and incidence on that day, the year's exits and returns.

  const YEARS = [2014, 2015, 2016, 2017, 2018, 2019, 2020];

  async function loadTrends(region, asOf) {
    const end = asOf || new Date().toISOString().slice(0, 10);
    const years = YEARS.filter((y) => `${y}-01-01` <= end);
    return Promise.all(
      years.map(async (year) => {
        const day = `${year}-12-31` < end ? `${year}-12-31` : end;
        const report = await getJSON("v1/rollups", { region, level: levelOf(region), as_of: day });
        const row = report.rows[0];
        return {
          year,
          day,
          people: row ? row.poor_people : 0,
          incidence: rateOf(row),
          exits: row ? row.exits[year] || 0 : 0,
          returns: row ? row.returns[year] || 0 : 0,
        };
      }),
    );
  }

  // The seed's yearly fall (≥ 1,000,000 fewer poor people a year), where it applies: the
  // most poor people each target year may end with, given the year before.
  function ceilings(points, target, region) {
    if (!target || levelOf(region) !== target.applies_to) return {};
    const out = {};
    for (const p of points) {
      const before = points.find((q) => q.year === p.year - 1);
      if (before && target.years.includes(p.year)) out[p.year] = before.people - target.at_least;
    }
    return out;
  }

  const W = 640, H = 240, LEFT = 70, RIGHT = 16, TOP = 16, BOTTOM = 30;

  function frame(id, title, desc) {
    const chart = svg("svg", {
      id,
      class: "trend",
      viewBox: `0 0 ${W} ${H}`,
      role: "img",
      "aria-labelledby": `${id}-title ${id}-desc`,
      preserveAspectRatio: "xMidYMid meet",
    });
    chart.append(svg("title", { id: `${id}-title` }, title), svg("desc", { id: `${id}-desc` }, desc));
    return chart;
  }

  // Axes for the years along x and 0…top along y; returns the two scales.
  function axes(chart, years, top, tick) {
    const step = (W - LEFT - RIGHT) / Math.max(years.length, 1);
    const x = (i) => LEFT + step * (i + 0.5);
    const y = (v) => H - BOTTOM - (v / top) * (H - TOP - BOTTOM);
    for (let k = 0; k <= 4; k += 1) {
      const v = (top * k) / 4;
      chart.append(svg("line", { class: "grid", x1: LEFT, x2: W - RIGHT, y1: y(v), y2: y(v) }));
      chart.append(svg("text", { class: "tick", x: LEFT - 6, y: y(v), "text-anchor": "end", "dominant-baseline": "central" }, tick(v)));
    }
    years.forEach((year, i) => chart.append(svg("text", { class: "tick", x: x(i), y: H - 10, "text-anchor": "middle" }, String(year))));
    chart.append(svg("line", { class: "axis", x1: LEFT, x2: W - RIGHT, y1: y(0), y2: y(0) }));
    return [x, y, step];
  }

  function lineChart(id, title, points, value, shown, goals = {}) {
    const values = points.map(value);
    const highest = Math.max(1, ...values.filter((v) => v !== null), ...Object.values(goals).filter((v) => v > 0));
    const top = Math.ceil(highest / niceStep(highest)) * niceStep(highest);
    const desc = points.map((p, i) => `${p.year}: ${values[i] === null ? "无数据 n/a" : shown(p)}`).join("; ");
    const chart = frame(id, title, desc);
    const [x, y] = axes(chart, points.map((p) => p.year), top, (v) => shown({ tick: v }));
    const known = points.map((p, i) => [i, values[i]]).filter(([, v]) => v !== null);
    if (known.length > 1) chart.append(svg("polyline", { class: "line", points: known.map(([i, v]) => `${x(i)},${y(v)}`).join(" ") }));
    points.forEach((p, i) => {
      if (values[i] === null) return;
      const dot = svg("circle", { class: "point", cx: x(i), cy: y(values[i]), r: 4, "data-year": p.year, "data-value": shown(p, true) });
      dot.append(svg("title", {}, `${p.year}: ${shown(p)}`));
      chart.append(dot);
      const goal = goals[p.year];
      if (goal !== undefined && goal >= 0) {
        const mark = svg("rect", { class: "goal", x: x(i) - 6, y: y(goal) - 1.5, width: 12, height: 3, "data-year": p.year, "data-value": goal });
        mark.append(svg("title", {}, `${p.year} 目标上限 target at most: ${count(goal)}`));
        chart.append(mark);
      }
    });
    return chart;
  }

  function flowChart(points) {
    const highest = Math.max(1, ...points.flatMap((p) => [p.exits, p.returns]));
    const top = Math.ceil(highest / niceStep(highest)) * niceStep(highest);
    const desc = points.map((p) => `${p.year}: 脱贫 exits ${p.exits}, 返贫 returns ${p.returns}`).join("; ");
    const chart = frame("trend-flows", "脱贫户与返贫户 Households exited and returned", desc);
    const [x, y, step] = axes(chart, points.map((p) => p.year), top, (v) => (Number.isInteger(v) ? count(v) : ""));
    const bar = Math.min(18, step / 3);
    points.forEach((p, i) => {
      for (const [kind, n, dx] of [["exits", p.exits, -bar], ["returns", p.returns, 0]]) {
        const rect = svg("rect", { class: `bar ${kind}`, x: x(i) + dx, y: y(n), width: bar, height: y(0) - y(n), "data-year": p.year, "data-kind": kind, "data-value": n });
        rect.append(svg("title", {}, `${p.year} ${kind === "exits" ? "脱贫 exits" : "返贫 returns"}: ${n}`));
        chart.append(rect);
      }
    });
    return chart;
  }

  function renderTrends(points, targets, region) {
    const box = $("trends");
    if (!points.length) {
      box.replaceChildren(el("p", { class: "empty" }, ...bilingual("所选日期早于 2014 年。", "The day shown is before 2014.")));
      return;
    }
    const reduction = (targets || []).find((t) => t.name === "poor_people_reduction");
    const goals = ceilings(points, reduction, region);
    const people = lineChart("trend-people", "贫困人口 Poor people", points, (p) => p.people,
      (p, raw) => (raw ? String(p.people) : count(p.tick ?? p.people)), goals);
    const incidence = lineChart("trend-incidence", "贫困发生率 Poverty incidence", points,
      (p) => basisPoints(p.incidence),
      (p, raw) => (p.tick !== undefined ? `${p.tick / 100}%` : raw ? p.incidence : percent(p.incidence)));
    const legend = el("p", { class: "legend" },
      el("span", { class: "key exits" }), ...bilingual("脱贫户", "exits"), " ",
      el("span", { class: "key returns" }), ...bilingual("返贫户", "returns"),
      ...(Object.keys(goals).length ? [" ", el("span", { class: "key goal" }), ...bilingual(`目标上限：上年贫困人口减 ${count(reduction.at_least)}`, "target: last year's poor people less the yearly fall")] : []));

    // The same figures as a table: the charts' text alternative, and the target's test.
    const head = el("tr");
    for (const [zh, en, kind] of [["年份", "Year", ""], ["年末贫困人口", "Poor people, year end", "num"],
      ["比上年减少", "Fall on the year before", "num"], ["目标（减少）", "Target fall", "num"],
      ["贫困发生率", "Incidence", "num"], ["脱贫户", "Exits", "num"], ["返贫户", "Returns", "num"]]) {
      head.append(headerCell(zh, en, { scope: "col", class: kind }));
    }
    const body = points.map((p, i) => {
      const fall = i ? points[i - 1].people - p.people : null;
      const goal = goals[p.year] !== undefined ? reduction.at_least : null;
      const met = goal === null || fall === null ? "" : fall >= goal ? " ✓" : " ✗";
      return el("tr", { "data-year": p.year },
        el("th", { scope: "row" }, p.day === `${p.year}-12-31` ? String(p.year) : `${p.year}（至 ${p.day}）`),
        el("td", { class: "num" }, count(p.people)),
        el("td", { class: "num" }, fall === null ? "—" : count(fall)),
        el("td", { class: "num" }, goal === null ? "—" : `≥ ${count(goal)}${met}`),
        el("td", { class: "num" }, percent(p.incidence) || "—"),
        el("td", { class: "num" }, count(p.exits)),
        el("td", { class: "num" }, count(p.returns)));
    });
    const table = el("table", { id: "trend-table" },
      el("caption", {}, ...bilingual("各年年末数据（截至所选日期）", "Figures at each year end (up to the day shown)")),
      el("thead", {}, head), el("tbody", {}, ...body));
    box.replaceChildren(
      el("div", { class: "charts" },
        el("figure", {}, people, el("figcaption", {}, ...bilingual("年末贫困人口", "Poor people at year end"))),
        el("figure", {}, incidence, el("figcaption", {}, ...bilingual("年末贫困发生率", "Incidence at year end"))),
        el("figure", {}, flowChart(points), el("figcaption", {}, ...bilingual("当年脱贫户与返贫户", "Exits and returns in the year")))),
      legend,
      el("div", { class: "scroll", role: "region", "aria-label": "历年数据 Figures by year", tabindex: "0" }, table),
    );
  }

  // ---- the loans service's figures -------------------------------------------------------
  // Disbursed, outstanding, PAR30/NPL, written off, subsidy paid (the portfolio's total
  // line), the risk-compensation funds and the village mutual-aid funds: fetched from loans
  // itself (CORS, the viewer's token), for the province or a county, the only scopes loans
  // reports. Whatever goes wrong there is said in the panel; the rest of the page stands.

  async function loansJSON(base, path, params = {}) {
    const url = new URL(base.replace(/\/?$/, "/") + path);
    for (const [name, value] of Object.entries(params)) {
      if (value !== null && value !== undefined && value !== "") url.searchParams.set(name, value);
    }
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    // A loans service that never answers must not hold the page: unreachable after 15 s.
    const response = await fetch(url, { headers, mode: "cors", credentials: "omit", signal: AbortSignal.timeout(15000) });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const failure = new Error(`${path}: ${response.status} ${(body && (body.title || body.detail)) || response.statusText}`);
      failure.status = response.status;
      throw failure;
    }
    return body;
  }

  // What loans can answer for the region shown: the province (no county named) or a county.
  function loansScope(region) {
    if (region === PROVINCE) return {};
    return levelOf(region) === "county" ? { county_code: region } : null;
  }

  // {state: "off" | "region" | "refused" | "unreachable" | "ready", …}: never throws.
  async function loadLoans(config, region, asOf) {
    const base = config && config.loans_url;
    if (!base) return { state: "off" };
    const scope = loansScope(region);
    if (!scope) return { state: "region" };
    const failed = (error) => ({ state: error.status ? "refused" : "unreachable", status: error.status, error });
    let portfolio;
    try {
      [portfolio] = await loansJSON(base, "v1/reports/portfolio", { ...scope, group: "total", as_of: asOf });
    } catch (error) {
      return failed(error);
    }
    // The funds' balances are today's only: none for a past day.
    if (asOf) return { state: "ready", portfolio, funds: null, mutualAid: null };
    const [funds, mutualAid] = await Promise.allSettled([
      loansJSON(base, "v1/funds", scope),
      loansJSON(base, "v1/mutual-aid", scope),
    ]);
    return {
      state: "ready",
      portfolio,
      funds: funds.status === "fulfilled" ? funds.value : undefined,
      mutualAid: mutualAid.status === "fulfilled" ? mutualAid.value : undefined,
    };
  }

  const LOANS_NOTES = {
    off: ["本看板未配置贷款服务地址（TUOPIN_EVALUATION_LOANS_URL），贷款余额、逾期率（PAR30/不良）、贴息和资金余额不显示。",
      "The loans service's address is not configured (TUOPIN_EVALUATION_LOANS_URL): loan balances, PAR30/NPL, subsidies and fund balances are not shown."],
    region: ["贷款服务按全省或县提供数据：请查看全省或所属县的页面。",
      "The loans service reports for the province or a county: see the province's or the county's page."],
    unreachable: ["无法连接贷款服务，贷款数据暂不显示。", "Could not reach the loans service: its figures are not shown."],
  };

  function loansPanel(loans) {
    const note = (id, zh, en) => el("p", { class: "note", id }, ...bilingual(zh, en));
    if (loans.state !== "ready") {
      const [zh, en] = loans.state === "refused"
        ? [`贷款服务拒绝了请求（${loans.status}），贷款数据暂不显示。`, `The loans service refused (${loans.status}): its figures are not shown.`]
        : LOANS_NOTES[loans.state];
      return el("section", { class: "panel", id: "loans-panel", "aria-labelledby": "loans-panel-title" },
        el("h3", { id: "loans-panel-title" }, ...bilingual("贷款（贷款服务）", "Loans (loans service)")),
        note("panel-loans-note", zh, en));
    }
    const p = loans.portfolio;
    const ratio = (fraction) => percent(fraction) || "—";
    const funds = loans.funds;
    const fundBalance = funds ? yuan(funds.reduce((sum, f) => sum + Number(f.balance), 0)) : "—";
    const mutual = loans.mutualAid;
    const mutualText = mutual ? `${yuan(mutual.capital)}（${count(mutual.funds)} 个村）` : "—";
    const extra = [];
    if (funds === null) {
      extra.push(note("panel-loans-funds-note", "资金余额只有当前数据，所选日期不显示。", "Fund balances are today's only: not shown for a past day."));
    } else if (funds === undefined || mutual === undefined) {
      extra.push(note("panel-loans-funds-note", "贷款服务未提供资金余额。", "The loans service did not give the fund balances."));
    }
    return panel("loans-panel", "贷款（贷款服务）", "Loans (loans service)", [
      ["loans-disbursed", "累计发放", "Disbursed", yuan(p.disbursed)],
      ["loans-outstanding", "贷款余额", "Outstanding", yuan(p.outstanding)],
      ["loans-par30", "逾期30天以上（PAR30）", "PAR30", `${yuan(p.par30)}（${ratio(p.par30_ratio)}）`],
      ["loans-npl", "不良率", "NPL ratio", ratio(p.npl_ratio)],
      ["loans-written-off", "核销", "Written off", yuan(p.written_off)],
      ["loans-subsidy-paid", "已拨付贴息", "Interest subsidy paid", yuan(p.subsidy_paid)],
      ["loans-risk-fund", "风险补偿金余额", "Risk-compensation fund balance", fundBalance],
      ["loans-mutual-aid", "村级互助资金规模", "Village mutual-aid funds", mutualText],
    ], extra);
  }

  // ---- panels: credit, training, education, return warnings ------------------------------
  // From the region's own roll-up row (evaluation's read models, the viewer's scope); the
  // loans panel beside them is the loans service's (above).

  // Integer fen as yuan ("1,234.50 元"), exactly: integer arithmetic only.
  function yuan(fen) {
    const n = Number(fen) || 0;
    return `${NUMBER.format(Math.trunc(n / 100))}.${String(Math.abs(n % 100)).padStart(2, "0")} 元`;
  }

  function panel(id, zh, en, items, extra = []) {
    const list = el("dl", { class: "cards" });
    for (const [key, dzh, den, value] of items) {
      list.append(el("div", {}, el("dt", {}, ...bilingual(dzh, den)), el("dd", { id: `panel-${key}` }, value)));
    }
    return el("section", { class: "panel", id, "aria-labelledby": `${id}-title` },
      el("h3", { id: `${id}-title` }, ...bilingual(zh, en)), list, ...extra);
  }

  function renderPanels(row, targets, loans) {
    const r = row || {};
    const n = (key) => count(r[key] || 0);
    const goal = (targets || []).find((t) => t.name === "certified_member_2020");
    const goalText = goal && goal.value
      ? [...bilingual(`2020 年目标：每户至少 1 人持证；至 ${goal.value.as_of} 覆盖 ${percent(goal.value.coverage) || "—"}，`, "2020 goal: a certified member in every household;"),
        " ", ...(goal.met ? bilingual("已达成", "met") : bilingual("未达成", "not met"))]
      : bilingual("2020 年目标：每户至少 1 人持证（按省、市、县计算）。", "2020 goal: a certified member in every household (measured for a province, city or county).");
    const products = Object.entries(r.credit_households_by_product || {}).map(([p, k]) => `${p}: ${count(k)}`).join("；");
    $("panels").replaceChildren(
      panel("credit-panel", "金融扶贫", "Credit", [
        ["credit-households", "获贷建档立卡户", "Households with credit", n("credit_households")],
        ["credit-share", "占建档立卡户", "Share of registered households", percent(r.credit_share) || "—"],
        ["credit-disbursed", "累计发放", "Disbursed", yuan(r.credit_disbursed_fen)],
      ], products ? [el("p", { class: "note", id: "panel-credit-products" }, ...bilingual(`按产品：${products}`, "by product"))] : []),
      loansPanel(loans),
      panel("training-panel", "劳务培训", "Training", [
        ["certified", "有持证成员户", "Households with a certificate", `${n("certified_households")} / ${n("registered_households")}`],
        ["certified-coverage", "持证覆盖率", "Certificate coverage", percent(r.certified_coverage) || "—"],
        ["trained", "培训结业人数", "People trained", n("people_trained")],
      ], [el("p", { class: "note", id: "panel-certified-goal" }, ...goalText)]),
      panel("education-panel", "教育扶贫", "Education assistance", [
        ["students", "受助学生", "Students assisted", n("students_assisted")],
        ["education-granted", "助学金", "Grants", yuan(r.education_granted_fen)],
        ["education-waived", "免除费用", "Fees waived", yuan(r.education_waived_fen)],
      ]),
      panel("warnings-panel", "返贫预警", "Return warnings", [
        ["warnings", "未关闭预警", "Open warnings", n("open_return_warnings")],
      ]),
    );
  }

  // ---- the seed's targets ----------------------------------------------------------------

  function figure(value) {
    if (value === null || value === undefined) return "—";
    if (typeof value === "number") return count(value);
    if (typeof value !== "object") return String(value);
    return Object.entries(value).map(([k, v]) => `${k}: ${typeof v === "number" ? count(v) : v ?? "—"}`).join("；");
  }

  function renderTargets(targets) {
    const box = $("targets");
    if (!targets) {
      box.replaceChildren(el("p", { class: "empty" }, ...bilingual("目标按省、市、县计算。", "Targets are measured for the province, a city or a county.")));
      return;
    }
    const head = el("tr");
    for (const [zh, en] of [["目标", "Target"], ["出处", "Source"], ["当前", "Figure"], ["达成", "Met"]]) {
      head.append(headerCell(zh, en, { scope: "col" }));
    }
    const verdict = (met) => (met === true ? bilingual("是", "yes") : met === false ? bilingual("否", "no") : bilingual("未评估", "not judged"));
    const rows = targets.map((t) =>
      el("tr", { "data-target": t.name },
        el("th", { scope: "row" }, t.description),
        el("td", {}, t.source),
        el("td", {}, figure(t.value), ...(t.note ? [el("br"), el("small", {}, t.note)] : [])),
        el("td", { class: `met-${t.met}` }, ...verdict(t.met))));
    box.replaceChildren(el("div", { class: "scroll", role: "region", "aria-label": "目标 Targets", tabindex: "0" },
      el("table", { id: "targets-table" }, el("caption", {}, ...bilingual("精准扶贫目标（种子文件）及进展", "The seed's targets and progress")),
        el("thead", {}, head), el("tbody", {}, ...rows))));
  }

  // ---- third-party assessments -----------------------------------------------------------

  function rateCell(rate) {
    if (!rate || rate.undefined) {
      return el("td", { class: "num na", title: "no one to count (zero denominator)" }, "—");
    }
    return el("td", { class: "num" }, percent(rate.value), el("span", { class: "ratio" }, `（${count(rate.numerator)}/${count(rate.denominator)}）`));
  }

  function renderAssessments(items) {
    const box = $("assessments");
    if (!items.length) {
      box.replaceChildren(el("p", { class: "empty" }, ...bilingual("暂无已公布的第三方评估结果。", "No published assessments yet.")));
      return;
    }
    const head = el("tr");
    for (const [zh, en, kind] of [
      ["县", "County", ""],
      ["年度", "Year", "num"],
      ["评估机构", "Assessor", ""],
      ["抽样户数", "Sampled households", "num"],
      ["错退率", "Wrong-exit rate", "num"],
      ["漏评率", "Missed-identification rate", "num"],
      ["群众认可度", "Approval rate", "num"],
    ]) {
      head.append(headerCell(zh, en, { scope: "col", class: kind }));
    }
    const rows = items.map((a) =>
      el(
        "tr",
        { "data-assessment": a.assessment_id },
        el("th", { scope: "row" }, ...label(a.county_code)),
        el("td", { class: "num" }, String(a.year)),
        el("td", {}, a.assessor),
        el("td", { class: "num" }, count(a.sample_size)),
        rateCell(a.wrong_exit_rate),
        rateCell(a.missed_identification_rate),
        rateCell(a.approval_rate),
      ),
    );
    const table = el(
      "table",
      { id: "assessments-table" },
      el("caption", {}, ...bilingual("公开考核结果（2017 年计算口径）", "Published results (2017 formulas)")),
      el("thead", {}, head),
      el("tbody", {}, ...rows),
    );
    box.replaceChildren(el("div", { class: "scroll", role: "region", "aria-label": "第三方评估 Assessments", tabindex: "0" }, table));
  }

  // ---- the page --------------------------------------------------------------------------

  function renderStatus(report, asOf) {
    const when = asOf ? bilingual(`数据截至 ${asOf}`, `as of ${asOf}`) : bilingual("最新数据", "latest figures");
    const rules = report.rule_set ? [`；考核规则 (rule set) ${report.rule_set}`] : [];
    $("status").replaceChildren(...when, ...rules);
  }

  // Loaded once per page: region names and the published assessments (both region-free).
  let shared = null;

  // Draw the page for the address: ?region= (within the viewer's own) and ?as_of=.
  async function show() {
    const params = new URLSearchParams(window.location.search);
    const asOf = params.get("as_of") || null;
    $("as-of").value = asOf && /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? asOf : "";
    const scope = viewerRegion();
    const asked = params.get("region");
    const region = asked && within(asked, scope) ? asked : scope;
    // The day picker and "latest" keep the region chosen.
    $("region-field").value = region;
    $("region-field").disabled = region === scope;
    $("latest").href = region === scope ? "dashboard" : regionHref(region, null);
    const [own, below] = [levelOf(region), BELOW[levelOf(region)]];
    const query = (level) => ({ region, level, as_of: asOf });
    const csv = apiUrl("v1/rollups.csv", query(below));
    $("csv-link").href = csv.pathname + csv.search;
    document.body.dataset.state = "loading";
    $("error").hidden = true;
    try {
      shared = shared || Promise.all([getJSON("dashboard/regions.json"), getJSON("v1/assessments"), getJSON("dashboard/config")]);
      // The loans service's figures, at the same time; loadLoans never fails the page.
      const loans = shared.then(([, , config]) => loadLoans(config, region, asOf), () => ({ state: "unreachable" }));
      const [[names, assessments], province, counties, stats] = await Promise.all([
        shared,
        getJSON("v1/rollups", query(own)),
        getJSON("v1/rollups", query(below)),
        // The register as it stands (no as-of), province-wide: for the province's staff.
        asOf || region !== PROVINCE ? null : getJSON("v1/stats"),
      ]);
      const [trends, targets] = await Promise.all([
        loadTrends(region, asOf),
        // The targets are measured for the province, a city or a county (6 digits).
        region.length === 6 ? getJSON("v1/targets", { region, as_of: asOf }).then((t) => t.targets) : null,
      ]);
      NAMES = names;
      renderSummary(province, stats, region);
      renderBreadcrumb(region, scope, asOf, province.rows[0]);
      renderCounties(counties, province, below, asOf);
      renderChart(counties.rows);
      // map.js draws the same roll-ups on the map of counties.
      document.dispatchEvent(new CustomEvent("tuopin:rollups", { detail: { region, level: below, rows: counties.rows } }));
      renderTrends(trends, targets, region);
      renderTargets(targets);
      renderPanels(province.rows[0], targets, await loans);
      renderAssessments(assessments.items);
      renderStatus(counties, asOf);
      document.body.dataset.state = "ready";
    } catch (error) {
      shared = null;
      const box = $("error");
      box.replaceChildren(...bilingual("数据加载失败：", "Could not load the figures:"), " ", String(error.message || error));
      box.hidden = false;
      $("status").textContent = "";
      document.body.dataset.state = "error";
    }
  }

  // Drill-down links and the breadcrumb are real links (new tab, copy, share all work); a
  // plain click or Enter stays on the page: the address changes (Back returns) and only the
  // figures are fetched again, not the page and its files.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest("a.drill, #breadcrumb a");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    history.pushState(null, "", link.href);
    show().then(() => $("summary-title").focus());
  });
  window.addEventListener("popstate", () => show());

  if (token) show();
  else signIn();
})();
