/** Server-rendered admin pages: the sign-in form and the dashboard shell that admin.js fills in. */
import { escapeHtml } from '../../adapters/web/page.js';
import type { Admin } from './tokens.js';

function layout(title: string, body: string, bodyAttributes = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><link rel="stylesheet" href="/admin/assets/admin.css"></head><body${bodyAttributes}>${body}</body></html>`;
}

export function renderSignIn(error?: string): string {
  return layout('Sign in — Pintu admin', `<main class="narrow"><h1>Pintu administration</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/admin/session">
<label for="token">Admin token</label><input type="password" id="token" name="token" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p class="hint">A token comes from <code>pintu admin token NAME admin|viewer</code>; its hash goes in <code>ADMIN_TOKENS</code>.</p></main>`);
}

export function renderDashboard(admin: Admin): string {
  const readOnly = admin.role === 'admin' ? '' : '<p class="hint">You are a viewer: you can look, not change.</p>';
  return layout('Pintu admin', `<header><strong>Pintu admin</strong>
<span>Signed in as <b id="admin-name">${escapeHtml(admin.name)}</b> (${escapeHtml(admin.role)})</span>
<form method="post" action="/admin/logout"><button type="submit" class="link">Sign out</button></form></header>
<nav><a href="#routes">Routes</a><a href="#test">Test a message</a><a href="#dead-letters">Dead letters</a><a href="#audit">Audit log</a><a href="/admin/queues/">Queues</a></nav>
<main>${readOnly}
<section id="routes"><h2>Routes</h2>
<form id="route-search" class="row">
<input type="search" name="text" id="route-search-text" placeholder="Name, keyword, alias or code">
<select name="level" id="route-search-level"><option value="">All levels</option><option value="national">National</option><option value="province">Province</option><option value="regency">Regency / city</option></select>
<input type="text" name="province" id="route-search-province" placeholder="Province code" size="8" pattern="\\d{2}">
<button type="submit">Search</button></form>
<table id="route-table"><thead><tr><th>Code</th><th>Name</th><th>Keyword</th><th>Aliases</th><th>Webhook</th><th>Active</th><th>v</th><th></th></tr></thead><tbody></tbody></table>
<p class="pager"><button type="button" id="route-prev">Previous</button> <span id="route-page"></span> <button type="button" id="route-next">Next</button></p>
<form id="route-editor" hidden><h3 id="editor-title"></h3>
<label for="edit-keyword">Keyword</label><input type="text" id="edit-keyword" name="keyword" required>
<label for="edit-aliases">Aliases (one per line)</label><textarea id="edit-aliases" name="aliases" rows="4"></textarea>
<label for="edit-webhook">Webhook URL (https, or http to localhost; empty: use the parent's)</label><input type="url" id="edit-webhook" name="webhook">
<label for="edit-secret">Signing secret (write-only; leave empty to keep the current one for the same URL)</label><input type="password" id="edit-secret" name="secret" autocomplete="new-password">
<label class="check"><input type="checkbox" id="edit-active" name="active"> Active (inactive: complaints go to the parent region)</label>
<p class="row"><button type="submit" id="edit-save">Save</button> <button type="button" id="edit-cancel">Close</button></p>
<p id="editor-status" role="status"></p></form></section>
<section id="test"><h2>Test a message</h2>
<form id="resolve-form"><label for="resolve-text">A message as a citizen would send it</label><textarea id="resolve-text" rows="2" placeholder="PekalonganKota jalan rusak di depan pasar"></textarea><button type="submit">Test</button></form>
<dl id="resolve-result"></dl></section>
<section id="dead-letters"><h2>Dead letters</h2>
<p class="row"><button type="button" id="dead-letter-refresh">Refresh</button> <button type="button" id="replay-all">Replay all</button> <span id="dead-letter-status" role="status"></span></p>
<table id="dead-letter-table"><thead><tr><th>Tracking</th><th>Route</th><th>Reason</th><th>Attempts</th><th>Failed at</th><th>Complaint</th><th></th></tr></thead><tbody></tbody></table></section>
<section id="audit"><h2>Audit log</h2><p><button type="button" id="audit-refresh">Refresh</button></p>
<table id="audit-table"><thead><tr><th>When</th><th>Who</th><th>Action</th><th>Target</th><th>Version</th><th>Change</th><th></th></tr></thead><tbody></tbody></table></section>
</main><script src="/admin/assets/admin.js" defer></script>`, ` data-role="${escapeHtml(admin.role)}"`);
}
