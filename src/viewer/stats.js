// The statistics panel: incidents by year (with the median minutes to the initial report), by
// cause and by district, drawn with Apache ECharts (vendored; loaded when the panel opens).
import { api } from './api.js';
import { CJK_FONTS } from './draw.js';
import * as words from './words.js';

const TEXT = { fontFamily: CJK_FONTS };

/**
 * Draws the charts whose elements the page has (`charts`: their ids); `theme` 'dark' for the
 * wall, `scale` for its larger type.
 */
export async function showStats(onemap, { theme = null, scale = 1, charts = ['chart-year', 'chart-cause', 'chart-district'] } = {}) {
  const [echarts, year, cause, district] = await Promise.all([
    import('/vendor/echarts.esm.min.mjs'),
    api('/api/stats/incidents?by=year'), api('/api/stats/incidents?by=cause'), api('/api/stats/incidents?by=district'),
  ]);
  onemap.stats = { year, cause, district };
  const px = (n) => Math.round(n * scale);
  const chart = (id, option) => {
    const el = document.getElementById(id);
    if (!el || !charts.includes(id)) return null;
    const c = echarts.getInstanceByDom(el) ?? echarts.init(el, theme, { renderer: 'canvas' });
    c.setOption({ textStyle: { ...TEXT, fontSize: px(12) }, animation: false, backgroundColor: 'transparent', ...option }, true);
    return c;
  };
  chart('chart-year', {
    title: { text: '事件趋势（按年）', textStyle: { fontSize: px(13) } },
    tooltip: { trigger: 'axis' },
    legend: { bottom: 0, textStyle: { fontSize: px(11) } },
    grid: { left: px(36), right: px(40), top: px(48), bottom: px(40) },
    xAxis: { type: 'category', data: year.groups.map((g) => g.key), axisLabel: { fontSize: px(11) } },
    yAxis: [{ type: 'value', name: '起', minInterval: 1, axisLabel: { fontSize: px(11) }, nameTextStyle: { fontSize: px(11) } },
      { type: 'value', name: '分钟', splitLine: { show: false }, axisLabel: { fontSize: px(11) }, nameTextStyle: { fontSize: px(11) } }],
    series: [
      { name: '事件数', type: 'bar', data: year.groups.map((g) => g.count), itemStyle: { color: '#b2182b' } },
      { name: '初报用时中位数', type: 'line', yAxisIndex: 1, data: year.groups.map((g) => g.minutes.to_initial_report.median) },
    ],
  });
  chart('chart-cause', {
    title: { text: '按起因', textStyle: { fontSize: px(13) } },
    tooltip: { trigger: 'item' },
    series: [{ type: 'pie', radius: ['25%', '50%'], center: ['50%', '56%'], label: { fontSize: px(11), formatter: '{b} {c}' },
      data: cause.groups.map((g) => ({ name: g.key === 'unknown' ? '未填' : words.label('incident_cause', g.key), value: g.count })) }],
  });
  const top = district.groups.slice(0, 12).reverse();
  chart('chart-district', {
    title: { text: '按区县（前 12）', textStyle: { fontSize: px(13) } },
    tooltip: { trigger: 'axis' },
    grid: { left: 110, right: 16, top: 30, bottom: 20 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: top.map((g) => g.key), axisLabel: { fontSize: 11 } },
    series: [{ type: 'bar', data: top.map((g) => g.count), itemStyle: { color: '#ef8a62' } }],
  });
  const t = year.total;
  const summary = document.getElementById('stats-summary');
  if (summary) summary.textContent = `共 ${t.count} 起；初报用时中位数 ${t.minutes.to_initial_report.median ?? '—'} 分钟，`
    + `首支力量到场中位数 ${t.minutes.to_first_arrival.median ?? '—'} 分钟；初报超时 ${t.initial_report_late} 起。`;
}
