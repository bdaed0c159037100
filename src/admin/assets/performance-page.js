// The Kinerja page (#performance): the regional performance table (sortable), filtered by period, province and level;
// a chart of complaints per day by channel and the median first-response time (uPlot, served by Pintu from npm);
// the overdue complaints, each linking to its timeline; and the CSV of the current filter.
import { $, LOCALE, agency, api, channelName, dateTime, el, number, status, t } from './common.js';

const query = (params) => (params.size ? `?${params}` : '');
const share = (r) => (r.delivered > 0 ? r.firstResponse.withinDeadline / r.delivered : null);
const percent = (value) => (value === null ? t('common.none') : value.toLocaleString(LOCALE, { style: 'percent', maximumFractionDigits: 0 }));
const rank = (value) => (value === null ? el('span', t('common.none'), { title: t('performance.unranked') }) : String(value));

/**
 * The table's columns, ranks first: the value each sorts by (null sorts last either way), how it shows when not as a
 * plain number, and whether it is text (left-aligned) rather than a figure.
 */
const COLUMNS = [
  { key: 'rankNational', value: (r) => r.rankNational, show: (r) => rank(r.rankNational) },
  { key: 'rankInProvince', value: (r) => r.rankInProvince, show: (r) => rank(r.rankInProvince) },
  { key: 'code', value: (r) => r.code, text: true },
  { key: 'name', value: (r) => r.name, text: true },
  { key: 'level.column', value: (r) => r.level, show: (r) => t(`level.${r.level}`), text: true },
  { key: 'received', value: (r) => r.received },
  { key: 'delivered', value: (r) => r.delivered },
  { key: 'responded', value: (r) => r.firstResponse.count },
  { key: 'withinDeadline', value: share, show: (r) => percent(share(r)) },
  { key: 'medianResponse', value: (r) => r.firstResponse.medianHours },
  { key: 'p90Response', value: (r) => r.firstResponse.p90Hours },
  { key: 'followedUp', value: (r) => r.followUp.count },
  { key: 'medianFollowUp', value: (r) => r.followUp.medianHours },
  { key: 'resolved', value: (r) => r.resolved },
  { key: 'reRouted', value: (r) => r.reRouted },
  { key: 'overdueNow', value: (r) => r.overdueNow },
];
const cellAttributes = (c) => ({ 'data-column': c.key, ...(c.text ? {} : { class: 'figure' }) });

let regions = [];
/** The column the table is sorted by (null: as the API lists it, the national desk first, then by code). */
const sorting = { key: null, ascending: true };

function compare(column, ascending) {
  return (a, b) => {
    const [x, y] = [column.value(a), column.value(b)];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = typeof x === 'string' ? x.localeCompare(y, LOCALE) : x - y;
    return ascending ? order : -order;
  };
}

function renderTable() {
  const column = COLUMNS.find((c) => c.key === sorting.key);
  const rows = column ? [...regions].sort(compare(column, sorting.ascending)) : regions;
  $('performance-table').tBodies[0].replaceChildren(...rows.map((r) => el('tr', null, { 'data-code': r.code },
    COLUMNS.map((c) => {
      const shown = c.show ? c.show(r) : c.value(r);
      return typeof shown === 'object' && shown !== null
        ? el('td', null, cellAttributes(c), [shown])
        : el('td', typeof shown === 'number' ? number(shown) : shown ?? t('common.none'), cellAttributes(c));
    }))));
  for (const th of $('performance-table').tHead.rows[0].cells) {
    if (th.dataset.column === sorting.key) th.setAttribute('aria-sort', sorting.ascending ? 'ascending' : 'descending');
    else th.removeAttribute('aria-sort');
  }
}

function tableHead() {
  const sortBy = (key) => () => {
    sorting.ascending = sorting.key === key ? !sorting.ascending : true;
    sorting.key = key;
    renderTable();
  };
  $('performance-table').tHead.replaceChildren(el('tr', null, {}, COLUMNS.map((c) =>
    el('th', null, { ...cellAttributes(c), scope: 'col' }, [el('button', t(`performance.${c.key}`), { type: 'button', class: 'sort' })]))));
  for (const th of $('performance-table').tHead.rows[0].cells) th.firstChild.addEventListener('click', sortBy(th.dataset.column));
}

// Chart -------------------------------------------------------------------------------------------
const CHANNEL_COLORS = { sms: '#1565c0', twitter: '#37474f', web: '#2e7d32', whatsapp: '#00a884', open311: '#6a1b9a', other: '#8d6e63' };
const MEDIAN_COLOR = '#d84315';
const CHART_HEIGHT = 320;
let chart = null;
const chartWidth = () => Math.max(320, $('performance-chart').clientWidth || 800);

/** No chart (its figures could not be read): a stale one would belie the table beside it. */
function clearChart() {
  chart?.destroy();
  chart = null;
  $('performance-chart').dataset.days = '0';
  $('performance-chart-empty').hidden = true;
}

/** Received per channel (the channels that had any) on the left axis, the median first response in hours on the right. */
function drawChart(daily) {
  const box = $('performance-chart');
  clearChart();
  const { days } = daily;
  const channels = Object.keys(days[0]?.receivedByChannel ?? {}).filter((c) => days.some((d) => d.receivedByChannel[c] > 0));
  $('performance-chart-empty').hidden = channels.length > 0;
  box.dataset.days = String(days.length);
  box.dataset.channels = channels.join(' ');
  const day = new Intl.DateTimeFormat(LOCALE, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const dayOf = (seconds) => (seconds === null ? t('common.none') : day.format(seconds * 1000));
  const data = [
    days.map((d) => Date.parse(`${d.date}T00:00:00Z`) / 1000),
    ...channels.map((c) => days.map((d) => d.receivedByChannel[c])),
    days.map((d) => d.firstResponse.medianHours),
  ];
  const fromZero = (least) => (_u, _min, max) => [0, Math.max(least, max ?? 0)];
  chart = new window.uPlot({
    width: chartWidth(),
    height: CHART_HEIGHT,
    // Days are calendar dates: place and label them in UTC, whatever the browser's time zone.
    tzDate: (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
    scales: { x: { time: true }, count: { range: fromZero(5) }, hours: { range: fromZero(1) } },
    axes: [
      { values: (_u, splits) => splits.map(dayOf) },
      { scale: 'count', label: t('performance.chartComplaints') },
      { scale: 'hours', side: 1, label: t('performance.chartHours'), grid: { show: false } },
    ],
    series: [
      { label: t('performance.chartDay'), value: (_u, seconds) => dayOf(seconds) },
      ...channels.map((c) => ({ label: channelName(c), scale: 'count', stroke: CHANNEL_COLORS[c] ?? '#555', width: 2, points: { show: true } })),
      { label: t('performance.chartMedian'), scale: 'hours', stroke: MEDIAN_COLOR, width: 2, dash: [6, 4], spanGaps: false, points: { show: true } },
    ],
  }, data, box);
}

// Overdue complaints ------------------------------------------------------------------------------

function showOverdue(overdue) {
  const rows = overdue.items.map((item) => el('tr', null, { 'data-tracking-id': item.trackingId }, [
    el('td', null, {}, [el('a', item.trackingId, { href: `#aduan/${encodeURIComponent(item.trackingId)}` })]),
    el('td', agency(item.route)), el('td', t(`level.${item.level}`)), el('td', t(`stage.${item.stage}`)),
    el('td', dateTime(item.deadline)), el('td', dateTime(item.overdueSince)), el('td', agency(item.escalatedTo)),
  ]));
  $('overdue-table').tBodies[0].replaceChildren(...rows);
  $('overdue-table').hidden = rows.length === 0;
  $('overdue-empty').hidden = rows.length > 0;
  $('overdue-total').textContent = rows.length ? t('overdue.total', { total: overdue.total }) : '';
}

// Loading -----------------------------------------------------------------------------------------
const FILTERS = ['from', 'to', 'province', 'level'];
let generation = 0;

/** Loads the table, the chart and the overdue list for the filter; an empty period is the API's default (30 days). */
export async function loadPerformance() {
  const mine = ++generation;
  const params = new URLSearchParams(FILTERS.map((name) => [name, $(`performance-${name}`).value]).filter(([, value]) => value));
  const where = new URLSearchParams([...params].filter(([name]) => name === 'province' || name === 'level'));
  const [table, daily, overdue] = await Promise.allSettled([api('GET', `/performance${query(params)}`), api('GET', `/performance/daily${query(params)}`), api('GET', `/overdue${query(where)}`)]);
  // A newer filter's answers are on their way: these are stale.
  if (mine !== generation) return;
  const errors = [table, daily, overdue].filter((r) => r.status === 'rejected').map((r) => r.reason.message);
  if (errors.length) status($('performance-status'), errors.join(' '), false);
  else $('performance-status').textContent = '';
  // What failed is emptied rather than left showing the previous filter's figures.
  showTable(table.status === 'fulfilled' ? table.value : null, params);
  if (daily.status === 'fulfilled') drawChart(daily.value);
  else clearChart();
  showOverdue(overdue.status === 'fulfilled' ? overdue.value : { total: 0, items: [] });
}

/** The table and its summary, the period the API chose shown in the filter, and the CSV link for the same filter. */
function showTable(table, params) {
  const csv = $('performance-csv');
  csv.hidden = !table;
  regions = table ? table.regions : [];
  $('performance-summary').textContent = '';
  renderTable();
  if (!table) return;
  const { from, to } = table;
  $('performance-from').value = from;
  $('performance-to').value = to;
  csv.href = `/admin/api/performance?${new URLSearchParams({ ...Object.fromEntries(params), from, to, format: 'csv' })}`;
  const date = (iso) => new Date(`${iso}T00:00:00Z`).toLocaleDateString(LOCALE, { dateStyle: 'medium', timeZone: 'UTC' });
  $('performance-summary').textContent = t('performance.regions', { count: regions.length, from: date(from), to: date(to) });
}

async function loadProvinces() {
  const { items } = await api('GET', '/routes?level=province&limit=500');
  $('performance-province').append(...items.map((p) => el('option', `${p.name} (${p.code})`, { value: p.code })));
}

/** Wires the filter and the table head, then loads the page. */
export function startPerformance() {
  tableHead();
  const filter = $('performance-filter');
  filter.addEventListener('submit', (event) => { event.preventDefault(); void loadPerformance(); });
  filter.addEventListener('change', () => void loadPerformance());
  window.addEventListener('resize', () => chart?.setSize({ width: chartWidth(), height: CHART_HEIGHT }));
  return Promise.all([loadProvinces(), loadPerformance()]);
}
