/**
 * Server-rendered admin pages: the sign-in form and the dashboard shell that admin.js fills in, in the admin's
 * language (src/admin/i18n.ts). The dashboard carries its dictionary as a JSON data block for admin.js: data, not
 * script, so the pages' CSP (scripts from 'self' only) holds.
 */
import { escapeHtml } from '../../adapters/web/page.js';
import { DICTIONARIES, LANGUAGES, type Language, type TextKey } from './i18n.js';
import type { Admin } from './tokens.js';

type Words = (key: TextKey, values?: Record<string, string | number>) => string;
/** Escaped text in `language`; its values are markup and go in as they are (escape any text in them first). */
const wordsIn = (language: Language): Words => (key, values = {}) =>
  escapeHtml(DICTIONARIES[language][key]).replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? String(values[name]) : whole));

/** ID | EN: a form, so it works on the sign-in page without script; `next` is where to come back to. */
function languageSwitch(language: Language, t: Words, next: string): string {
  const buttons = LANGUAGES.map((l) => `<button type="submit" name="lang" value="${l}" id="language-${l}" lang="${l}"${l === language ? ' aria-pressed="true"' : ''}>${l.toUpperCase()}</button>`);
  return `<form method="post" action="/admin/language" class="language" aria-label="${t('language.switch')}"><input type="hidden" name="next" id="language-next" value="${escapeHtml(next)}">${buttons.join('<span aria-hidden="true">|</span>')}</form>`;
}

function layout(language: Language, title: string, body: string, bodyAttributes = '', head = ''): string {
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title><link rel="stylesheet" href="/admin/assets/admin.css">${head}</head><body${bodyAttributes}>${body}</body></html>`;
}

export function renderSignIn(language: Language, error?: TextKey): string {
  const t = wordsIn(language);
  return layout(language, t('signIn.title'), `<main class="narrow"><h1>${t('signIn.heading')}</h1>
${error ? `<p class="error" role="alert">${t(error)}</p>` : ''}
<form method="post" action="/admin/session">
<label for="token">${t('signIn.token')}</label><input type="password" id="token" name="token" autocomplete="current-password" required>
<button type="submit">${t('signIn.submit')}</button></form>
<p class="hint">${t('signIn.hint', { command: '<code>pintu admin token NAME admin|viewer</code>', setting: '<code>ADMIN_TOKENS</code>' })}</p>
<footer class="row">${t('language.switch')}: ${languageSwitch(language, t, '/admin/login')}</footer></main>`);
}

const levelOptions = (t: Words) => `<option value="">${t('level.all')}</option><option value="national">${t('level.national')}</option><option value="province">${t('level.province')}</option><option value="regency">${t('level.regency')}</option>`;
/** A table head; `actions` adds the last, unnamed column of row buttons. */
const headings = (t: Words, keys: TextKey[], actions = true) => `<thead><tr>${keys.map((k) => `<th>${t(k)}</th>`).join('')}${actions ? '<th></th>' : ''}</tr></thead>`;

export function renderDashboard(admin: Admin, language: Language): string {
  const t = wordsIn(language);
  const readOnly = admin.role === 'admin' ? '' : `<p class="hint">${t('dashboard.viewerHint')}</p>`;
  const dictionary = JSON.stringify(DICTIONARIES[language]).replace(/</g, '\\u003c');
  return layout(language, t('dashboard.title'), `<header><strong>${t('dashboard.title')}</strong>
<span>${t('dashboard.signedInAs', { name: `<b id="admin-name">${escapeHtml(admin.name)}</b>`, role: t(`role.${admin.role}`) })}</span>
${languageSwitch(language, t, '/admin')}
<form method="post" action="/admin/logout"><button type="submit" class="link">${t('dashboard.signOut')}</button></form></header>
<nav><a href="#performance">${t('nav.performance')}</a><a href="#aduan">${t('nav.complaint')}</a><a href="#routes">${t('nav.routes')}</a><a href="#test">${t('nav.test')}</a><a href="#dead-letters">${t('nav.deadLetters')}</a><a href="#audit">${t('nav.audit')}</a><a href="/admin/queues/">${t('nav.queues')}</a></nav>
<main>${readOnly}
<section id="performance"><h2>${t('performance.heading')}</h2>
<form id="performance-filter" class="row filters">
<label>${t('performance.from')} <input type="date" id="performance-from" name="from"></label>
<label>${t('performance.to')} <input type="date" id="performance-to" name="to"></label>
<label>${t('performance.province')} <select id="performance-province" name="province"><option value="">${t('performance.allProvinces')}</option></select></label>
<label>${t('performance.level')} <select id="performance-level" name="level">${levelOptions(t)}</select></label>
<button type="submit">${t('performance.apply')}</button> <a id="performance-csv" class="button" href="/admin/api/performance?format=csv" download>${t('performance.csv')}</a></form>
<p id="performance-status" role="status"></p>
<h3>${t('performance.chartHeading')}</h3>
<div id="performance-chart" class="chart"></div><p id="performance-chart-empty" class="hint" hidden>${t('performance.chartEmpty')}</p>
<h3>${t('performance.tableHeading')}</h3><p class="hint">${t('performance.rankNote')}</p><p id="performance-summary"></p>
<div class="scroll"><table id="performance-table"><thead></thead><tbody></tbody></table></div>
<h3>${t('overdue.heading')}</h3><p id="overdue-total"></p><p id="overdue-empty" class="hint" hidden>${t('overdue.empty')}</p>
<table id="overdue-table" hidden>${headings(t, ['overdue.tracking', 'overdue.route', 'overdue.level', 'overdue.stage', 'overdue.deadline', 'overdue.since', 'overdue.escalatedTo'], false)}<tbody></tbody></table></section>
<section id="aduan"><h2>${t('complaint.heading')}</h2>
<form id="complaint-search" class="row"><label for="complaint-search-text">${t('complaint.label')}</label>
<input type="search" id="complaint-search-text" name="trackingId" placeholder="7K3QX9MP" maxlength="20" required autocomplete="off">
<button type="submit">${t('common.search')}</button></form>
<p id="complaint-status" role="status"></p>
<div id="complaint-result" hidden><dl id="complaint-summary"></dl>
<h3>${t('complaint.text')}</h3><p id="complaint-text" class="complaint-text"></p>
<h3>${t('complaint.identity')}</h3><div id="complaint-identity"></div>
<h3>${t('complaint.timeline')}</h3>
<table id="complaint-timeline">${headings(t, ['complaint.at', 'complaint.status', 'complaint.agency', 'complaint.note', 'complaint.to'], false)}<tbody></tbody></table></div></section>
<section id="routes"><h2>${t('routes.heading')}</h2>
<form id="route-search" class="row">
<input type="search" name="text" id="route-search-text" placeholder="${t('routes.searchPlaceholder')}">
<select name="level" id="route-search-level">${levelOptions(t)}</select>
<input type="text" name="province" id="route-search-province" placeholder="${t('routes.provincePlaceholder')}" size="8" pattern="\\d{2}">
<button type="submit">${t('common.search')}</button></form>
<table id="route-table">${headings(t, ['routes.code', 'routes.name', 'routes.keyword', 'routes.aliases', 'routes.webhook', 'routes.active', 'routes.version'])}<tbody></tbody></table>
<p class="pager"><button type="button" id="route-prev">${t('routes.previous')}</button> <span id="route-page"></span> <button type="button" id="route-next">${t('routes.next')}</button></p>
<form id="route-editor" hidden><h3 id="editor-title"></h3>
<label for="edit-keyword">${t('editor.keyword')}</label><input type="text" id="edit-keyword" name="keyword" required>
<label for="edit-aliases">${t('editor.aliases')}</label><textarea id="edit-aliases" name="aliases" rows="4"></textarea>
<label for="edit-webhook">${t('editor.webhook')}</label><input type="url" id="edit-webhook" name="webhook">
<label for="edit-secret">${t('editor.secret')}</label><input type="password" id="edit-secret" name="secret" autocomplete="new-password">
<label class="check"><input type="checkbox" id="edit-active" name="active"> ${t('editor.active')}</label>
<p class="row"><button type="submit" id="edit-save">${t('editor.save')}</button> <button type="button" id="edit-cancel">${t('editor.close')}</button></p>
<p id="editor-status" role="status"></p></form></section>
<section id="test"><h2>${t('test.heading')}</h2>
<form id="resolve-form"><label for="resolve-text">${t('test.label')}</label><textarea id="resolve-text" rows="2" placeholder="PekalonganKota jalan rusak di depan pasar"></textarea><button type="submit">${t('test.submit')}</button></form>
<dl id="resolve-result"></dl></section>
<section id="dead-letters"><h2>${t('deadLetters.heading')}</h2>
<p class="row"><button type="button" id="dead-letter-refresh">${t('common.refresh')}</button> <button type="button" id="replay-all">${t('deadLetters.replayAll')}</button> <span id="dead-letter-status" role="status"></span></p>
<table id="dead-letter-table">${headings(t, ['deadLetters.tracking', 'deadLetters.route', 'deadLetters.reason', 'deadLetters.attempts', 'deadLetters.failedAt', 'deadLetters.complaint'])}<tbody></tbody></table></section>
<section id="audit"><h2>${t('audit.heading')}</h2><p><button type="button" id="audit-refresh">${t('common.refresh')}</button></p>
<table id="audit-table">${headings(t, ['audit.when', 'audit.who', 'audit.action', 'audit.target', 'audit.version', 'audit.change'])}<tbody></tbody></table></section>
</main><script type="application/json" id="admin-text">${dictionary}</script>`,
  ` data-role="${escapeHtml(admin.role)}"`,
  '<link rel="stylesheet" href="/admin/assets/uPlot.min.css"><script src="/admin/assets/uPlot.iife.min.js" defer></script><script type="module" src="/admin/assets/admin.js"></script>');
}
