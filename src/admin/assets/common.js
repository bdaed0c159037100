// What every part of the admin UI shares: the page's words, the API client, and element builders.
// Every value from citizens, agencies or admins goes into the page with textContent, never as HTML.

/** The dictionary the server rendered the page with (src/admin/i18n.ts), so page and script speak one language. */
const TEXT = JSON.parse(document.getElementById('admin-text').textContent);
export const LOCALE = TEXT.locale;
export const canWrite = document.body.dataset.role === 'admin';
export const $ = (id) => document.getElementById(id);

/** A text in the page's language with its `{name}` values filled in. */
export function t(key, values = {}) {
  const template = TEXT[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** An error from the admin API, with its HTTP status (0: the server could not be reached). */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** Calls the admin API with the session cookie; throws the API's message (or ours) on an error. */
export async function api(method, path, body) {
  let res;
  try {
    res = await fetch(`/admin/api${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(t('error.network'), 0);
  }
  const data = res.headers.get('content-type')?.includes('json') ? await res.json() : null;
  // The session ended (signed out elsewhere, token withdrawn): say what to do rather than the API's words for programs.
  if (res.status === 401) throw new ApiError(t('error.signedOut'), 401);
  if (!res.ok) {
    const fields = data && data.fields ? ` (${Object.entries(data.fields).map(([f, m]) => `${f}: ${m}`).join('; ')})` : '';
    throw new ApiError(`${(data && data.message) || t('error.http', { status: res.status })}${fields}`, res.status);
  }
  return data;
}

/** An element with text content and optional attributes/children. */
export function el(tag, text, attributes = {}, children = []) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

/** A button; one that changes something is disabled for viewers unless `data-write` is "false". */
export function button(label, onClick, attributes = {}) {
  const b = el('button', label, { type: 'button', ...attributes });
  if (!canWrite && attributes['data-write'] !== 'false') b.disabled = true;
  b.addEventListener('click', onClick);
  return b;
}

export function status(node, message, ok) {
  node.textContent = message;
  node.className = ok ? 'ok' : 'error';
}

/** Term/value pairs for a <dl>; each value carries `data-field` so tests and scripts find it in any language. */
export const fields = (rows) => rows.flatMap(([field, term, value]) => [el('dt', term), el('dd', value, { 'data-field': field })]);

export const none = (value) => (value === null || value === undefined || value === '' ? t('common.none') : value);
export const dateTime = (iso) => (iso ? new Date(iso).toLocaleString(LOCALE) : t('common.none'));
export const number = (value, digits = 1) => (value === null || value === undefined ? t('common.none') : value.toLocaleString(LOCALE, { maximumFractionDigits: digits }));
/** A channel's name; a channel the dictionary does not know yet by its own name. */
export const channelName = (channel) => (`channel.${channel}` in TEXT ? t(`channel.${channel}`) : channel);
/** "Kota Pekalongan (33.75)" for a route or agency reference; — for none. */
export const agency = (ref) => (ref ? `${ref.name} (${ref.code})` : t('common.none'));
