// Report: one self-contained HTML file (data, styles, script and the ECharts library inlined) that
// opens from disk with no network: KPI tiles by category with their outlook (on track / at risk),
// trends with threshold bands, drift and at-risk markers and the forecast's bands, drill-down by
// dimension, lineage per value, data quality, threshold proposals, approvals and the audit trail.
// This module holds the page and no schema (no zod): the review-pack function loads it, with the
// pack's panels (review-pack-page.ts), on its first render; render-html.ts validates the model first.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportModel } from './model';

const require = createRequire(import.meta.url);
let echartsSource: string | undefined;

function echarts(): string {
  echartsSource ??= readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
  return echartsSource;
}

/** JSON that is safe inside a `<script>` element: no `</script>`, no `<!--`, no U+2028/9. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Text as HTML: `&`, `<`, `>`, quotes and apostrophes as character references. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** What a page built on the report adds to it (a review pack). */
export interface ReportPageExtras {
  /** Panels put first in the page's main column: HTML the caller built and escaped. */
  readonly prelude?: string;
  /** Styles for those panels. */
  readonly styles?: string;
}

/**
 * Renders the report from a validated model (render-html.ts validates one first). Everything the
 * page shows comes from it and is inserted as text, never as HTML (`extras.prelude` is the caller's
 * own escaped HTML).
 */
export function renderReportPage(model: ReportModel, extras: ReportPageExtras = {}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(model.title)}</title>
<style>${STYLES}${extras.styles ?? ''}</style>
</head>
<body>
<header>
  <div>
    <h1 id="title"></h1>
    <p id="run" class="muted"></p>
    <p id="links" class="links"></p>
  </div>
  <div id="summary" class="summary" aria-label="status summary"></div>
</header>
<nav id="categories" aria-label="categories"></nav>
<main>
${extras.prelude ?? ''}
  <section id="tiles" class="tiles" aria-label="KPIs"></section>
  <section id="detail" class="panel" hidden>
    <div class="detail-head">
      <div><h2 id="detail-name"></h2><p id="detail-description" class="muted"></p></div>
      <button id="detail-close" type="button" aria-label="close">×</button>
    </div>
    <div id="trend" class="chart" role="img" aria-label="trend"></div>
    <div id="changes" class="changes"></div>
    <div class="split">
      <div>
        <h3>Drill-down <select id="dimension" aria-label="dimension"></select></h3>
        <div id="breakdown-chart" class="chart small" role="img" aria-label="breakdown"></div>
        <table id="breakdown-table"></table>
      </div>
      <div>
        <h3>Lineage <span id="lineage-period" class="muted"></span></h3>
        <table id="lineage"></table>
      </div>
    </div>
  </section>
  <section class="panel">
    <h2>Data quality</h2>
    <div class="split">
      <div id="dq-chart" class="chart small" role="img" aria-label="data quality"></div>
      <table id="dq-table"></table>
    </div>
  </section>
  <section class="panel">
    <h2>Threshold proposals</h2>
    <p class="muted">Calibrations made on each KPI's cadence or by <code>kpi calibrate</code>, and target changes held for approval.</p>
    <table id="proposals"></table>
  </section>
  <section class="panel">
    <h2>Approvals and autonomy</h2>
    <table id="approvals"></table>
    <table id="controls"></table>
  </section>
  <section class="panel">
    <h2>Audit timeline</h2>
    <ol id="audit" class="timeline"></ol>
  </section>
</main>
<script id="report-data" type="application/json">${scriptSafeJson(model)}</script>
<script>${echarts()}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

const STYLES = `
:root { --green:#1a7f37; --yellow:#bf8700; --orange:#d1580b; --red:#cf222e; --grey:#6e7781; --bg:#f6f8fa; --card:#fff; --line:#d0d7de; --text:#1f2328; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--text); background:var(--bg); }
header { display:flex; justify-content:space-between; align-items:center; gap:16px; padding:16px 24px; background:#24292f; color:#fff; flex-wrap:wrap; }
header h1 { margin:0; font-size:20px; }
header .muted { color:#c9d1d9; margin:4px 0 0; }
header .links { margin:4px 0 0; } header .links a { color:#79c0ff; margin-right:12px; }
.changes table { margin-top:0; } .changes tr[aria-selected="true"] td { background:#fff8c5; }
.changes .diff { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:12px; white-space:pre-wrap; }
.summary { display:flex; gap:8px; flex-wrap:wrap; }
.summary span { padding:4px 10px; border-radius:12px; font-weight:600; background:#fff; color:var(--text); }
nav { display:flex; gap:8px; padding:12px 24px; flex-wrap:wrap; }
nav button { border:1px solid var(--line); background:var(--card); border-radius:16px; padding:4px 12px; cursor:pointer; }
nav button[aria-pressed="true"] { background:#0969da; color:#fff; border-color:#0969da; }
main { padding:0 24px 24px; display:grid; gap:16px; }
.tiles { display:grid; grid-template-columns:repeat(auto-fill,minmax(230px,1fr)); gap:12px; }
.tile { background:var(--card); border:1px solid var(--line); border-left:6px solid var(--grey); border-radius:8px; padding:12px; cursor:pointer; text-align:left; font:inherit; color:inherit; }
.tile:hover, .tile:focus { outline:2px solid #0969da; }
.tile .name { font-weight:600; }
.tile .value { font-size:24px; font-weight:700; margin:6px 0 2px; }
.tile .meta { color:var(--grey); font-size:12px; }
.tile.green { border-left-color:var(--green); } .tile.yellow { border-left-color:var(--yellow); } .tile.at_risk { border-left-color:var(--orange); } .tile.red { border-left-color:var(--red); }
.tile .outlook { font-size:12px; margin-top:4px; } .tile .outlook.at-risk { color:var(--orange); font-weight:600; } .tile .outlook.on-track { color:var(--green); }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; background:var(--grey); }
.badge.green { background:var(--green); } .badge.yellow { background:var(--yellow); } .badge.at_risk { background:var(--orange); } .badge.red { background:var(--red); }
.badge.drift { background:#8250df; margin-left:4px; }
.panel { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px; }
.panel h2 { margin:0 0 8px; font-size:17px; } .panel h3 { font-size:14px; margin:12px 0 6px; }
.detail-head { display:flex; justify-content:space-between; align-items:flex-start; }
.detail-head button { font-size:20px; border:none; background:none; cursor:pointer; }
.chart { width:100%; height:320px; } .chart.small { height:240px; }
.split { display:grid; grid-template-columns:repeat(auto-fit,minmax(320px,1fr)); gap:16px; }
table { border-collapse:collapse; width:100%; margin:8px 0; font-size:13px; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; }
th { background:var(--bg); font-weight:600; }
td.num { text-align:right; font-variant-numeric:tabular-nums; }
#lineage { table-layout:fixed; } #lineage td { overflow-wrap:anywhere; } #lineage td:first-child { width:9em; }
.muted { color:var(--grey); }
.timeline { list-style:none; padding:0; margin:0; max-height:360px; overflow:auto; }
.timeline li { padding:6px 0 6px 14px; border-left:2px solid var(--line); margin-left:6px; position:relative; }
.timeline li::before { content:""; position:absolute; left:-6px; top:11px; width:10px; height:10px; border-radius:50%; background:#0969da; }
.timeline time { color:var(--grey); font-size:12px; margin-right:8px; }
@media (max-width:600px) { header, nav, main { padding-left:12px; padding-right:12px; } }
`;

// Runs in the browser. Every value from the model goes in through textContent.
const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var model = JSON.parse(document.getElementById('report-data').textContent);
  var COLORS = { green: '#1a7f37', yellow: '#bf8700', at_risk: '#d1580b', red: '#cf222e', insufficient_data: '#6e7781', not_computable: '#6e7781' };
  var STATUS_LABEL = { green: 'green', yellow: 'yellow', at_risk: 'at risk', red: 'red', insufficient_data: 'insufficient data', not_computable: 'not computable' };
  var CATEGORY_LABEL = { operational_health: 'Operational health', data_quality: 'Data quality', governance: 'Governance', reliability: 'Reliability', business_impact: 'Business impact' };
  var charts = {};
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  var UNIT_SUFFIX = { milliseconds: 'ms', seconds: 's', minutes: 'min', hours: 'h', days: 'd', count: '', score: '', number: '', ratio: '' };
  function fmt(value, unit) {
    if (value === null || value === undefined) return '—';
    if (unit === 'percent') return (value * 100).toFixed(Math.abs(value) < 0.1 ? 2 : 1) + ' %';
    var abs = Math.abs(value);
    var digits = abs >= 1000 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
    var text = value.toLocaleString('en-US', { maximumFractionDigits: digits });
    if (unit && unit.indexOf('currency:') === 0) return text + ' ' + unit.slice(9);
    var suffix = UNIT_SUFFIX[unit];
    if (suffix === undefined) suffix = unit || '';
    return suffix ? text + ' ' + suffix : text;
  }
  function day(iso) { return iso ? iso.replace('T', ' ').replace(/:00\\.000Z$|\\.000Z$/, '').replace(/ 00:00$/, '') : ''; }
  // A period as its grain names it: a year by its number, the one all_time period as such.
  function period(kpi, iso) {
    if (kpi.grain === 'all_time') return 'all time';
    if (kpi.grain === 'year') return iso ? iso.slice(0, 4) : '';
    return day(iso);
  }
  // The latest complete period; the current one is still open (provisional) and shown on the chart.
  function latest(kpi) {
    for (var i = kpi.series.length - 1; i >= 0; i--) if (!kpi.series[i].provisional) return kpi.series[i];
    return kpi.series.length ? kpi.series[kpi.series.length - 1] : null;
  }
  function recentDrift(kpi) { return kpi.series.slice(-7).some(function (x) { return x.drift; }); }
  function chart(id) {
    var node = document.getElementById(id);
    if (charts[id]) charts[id].dispose();
    charts[id] = echarts.init(node, null, { renderer: 'svg' });
    return charts[id];
  }
  function table(node, head, rows) {
    node.replaceChildren();
    var thead = el('thead'); var tr = el('tr');
    head.forEach(function (h) { tr.appendChild(el('th', null, h)); });
    thead.appendChild(tr); node.appendChild(thead);
    var tbody = el('tbody');
    rows.forEach(function (row) {
      var r = el('tr');
      row.forEach(function (cell) {
        if (cell && typeof cell === 'object' && cell.node) { var td = el('td'); td.appendChild(cell.node); r.appendChild(td); }
        else if (typeof cell === 'number') r.appendChild(el('td', { class: 'num' }, cell.toLocaleString('en-US')));
        else r.appendChild(el('td', null, cell === null || cell === undefined ? '—' : cell));
      });
      tbody.appendChild(r);
    });
    node.appendChild(tbody);
  }
  function badge(status) { return el('span', { class: 'badge ' + status }, STATUS_LABEL[status] || status); }

  function safeHref(href) { return /^(https?:|[^:]*$)/i.test(href) ? href : '#'; }
  function escapeText(text) { return String(text).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
  document.getElementById('title').textContent = model.title;
  model.links.forEach(function (link) {
    document.getElementById('links').appendChild(el('a', { href: safeHref(link.href) }, link.label));
  });
  document.getElementById('run').textContent = model.run.description + ' · ' + day(model.run.from) + ' → ' + day(model.run.to) + ' · generated ' + day(model.generatedAt);
  var counts = {};
  model.kpis.forEach(function (k) { var p = latest(k); var s = p ? p.status : 'insufficient_data'; counts[s] = (counts[s] || 0) + 1; });
  var summary = document.getElementById('summary');
  ['green', 'yellow', 'at_risk', 'red', 'insufficient_data', 'not_computable'].forEach(function (s) {
    if (!counts[s]) return;
    var chip = el('span', { 'data-status': s }, counts[s] + ' ' + STATUS_LABEL[s]);
    chip.style.color = COLORS[s];
    summary.appendChild(chip);
  });

  var activeCategory = 'all';
  var nav = document.getElementById('categories');
  ['all'].concat(Object.keys(CATEGORY_LABEL)).forEach(function (c) {
    var n = c === 'all' ? model.kpis.length : model.kpis.filter(function (k) { return k.category === c; }).length;
    if (n === 0) return;
    var b = el('button', { type: 'button', 'data-category': c, 'aria-pressed': String(c === activeCategory) }, (c === 'all' ? 'All' : CATEGORY_LABEL[c]) + ' (' + n + ')');
    b.addEventListener('click', function () {
      activeCategory = c;
      nav.querySelectorAll('button').forEach(function (x) { x.setAttribute('aria-pressed', String(x === b)); });
      renderTiles();
    });
    nav.appendChild(b);
  });

  function renderTiles() {
    var tiles = document.getElementById('tiles');
    tiles.replaceChildren();
    model.kpis.filter(function (k) { return activeCategory === 'all' || k.category === activeCategory; }).forEach(function (kpi) {
      var p = latest(kpi);
      var status = p ? p.status : 'insufficient_data';
      var tile = el('button', { type: 'button', class: 'tile ' + status, 'data-kpi': kpi.id });
      tile.appendChild(el('div', { class: 'name' }, kpi.name));
      tile.appendChild(el('div', { class: 'value' }, p ? fmt(p.value, kpi.unit) : '—'));
      var meta = el('div', { class: 'meta' });
      meta.appendChild(badge(status));
      if (recentDrift(kpi)) meta.appendChild(el('span', { class: 'badge drift', title: 'drift in the last 7 periods' }, 'drift'));
      meta.appendChild(document.createTextNode(' ' + (CATEGORY_LABEL[kpi.category] || kpi.category) + (p ? ' · ' + period(kpi, p.periodStart) : '')));
      tile.appendChild(meta);
      var outlook = outlookOf(kpi);
      if (outlook) tile.appendChild(el('div', { class: 'outlook ' + outlook.kind, title: outlook.title }, outlook.text));
      tile.addEventListener('click', function () { showDetail(kpi); });
      tiles.appendChild(tile);
    });
  }

  // "on track" or "at risk (p = …)" for the KPI's horizon, from the forecast of its latest final value.
  function outlookOf(kpi) {
    var f = kpi.forecast;
    if (!f) return null;
    var atRisk = f.probabilityRed > f.atRiskProbability;
    var p = f.probabilityRed.toFixed(2);
    return {
      kind: atRisk ? 'at-risk' : 'on-track',
      text: (atRisk ? 'at risk (p = ' + p + ')' : 'on track (p = ' + p + ')') + ' by ' + day(f.steps.length ? f.steps[f.steps.length - 1].periodStart : f.horizonEnd),
      title: 'probability of red at the end of the horizon, from a ' + f.model + ' forecast; at risk above ' + f.atRiskProbability
    };
  }

  function bands(kpi, min, max) {
    var t = kpi.thresholds; var areas = [];
    var lo = Math.min(min, t.critical === null ? min : t.critical, t.warning === null ? min : t.warning);
    var hi = Math.max(max, t.critical === null ? max : t.critical, t.warning === null ? max : t.warning);
    function area(a, b, color) { if (a === null || b === null) return; areas.push([{ yAxis: a, itemStyle: { color: color } }, { yAxis: b }]); }
    if (t.direction === 'higher_is_better') {
      area(lo, t.critical, 'rgba(207,34,46,0.08)'); area(t.critical, t.warning, 'rgba(191,135,0,0.10)'); area(t.warning, hi, 'rgba(26,127,55,0.07)');
    } else if (t.direction === 'lower_is_better') {
      area(lo, t.warning, 'rgba(26,127,55,0.07)'); area(t.warning, t.critical, 'rgba(191,135,0,0.10)'); area(t.critical, hi, 'rgba(207,34,46,0.08)');
    } else {
      area(t.bandLow, t.bandHigh, 'rgba(26,127,55,0.09)');
    }
    return areas;
  }

  var current = null;
  function showDetail(kpi) {
    current = kpi;
    var detail = document.getElementById('detail');
    detail.hidden = false;
    document.getElementById('detail-name').textContent = kpi.name + ' (' + kpi.id + ')';
    document.getElementById('detail-description').textContent = kpi.description + ' · owner ' + kpi.owner + (kpi.useCase ? ' · ' + kpi.useCase : '') + (kpi.levelOfDecision ? ' · level of decision ' + kpi.levelOfDecision : '');
    var values = kpi.series.map(function (p) { return p.value; }).filter(function (v) { return v !== null; });
    var f = kpi.forecast;
    var steps = f ? f.steps : [];
    steps.forEach(function (s) { values.push(s.lower95, s.upper95); });
    var min = values.length ? Math.min.apply(null, values) : 0; var max = values.length ? Math.max.apply(null, values) : 1;
    var scale = kpi.unit === 'percent' ? 100 : 1;
    // The forecast continues the axis after the last value; its bands start at the value it was made from.
    var origin = f ? kpi.series.findIndex(function (p) { return p.periodStart === f.from; }) : -1;
    // Steps are placed by period: the open period (provisional) is already on the axis.
    var starts = kpi.series.map(function (p) { return p.periodStart; });
    steps.forEach(function (s) { if (starts.indexOf(s.periodStart) < 0) starts.push(s.periodStart); });
    var labels = starts.map(function (s) { return period(kpi, s); });
    // A series over the axis: empty before the origin, first there (the value, or a band's zero width), then the steps.
    function ahead(pick, first) {
      if (origin < 0) return [];
      var data = labels.map(function () { return null; });
      var start = kpi.series[origin].value === null ? null : kpi.series[origin].value * scale;
      data[origin] = first === undefined ? start : first;
      steps.forEach(function (s) { data[starts.indexOf(s.periodStart)] = pick === null ? s.point * scale : pick(s) * scale; });
      return data;
    }
    function band(name, lower, upper, opacity) {
      return [
        { type: 'line', name: name + ' low', stack: name, data: ahead(lower), symbol: 'none', lineStyle: { opacity: 0 }, silent: true, tooltip: { show: false } },
        { type: 'line', name: name, stack: name, data: ahead(function (s) { return upper(s) - lower(s); }, 0), symbol: 'none', lineStyle: { opacity: 0 }, areaStyle: { color: 'rgba(9,105,218,' + opacity + ')' }, silent: true, tooltip: { show: false } }
      ];
    }
    var forecastSeries = origin < 0 ? [] : band('95 % band', function (s) { return s.lower95; }, function (s) { return s.upper95; }, 0.10)
      .concat(band('80 % band', function (s) { return s.lower80; }, function (s) { return s.upper80; }, 0.18))
      .concat([{ type: 'line', name: 'forecast', data: ahead(null), symbol: 'none', lineStyle: { type: 'dashed', color: '#0969da' } }]);
    var c = chart('trend');
    c.setOption({
      animation: false,
      grid: { left: 64, right: 56, top: 24, bottom: 48 },
      tooltip: { trigger: 'axis', formatter: function (params) {
        var i = params[0].dataIndex;
        if (kpi.series[i]) return pointTooltip(kpi, kpi.series[i]);
        // A forecast step after the last value.
        return [labels[i]].concat(params.filter(function (q) { return q.value !== null && q.value !== undefined && q.seriesName === 'forecast'; })
          .map(function (q) { return 'forecast ' + fmt(q.value / scale, kpi.unit); })).map(escapeText).join('<br>');
      } },
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value', scale: true, axisLabel: { formatter: function (v) { return fmt(v / scale, kpi.unit); } } },
      series: [{
        type: 'line', name: kpi.name, connectNulls: false, showSymbol: true,
        data: kpi.series.map(function (p) {
          return { value: p.value === null ? null : p.value * scale, itemStyle: { color: COLORS[p.status] || '#6e7781' }, symbol: p.provisional ? 'emptyCircle' : 'circle', symbolSize: p.provisional ? 9 : 7 };
        }),
        lineStyle: { color: '#57606a' },
        markArea: { silent: true, data: bands(kpi, min, max).map(function (pair) { return [{ yAxis: pair[0].yAxis * scale, itemStyle: pair[0].itemStyle }, { yAxis: pair[1].yAxis * scale }]; }) },
        markLine: {
          symbol: 'none', lineStyle: { type: 'dashed', color: '#0969da' }, label: { formatter: 'target' },
          tooltip: { trigger: 'item', formatter: function (params) { return params.data.change ? changeTooltip(params.data.change) : 'target'; } },
          data: (kpi.thresholds.target === null ? [] : [{ yAxis: kpi.thresholds.target * scale }]).concat(changeMarks(kpi))
        },
        markPoint: {
          symbolSize: 34, label: { fontSize: 9 },
          data: kpi.series.map(function (p, i) { return p.drift && p.value !== null ? { coord: [i, p.value * scale], name: p.drift.method, symbol: 'pin', itemStyle: { color: '#8250df' }, label: { formatter: 'drift' } } : null; })
            .concat(kpi.series.map(function (p, i) { return p.status === 'at_risk' && p.value !== null ? { coord: [i, p.value * scale], name: 'at risk', symbol: 'triangle', symbolSize: 16, symbolOffset: [0, -14], itemStyle: { color: COLORS.at_risk }, label: { show: false } } : null; }))
            .filter(Boolean)
        }
      }, {
        // Restated values: what the period showed before its value was replaced.
        type: 'scatter', name: 'restated from', symbol: 'diamond', symbolSize: 9, z: 3,
        itemStyle: { color: '#fff', borderColor: '#6e7781', borderWidth: 1.5 },
        data: kpi.series.map(function (p) { var r = p.restatements[0]; return r && r.value !== null ? r.value * scale : null; })
      }].concat(forecastSeries)
    });
    c.off('click');
    c.on('click', function (params) {
      if (params.componentType === 'markLine' && params.data && params.data.change) showChanges(kpi, params.data.change);
      else if (params.componentType === 'series') showLineage(kpi, kpi.series[params.dataIndex]);
    });
    showChanges(kpi, null);
    var select = document.getElementById('dimension');
    select.replaceChildren();
    Object.keys(kpi.breakdown).forEach(function (d) { select.appendChild(el('option', { value: d }, d)); });
    select.onchange = function () { showBreakdown(kpi, select.value); };
    if (select.options.length) showBreakdown(kpi, select.options[0].value);
    else { document.getElementById('breakdown-table').replaceChildren(); chart('breakdown-chart').clear(); }
    showLineage(kpi, latest(kpi));
    detail.scrollIntoView({ behavior: 'auto', block: 'start' });
  }
  // The change log on the chart: a dashed line at each period a definition change took effect in.
  function periodIndex(kpi, at) {
    for (var i = 0; i < kpi.series.length; i++) if (kpi.series[i].periodStart <= at && at < kpi.series[i].periodEnd) return i;
    return -1;
  }
  var ACTION_WORD = { publish: 'published', rollback: 'rolled back to', retire: 'retired' };
  function changeTitle(ch) { return ch.action === 'retire' ? 'retired at v' + ch.toVersion : (ch.action === 'publish' && ch.fromVersion === null ? 'v' + ch.toVersion + ' published' : 'v' + ch.fromVersion + ' → v' + ch.toVersion + ' (' + ACTION_WORD[ch.action] + ')'); }
  function changeMarks(kpi) {
    return kpi.changes.map(function (ch) {
      var i = periodIndex(kpi, ch.at);
      return i < 0 ? null : { xAxis: i, change: ch, lineStyle: { type: 'dashed', color: '#bc4c00', width: 1.5 }, label: { formatter: (ch.action === 'retire' ? '✕ v' : 'v') + ch.toVersion, position: 'insideEndTop', color: '#bc4c00' } };
    }).filter(Boolean);
  }
  function changeTooltip(ch) {
    var lines = [changeTitle(ch), day(ch.at) + ' by ' + ch.author, ch.reason].concat(ch.diff.slice(0, 8));
    if (ch.diff.length > 8) lines.push('… ' + (ch.diff.length - 8) + ' more (click)');
    return lines.map(escapeText).join('<br>');
  }
  function pointTooltip(kpi, p) {
    if (!p) return '';
    var lines = [period(kpi, p.periodStart), fmt(p.value, kpi.unit) + ' · ' + (STATUS_LABEL[p.status] || p.status) + (p.provisional ? ' · provisional' : '') + (p.lineage ? ' · definition v' + p.lineage.definitionVersion : '')];
    p.restatements.forEach(function (r) { lines.push('restated from ' + fmt(r.value, kpi.unit) + ' (v' + r.definitionVersion + ', ' + day(r.restatedAt) + ': ' + r.why + ')'); });
    if (p.drift) lines.push('drift: ' + p.drift.method + ' ' + p.drift.score.toFixed(2));
    if (typeof p.probabilityRed === 'number') lines.push('forecast: ' + Math.round(p.probabilityRed * 100) + ' % chance of red');
    return lines.map(escapeText).join('<br>');
  }
  function showChanges(kpi, selected) {
    var node = document.getElementById('changes');
    node.replaceChildren();
    if (kpi.changes.length === 0) return;
    node.appendChild(el('h3', null, 'Definition changes'));
    var t = el('table');
    table(t, ['when', 'change', 'by', 'reason', 'what changed'], kpi.changes.map(function (ch) {
      return [day(ch.at), changeTitle(ch), ch.author, ch.reason, { node: el('div', { class: 'diff' }, ch.diff.length ? ch.diff.join('\\n') : (ch.action === 'publish' && ch.fromVersion === null ? 'first version' : 'no difference in content')) }];
    }));
    kpi.changes.forEach(function (ch, i) { if (ch === selected) t.querySelectorAll('tbody tr')[i].setAttribute('aria-selected', 'true'); });
    node.appendChild(t);
  }
  function showBreakdown(kpi, dimension) {
    var rows = (kpi.breakdown[dimension] || []).slice().sort(function (a, b) { return (b.value || 0) - (a.value || 0); });
    var scale = kpi.unit === 'percent' ? 100 : 1;
    chart('breakdown-chart').setOption({
      animation: false, grid: { left: 120, right: 24, top: 8, bottom: 24 },
      xAxis: { type: 'value', axisLabel: { formatter: function (v) { return fmt(v / scale, kpi.unit); } } },
      yAxis: { type: 'category', inverse: true, data: rows.map(function (r) { return r.key; }) },
      series: [{ type: 'bar', data: rows.map(function (r) { return { value: r.value === null ? null : r.value * scale, itemStyle: { color: COLORS[r.status] } }; }) }]
    });
    table(document.getElementById('breakdown-table'), [dimension, 'value', 'status', 'sample'], rows.map(function (r) { return [r.key, fmt(r.value, kpi.unit), { node: badge(r.status) }, r.sampleSize]; }));
  }
  function showLineage(kpi, point) {
    var node = document.getElementById('lineage');
    document.getElementById('lineage-period').textContent = point ? (kpi.grain === 'all_time' || kpi.grain === 'year' ? period(kpi, point.periodStart) : day(point.periodStart) + ' → ' + day(point.periodEnd)) : '';
    if (!point) { node.replaceChildren(); return; }
    var l = point.lineage;
    var rows = [
      ['value', fmt(point.value, kpi.unit) + (point.note ? ' (' + point.note + ')' : '')],
      ['status', { node: badge(point.status) }],
      ['sample size', point.sampleSize.toLocaleString('en-US')],
      ['provisional', point.provisional ? 'yes: the conversion window is still open' : 'no'],
      ['drift', point.drift ? point.drift.method + ' score ' + point.drift.score.toFixed(2) + (point.drift.explanation ? ': ' + point.drift.explanation : '') : 'none']
    ];
    if (point.probabilityRed !== undefined) rows.push(['forecast', 'probability of red at the horizon ' + point.probabilityRed.toFixed(2)]);
    if (l) {
      rows.push(['definition', 'version ' + l.definitionVersion + ' · ' + l.definitionHash.slice(0, 12)]);
      rows.push(['code version', l.codeVersion]);
      rows.push(['computed at', day(l.computedAt)]);
      rows.push(['confidence', l.confidence === null ? '—' : (l.confidence * 100).toFixed(0) + ' %']);
      l.inputs.forEach(function (i) {
        rows.push(['input ' + i.dataset, i.partitions + ' hour partitions, ' + (i.first || '—') + ' → ' + (i.last || '—') + (i.rows === null ? '' : ' · ' + i.rows.toLocaleString('en-US') + ' rows, ' + (i.quarantined || 0).toLocaleString('en-US') + ' quarantined') + ' · ' + i.manifests + ' batch manifests · sha256 ' + i.digest.slice(0, 12)]);
      });
      rows.push(['full input list', l.inputsRef || 'not archived']);
    }
    table(node, ['field', 'value'], rows);
  }
  document.getElementById('detail-close').addEventListener('click', function () { document.getElementById('detail').hidden = true; });

  function renderDataQuality() {
    var dq = model.dataQuality;
    chart('dq-chart').setOption({
      animation: false, tooltip: { trigger: 'axis' }, legend: { bottom: 0 }, grid: { left: 120, right: 24, top: 8, bottom: 40 },
      xAxis: { type: 'value' }, yAxis: { type: 'category', inverse: true, data: dq.map(function (d) { return d.dataset; }) },
      series: [
        { name: 'valid', type: 'bar', stack: 'rows', itemStyle: { color: COLORS.green }, data: dq.map(function (d) { return d.valid; }) },
        { name: 'quarantined', type: 'bar', stack: 'rows', itemStyle: { color: COLORS.red }, data: dq.map(function (d) { return d.quarantined; }) }
      ]
    });
    table(document.getElementById('dq-table'), ['dataset', 'read', 'quarantined', 'by reason', 'replayed', 'newest event', 'freshness lag', 'freshness check'], dq.map(function (d) {
      var reasons = Object.keys(d.byReason).map(function (r) { return r + ': ' + d.byReason[r]; }).join(', ');
      var replay = d.replay ? 'under v' + d.replay.version + ': ' + d.replay.moved + ' rows to raw, ' + d.replay.stillQuarantined + ' still quarantined; ' + d.replay.restated + ' values restated' : '—';
      var check = d.freshness ? d.freshness.status.replace('_', ' ') + (d.freshness.lastArrivalAt ? ' (last batch ' + fmt(d.freshness.silentMinutes, 'min') + ' before the check)' : '') : '—';
      return [d.dataset, d.read, d.quarantined, reasons || '—', replay, day(d.newestEventAt), d.freshnessLagMinutes === null ? '—' : fmt(d.freshnessLagMinutes, 'min'), check];
    }));
  }
  function renderProposals() {
    table(document.getElementById('proposals'), ['KPI', 'proposal', 'source', 'status', 'made', 'thresholds now', 'proposed', 'evidence', 'decided by'], model.proposals.map(function (p) {
      var status = p.status + (p.publishedVersion ? ' as v' + p.publishedVersion : '');
      return [p.kpiId, p.id, p.source, status, day(p.createdAt), p.current, p.proposed, p.evidence.join(' · '), p.decidedBy];
    }));
  }
  function renderGovernance() {
    table(document.getElementById('approvals'), ['approval', 'KPI', 'subject', 'status', 'tier', 'requested', 'decided', 'by', 'reason'], model.approvals.map(function (a) {
      return [a.approvalId, a.kpiId, a.subject, a.status, a.tier || '—', day(a.requestedAt), day(a.decidedAt), a.decidedBy, a.reason];
    }));
    table(document.getElementById('controls'), ['agent or use case', 'autonomy', 'changed', 'by'], model.controls.map(function (c) { return [c.subject, c.mode, day(c.changedAt), c.by]; }));
    var list = document.getElementById('audit');
    list.replaceChildren();
    model.audit.slice().sort(function (a, b) { return a.at < b.at ? -1 : 1; }).forEach(function (e) {
      var li = el('li', { 'data-type': e.type });
      li.appendChild(el('time', { datetime: e.at }, day(e.at)));
      li.appendChild(el('strong', null, e.type));
      li.appendChild(document.createTextNode(' · ' + e.subject + ' · ' + e.actor + ' · ' + e.detail));
      list.appendChild(li);
    });
  }
  renderTiles();
  // Links elsewhere on the page (a review pack's scorecard) open a KPI's detail.
  document.querySelectorAll('[data-kpi-link]').forEach(function (link) {
    var kpi = model.kpis.find(function (k) { return k.id === link.getAttribute('data-kpi-link'); });
    if (kpi) link.addEventListener('click', function (event) { event.preventDefault(); showDetail(kpi); });
  });
  renderDataQuality();
  renderProposals();
  renderGovernance();
  window.addEventListener('resize', function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  document.body.setAttribute('data-ready', 'true');
})();
`;
