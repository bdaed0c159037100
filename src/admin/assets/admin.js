// Pintu admin UI: the dashboard's entry module — routes, test a message, dead letters, audit log, and the
// hash links (#aduan/<tracking number>) that open a complaint. Kinerja and the complaint lookup live in their modules.
import { $, api, button, el, fields, status, t, canWrite, dateTime, none } from './common.js';
import { showComplaint } from './complaint-lookup.js';
import { loadPerformance, startPerformance } from './performance-page.js';

// Routes ------------------------------------------------------------------------------------------
const ROUTE_PAGE = 50;
let routeOffset = 0;
let editing = null;

async function loadRoutes() {
  const params = new URLSearchParams({ offset: String(routeOffset), limit: String(ROUTE_PAGE) });
  for (const name of ['text', 'level', 'province']) {
    const value = $(`route-search-${name}`).value.trim();
    if (value) params.set(name, value);
  }
  const page = await api('GET', `/routes?${params}`);
  const rows = page.items.map((route) => el('tr', null, { 'data-code': route.code }, [
    el('td', route.code), el('td', route.name), el('td', route.keyword), el('td', route.aliases.join(', ')),
    el('td', route.destination ? route.destination.url : t('common.none')), el('td', route.active ? t('common.yes') : t('common.no')), el('td', route.version),
    el('td', null, {}, [button(t('routes.edit'), () => openEditor(route.code), { 'data-write': 'false', class: 'edit-route' })]),
  ]));
  $('route-table').tBodies[0].replaceChildren(...rows);
  const last = Math.min(page.offset + page.limit, page.total);
  $('route-page').textContent = t('routes.page', { first: page.total ? page.offset + 1 : 0, last, total: page.total });
  $('route-prev').disabled = page.offset === 0;
  $('route-next').disabled = last >= page.total;
}

const editorTitle = (route) => t('editor.title', { name: route.name, code: route.code, version: route.version });

async function openEditor(code) {
  const route = await api('GET', `/routes/${encodeURIComponent(code)}`);
  editing = route;
  $('editor-title').textContent = editorTitle(route);
  $('edit-keyword').value = route.keyword;
  $('edit-aliases').value = route.aliases.join('\n');
  $('edit-webhook').value = route.destination ? route.destination.url : '';
  $('edit-secret').value = '';
  $('edit-active').checked = route.active;
  $('editor-status').textContent = '';
  $('edit-save').disabled = !canWrite;
  $('route-editor').hidden = false;
  $('edit-keyword').focus();
}

async function saveRoute(event) {
  event.preventDefault();
  if (!editing) return;
  const url = $('edit-webhook').value.trim();
  const secret = $('edit-secret').value;
  const patch = {
    keyword: $('edit-keyword').value.trim(),
    aliases: $('edit-aliases').value.split('\n').map((a) => a.trim()).filter(Boolean),
    active: $('edit-active').checked,
    destination: url ? { url, ...(secret ? { secret } : {}) } : null,
  };
  try {
    const saved = await api('PATCH', `/routes/${encodeURIComponent(editing.code)}`, patch);
    editing = saved;
    $('edit-secret').value = '';
    $('editor-title').textContent = editorTitle(saved);
    status($('editor-status'), t('editor.saved', { version: saved.version }), true);
    await Promise.all([loadRoutes(), loadAudit()]);
  } catch (err) {
    status($('editor-status'), err.message, false);
  }
}

// Test a message ----------------------------------------------------------------------------------
async function testMessage(event) {
  event.preventDefault();
  const out = $('resolve-result');
  try {
    const r = await api('POST', '/resolve', { text: $('resolve-text').value });
    out.replaceChildren(...fields([
      ['Goes to', t('test.goesTo'), r.route ? `${r.route.name} (${r.route.code})` : t('test.nowhere')],
      ['Keyword', t('test.keyword'), none(r.keyword)], ['Match', t('test.match'), r.matchType],
      ['Named route', t('test.named'), `${r.matched.name} (${r.matched.code})${r.matched.active ? '' : t('test.inactive')}`],
      ['Complaint text', t('test.text'), none(r.complaintText)], ['Why', t('test.why'), r.explanation],
    ]));
  } catch (err) {
    out.replaceChildren(el('dd', err.message, { class: 'error' }));
  }
}

// Dead letters ------------------------------------------------------------------------------------
async function loadDeadLetters() {
  const page = await api('GET', '/dead-letters?limit=200');
  const rows = page.items.map((letter) => el('tr', null, { 'data-id': letter.id }, [
    el('td', letter.trackingId), el('td', letter.routeName ? `${letter.routeName} (${letter.routeCode})` : letter.routeCode),
    el('td', letter.reason), el('td', letter.attempts), el('td', dateTime(letter.failedAt)), el('td', letter.text),
    el('td', null, {}, [button(t('deadLetters.replay'), () => replay(`/dead-letters/${encodeURIComponent(letter.id)}/replay`), { class: 'replay' })]),
  ]));
  $('dead-letter-table').tBodies[0].replaceChildren(...rows);
  $('replay-all').disabled = !canWrite || page.total === 0;
}

async function replay(path) {
  try {
    const { replayed } = await api('POST', path);
    status($('dead-letter-status'), t('deadLetters.replayed', { count: replayed.length, ids: replayed.map((r) => r.trackingId).join(', ') }), true);
  } catch (err) {
    status($('dead-letter-status'), err.message, false);
  }
  await Promise.all([loadDeadLetters(), loadAudit()]);
}

// Audit log ---------------------------------------------------------------------------------------
function describeChange(entry) {
  if (!entry.before || !entry.after) return entry.after ? t('audit.created') : entry.before ? t('audit.removed') : JSON.stringify(entry.details ?? {});
  const changed = Object.keys(entry.after).filter((k) => JSON.stringify(entry.before[k]) !== JSON.stringify(entry.after[k]));
  if (entry.details && entry.details.secretChanged) changed.push('secret');
  return changed.map((k) => (k === 'secret' ? t('audit.secretChanged') : `${k}: ${JSON.stringify(entry.before[k])} → ${JSON.stringify(entry.after[k])}`)).join('; ');
}

async function loadAudit() {
  const page = await api('GET', '/audit?limit=100');
  const rows = page.items.map((entry) => {
    const revertable = entry.action.startsWith('route.') && entry.version > 1;
    const revert = revertable ? [button(t('audit.revert', { version: entry.version - 1 }), async () => {
      try {
        await api('POST', `/routes/${encodeURIComponent(entry.target)}/revert`, { version: entry.version - 1 });
      } catch (err) {
        alert(err.message);
      }
      await Promise.all([loadRoutes(), loadAudit()]);
    })] : [];
    return el('tr', null, {}, [
      el('td', dateTime(entry.at)), el('td', entry.actor), el('td', entry.action), el('td', entry.target),
      el('td', entry.version ?? ''), el('td', describeChange(entry)), el('td', null, {}, revert),
    ]);
  });
  $('audit-table').tBodies[0].replaceChildren(...rows);
}

// Hash links --------------------------------------------------------------------------------------
/**
 * `#aduan/7K3QX9MP` opens that complaint (the Kinerja overdue list links there); coming back to `#performance` shows
 * its figures as they are now; the language switch comes back here.
 */
async function followHash({ arrived = false } = {}) {
  $('language-next').value = `/admin${location.hash}`;
  const [section, trackingId] = location.hash.slice(1).split('/');
  if (section === 'performance' && arrived) return loadPerformance();
  if (section !== 'aduan' || !trackingId) return;
  $('aduan').scrollIntoView();
  const complaint = await showComplaint(decodeURIComponent(trackingId));
  // Showing an identity wrote an audit entry: let the admin see it there.
  if (complaint?.identityShown) await loadAudit();
}

function searchComplaint(event) {
  event.preventDefault();
  const hash = `#aduan/${encodeURIComponent($('complaint-search-text').value.trim().toUpperCase())}`;
  if (location.hash === hash) void followHash();
  else location.hash = hash;
}

// Wiring ------------------------------------------------------------------------------------------
$('route-search').addEventListener('submit', (event) => { event.preventDefault(); routeOffset = 0; void loadRoutes(); });
$('route-prev').addEventListener('click', () => { routeOffset = Math.max(0, routeOffset - ROUTE_PAGE); void loadRoutes(); });
$('route-next').addEventListener('click', () => { routeOffset += ROUTE_PAGE; void loadRoutes(); });
$('route-editor').addEventListener('submit', saveRoute);
$('edit-cancel').addEventListener('click', () => { $('route-editor').hidden = true; editing = null; });
$('resolve-form').addEventListener('submit', testMessage);
$('dead-letter-refresh').addEventListener('click', () => void loadDeadLetters());
$('replay-all').addEventListener('click', () => { if (confirm(t('deadLetters.confirmAll'))) void replay('/dead-letters/replay'); });
$('audit-refresh').addEventListener('click', () => void loadAudit());
$('complaint-search').addEventListener('submit', searchComplaint);
window.addEventListener('hashchange', () => void followHash({ arrived: true }));
void Promise.all([loadRoutes(), loadDeadLetters(), loadAudit(), startPerformance(), followHash()]);
