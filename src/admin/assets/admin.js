// Pintu admin UI. Every value from citizens or admins is put into the page with textContent, never as HTML.
'use strict';

const canWrite = document.body.dataset.role === 'admin';
const $ = (id) => document.getElementById(id);

/** Calls the admin API with the session cookie; throws the API's message on an error status. */
async function api(method, path, body) {
  const res = await fetch(`/admin/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  if (!res.ok) {
    const fields = data && data.fields ? ` (${Object.entries(data.fields).map(([f, m]) => `${f}: ${m}`).join('; ')})` : '';
    throw new Error(`${(data && data.message) || `HTTP ${res.status}`}${fields}`);
  }
  return data;
}

/** A element with text content and optional attributes/children. */
function el(tag, text, attributes = {}, children = []) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function button(label, onClick, attributes = {}) {
  const b = el('button', label, { type: 'button', ...attributes });
  if (!canWrite && attributes['data-write'] !== 'false') b.disabled = true;
  b.addEventListener('click', onClick);
  return b;
}

function status(node, message, ok) {
  node.textContent = message;
  node.className = ok ? 'ok' : 'error';
}

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
    el('td', route.destination ? route.destination.url : '—'), el('td', route.active ? 'yes' : 'no'), el('td', route.version),
    el('td', null, {}, [button('Edit', () => openEditor(route.code), { 'data-write': 'false', class: 'edit-route' })]),
  ]));
  $('route-table').tBodies[0].replaceChildren(...rows);
  const last = Math.min(page.offset + page.limit, page.total);
  $('route-page').textContent = `${page.total ? page.offset + 1 : 0}–${last} of ${page.total}`;
  $('route-prev').disabled = page.offset === 0;
  $('route-next').disabled = last >= page.total;
}

async function openEditor(code) {
  const route = await api('GET', `/routes/${encodeURIComponent(code)}`);
  editing = route;
  $('editor-title').textContent = `${route.name} (${route.code}) — version ${route.version}`;
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
    $('editor-title').textContent = `${saved.name} (${saved.code}) — version ${saved.version}`;
    status($('editor-status'), `Saved: version ${saved.version}, live in every process within a second.`, true);
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
    const rows = [
      ['Goes to', r.route ? `${r.route.name} (${r.route.code})` : 'nowhere: the citizen gets the format help'],
      ['Keyword', r.keyword ?? '—'], ['Match', r.matchType], ['Named route', `${r.matched.name} (${r.matched.code})${r.matched.active ? '' : ', inactive'}`],
      ['Complaint text', r.complaintText || '—'], ['Why', r.explanation],
    ];
    out.replaceChildren(...rows.flatMap(([term, value]) => [el('dt', term), el('dd', value, { 'data-field': term })]));
  } catch (err) {
    out.replaceChildren(el('dd', err.message, { class: 'error' }));
  }
}

// Dead letters ------------------------------------------------------------------------------------
async function loadDeadLetters() {
  const page = await api('GET', '/dead-letters?limit=200');
  const rows = page.items.map((letter) => el('tr', null, { 'data-id': letter.id }, [
    el('td', letter.trackingId), el('td', letter.routeName ? `${letter.routeName} (${letter.routeCode})` : letter.routeCode),
    el('td', letter.reason), el('td', letter.attempts), el('td', new Date(letter.failedAt).toLocaleString()), el('td', letter.text),
    el('td', null, {}, [button('Replay', () => replay(`/dead-letters/${encodeURIComponent(letter.id)}/replay`))]),
  ]));
  $('dead-letter-table').tBodies[0].replaceChildren(...rows);
  $('replay-all').disabled = !canWrite || page.total === 0;
}

async function replay(path) {
  try {
    const { replayed } = await api('POST', path);
    status($('dead-letter-status'), `Replayed ${replayed.length}: ${replayed.map((r) => r.trackingId).join(', ')}`, true);
  } catch (err) {
    status($('dead-letter-status'), err.message, false);
  }
  await Promise.all([loadDeadLetters(), loadAudit()]);
}

// Audit log ---------------------------------------------------------------------------------------
function describeChange(entry) {
  if (!entry.before || !entry.after) return entry.after ? 'created' : entry.before ? 'removed' : JSON.stringify(entry.details ?? {});
  const changed = Object.keys(entry.after).filter((k) => JSON.stringify(entry.before[k]) !== JSON.stringify(entry.after[k]));
  if (entry.details && entry.details.secretChanged) changed.push('secret');
  return changed.map((k) => (k === 'secret' ? 'secret changed' : `${k}: ${JSON.stringify(entry.before[k])} → ${JSON.stringify(entry.after[k])}`)).join('; ');
}

async function loadAudit() {
  const page = await api('GET', '/audit?limit=100');
  const rows = page.items.map((entry) => {
    const revertable = entry.action.startsWith('route.') && entry.version > 1;
    const revert = revertable ? [button(`Revert to v${entry.version - 1}`, async () => {
      try {
        await api('POST', `/routes/${encodeURIComponent(entry.target)}/revert`, { version: entry.version - 1 });
      } catch (err) {
        alert(err.message);
      }
      await Promise.all([loadRoutes(), loadAudit()]);
    })] : [];
    return el('tr', null, {}, [
      el('td', new Date(entry.at).toLocaleString()), el('td', entry.actor), el('td', entry.action), el('td', entry.target),
      el('td', entry.version ?? ''), el('td', describeChange(entry)), el('td', null, {}, revert),
    ]);
  });
  $('audit-table').tBodies[0].replaceChildren(...rows);
}

// Wiring ------------------------------------------------------------------------------------------
$('route-search').addEventListener('submit', (event) => { event.preventDefault(); routeOffset = 0; void loadRoutes(); });
$('route-prev').addEventListener('click', () => { routeOffset = Math.max(0, routeOffset - ROUTE_PAGE); void loadRoutes(); });
$('route-next').addEventListener('click', () => { routeOffset += ROUTE_PAGE; void loadRoutes(); });
$('route-editor').addEventListener('submit', saveRoute);
$('edit-cancel').addEventListener('click', () => { $('route-editor').hidden = true; editing = null; });
$('resolve-form').addEventListener('submit', testMessage);
$('dead-letter-refresh').addEventListener('click', () => void loadDeadLetters());
$('replay-all').addEventListener('click', () => { if (confirm('Replay every dead letter?')) void replay('/dead-letters/replay'); });
$('audit-refresh').addEventListener('click', () => void loadAudit());
void Promise.all([loadRoutes(), loadDeadLetters(), loadAudit()]);
