// Monitoring stations on the map: each at its place, coloured by its water class (GB 3838) or
// its AQI category (HJ 633) as /ogc/collections/stations says now, redrawn when a station's
// state changes (feed event `station`); a click shows what it says and since when.
import { api, esc } from './api.js';
import { state } from './state.js';
import * as words from './words.js';

const UNKNOWN = '#9e9e9e';

/** What a station shows beside its name: its class, or its AQI and category. */
function reading(p) {
  if (p.medium === 'air') return p.aqi === null || p.aqi === undefined ? '' : `AQI ${p.aqi} ${p.category ?? ''}`;
  return p.class ? words.label('water_class', p.class) : '';
}

export function startStations({ map, overlay }) {
  let shown = true;
  let pending = null;
  const draw = async () => {
    const body = await api('/ogc/collections/stations/items?limit=10000').catch(() => null);
    if (!body) return;
    const features = body.features.map((f) => ({ ...f, properties: { ...f.properties, reading: reading(f.properties) } }));
    overlay('stations', { type: 'FeatureCollection', features }, [
      { id: 'stations-alarm', type: 'circle', filter: ['>', ['coalesce', ['get', 'alarms'], 0], 0], paint: {
        'circle-color': 'rgba(0,0,0,0)', 'circle-radius': 12, 'circle-stroke-color': '#e31a1c', 'circle-stroke-width': 3 } },
      { id: 'stations-dot', type: 'circle', paint: {
        'circle-color': ['coalesce', ['get', 'colour'], UNKNOWN], 'circle-radius': 7,
        'circle-stroke-color': ['match', ['get', 'medium'], 'air', '#525252', '#08306b'], 'circle-stroke-width': 2 } },
      { id: 'stations-label', type: 'symbol', minzoom: 9, layout: {
        'text-field': ['concat', ['get', 'name'], '\n', ['get', 'reading']], 'text-font': ['sans-serif'],
        'text-size': 11, 'text-offset': [0, 1], 'text-anchor': 'top', 'text-optional': true },
        paint: { 'text-color': '#252525', 'text-halo-color': '#fff', 'text-halo-width': 1.5 } },
    ]);
    for (const id of ['stations-alarm', 'stations-dot', 'stations-label']) map.setLayoutProperty(id, 'visibility', shown ? 'visible' : 'none');
  };
  const toggle = document.createElement('label');
  toggle.className = 'layer-toggle';
  toggle.innerHTML = `<input type="checkbox" checked data-layer="stations"> 监测站`;
  toggle.querySelector('input').addEventListener('change', (e) => { shown = e.target.checked; draw(); });
  document.getElementById('layers')?.appendChild(toggle);
  draw();
  return {
    /** Redraws (once for a burst of events) when a station's state changed. */
    onEvent(kind) {
      if (!['station', 'alarm', 'reload'].includes(kind)) return;
      clearTimeout(pending);
      pending = setTimeout(draw, 1000);
    },
    /** The legend's groups: the water classes and the AQI categories, in their colours. */
    legend() {
      const group = (title, vocabulary) => ({ title, items: words.codes(vocabulary).map((c) => [words.label(vocabulary, c), words.colour(vocabulary, c, UNKNOWN)]) });
      return [group('监测站：水质类别', 'water_class'), group('监测站：空气质量', 'aqi_category')];
    },
    /** The station under `point`, if one is drawn there. */
    at(point) {
      if (!map.getLayer('stations-dot')) return null;
      return map.queryRenderedFeatures(point, { layers: ['stations-dot'] })[0] ?? null;
    },
    /** Opens station `f`'s popup at `lngLat` with its last two days, one small chart a quantity. */
    async show(f, lngLat, popup) {
      popup(lngLat, `${this.describe(f)}<div id="station-chart"></div>`, '440px');
      const since = new Date(Date.now() - 48 * 3600e3).toISOString();
      const expand = `ObservedProperty($select=name),Observations($filter=phenomenonTime ge ${since};$orderby=phenomenonTime asc;$top=200;$select=phenomenonTime,result)`;
      const body = await api(`/sta/v1.1/Things(${f.id})/Datastreams?$select=id,unitOfMeasurement&$top=8&$expand=${encodeURIComponent(expand)}`).catch(() => null);
      const el = document.getElementById('station-chart');
      if (!body || !el) return;
      const streams = body.value.filter((d) => d.Observations.length);
      if (!streams.length) { el.outerHTML = '<div class="hint">近两天无数据</div>'; return; }
      const echarts = await import('/vendor/echarts.esm.min.mjs');
      el.style.height = `${streams.length * 62 + 20}px`;
      const chart = echarts.init(el, null, { renderer: 'canvas' });
      const grid = (i) => ({ left: 44, right: 8, top: 10 + i * 62, height: 40 });
      chart.setOption({
        animation: false,
        tooltip: { trigger: 'axis' },
        grid: streams.map((_, i) => grid(i)),
        title: streams.map((d, i) => ({ text: `${d.ObservedProperty.name} ${d.unitOfMeasurement?.symbol ?? ''}`, top: 6 + i * 62, left: 48, textStyle: { fontSize: 10, fontWeight: 'normal' } })),
        xAxis: streams.map((_, i) => ({ type: 'time', gridIndex: i, axisLabel: { show: i === streams.length - 1, fontSize: 9 } })),
        yAxis: streams.map((_, i) => ({ type: 'value', gridIndex: i, scale: true, splitNumber: 2, axisLabel: { fontSize: 9 } })),
        series: streams.map((d, i) => ({ type: 'line', xAxisIndex: i, yAxisIndex: i, showSymbol: false, name: d.ObservedProperty.name,
          data: d.Observations.map((o) => [o.phenomenonTime, o.result]) })),
      });
      state.stationChart = chart;
    },
    /** The popup's HTML for station feature `f`. */
    describe(f) {
      const p = f.properties;
      const rows = [
        ['监测站类型', words.label('station_medium', p.medium ?? '')],
        [p.medium === 'air' ? '空气质量指数' : '水质类别', reading(p) || '暂无数据'],
        ['水质目标', p.target ? words.label('water_class', p.target) : null],
        ['最新数据', p.latest_time ? new Date(p.latest_time).toLocaleString('zh-CN') : null],
        ['MN', p.mn],
        ['监测预警', p.alarms ? `${p.alarms} 条未解除` : null],
      ].filter(([, v]) => v);
      return `<div class="popup-title">${esc(p.name)}</div><div class="popup-layer">监测站 #${esc(String(f.id))}</div>
        <table class="popup-table">${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`;
    },
  };
}
