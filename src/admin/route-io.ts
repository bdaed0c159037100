/**
 * Route import/export as JSON or CSV. An import is checked whole against the table it would produce:
 * every bad row is reported with its line and reason, and nothing is applied unless every row is good.
 */
import type { Route } from '../route.js';
import { findKeyClashes, publicRoute, type RouteChange } from '../route-registry.js';
import { buildRoute, ImportRow } from './route-input.js';

export const ROUTE_FILE_FORMATS = ['json', 'csv'] as const;
export type RouteFileFormat = (typeof ROUTE_FILE_FORMATS)[number];

export const CSV_COLUMNS = ['code', 'name', 'level', 'keyword', 'aliases', 'parent', 'active', 'webhook_url', 'webhook_secret'] as const;
/** Aliases share one CSV cell; ';' can never be part of a keyword a citizen types (it separates words). */
const ALIAS_SEPARATOR = ';';

export interface RowProblem { line: number; code: string | null; reason: string }
interface FileRow { line: number; value: unknown }

/** Every route, secrets left out (an import keeps the stored secret when the URL is unchanged). */
export function exportRoutes(routes: Iterable<Route>, format: RouteFileFormat): string {
  const sorted = [...routes].sort((a, b) => a.code.localeCompare(b.code)).map(publicRoute);
  if (format === 'json') return `[\n${sorted.map((r) => `  ${JSON.stringify(r)}`).join(',\n')}\n]\n`;
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = sorted.map((r) => [r.code, r.name, r.level, r.keyword, r.aliases.join(ALIAS_SEPARATOR), r.parent ?? '', String(r.active), r.destination?.url ?? '', ''].map(cell).join(','));
  return `${[CSV_COLUMNS.join(','), ...lines].join('\n')}\n`;
}

/** RFC 4180 records with the line each starts on (quoted cells may span lines). */
function parseCsv(text: string): Array<{ line: number; cells: string[] }> {
  const records: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false;
      else { if (c === '\n') line++; cell += c; }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') { cells.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      cells.push(cell);
      if (cells.some((v) => v !== '')) records.push({ line: start, cells });
      cells = []; cell = ''; line++; start = line;
    } else cell += c;
  }
  cells.push(cell);
  if (cells.some((v) => v !== '')) records.push({ line: start, cells });
  return records;
}

function csvRows(text: string): FileRow[] | RowProblem {
  const [header, ...records] = parseCsv(text.replace(/^\uFEFF/, ''));
  const columns = header?.cells.map((c) => c.trim().toLowerCase()) ?? [];
  const missing = ['code', 'name', 'keyword'].filter((c) => !columns.includes(c));
  const unknown = columns.filter((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (missing.length || unknown.length) {
    return { line: 1, code: null, reason: `the header must name the columns ${CSV_COLUMNS.join(',')}${missing.length ? `; missing ${missing.join(', ')}` : ''}${unknown.length ? `; unknown ${unknown.join(', ')}` : ''}` };
  }
  return records.map(({ line, cells }) => {
    const get = (name: string) => { const i = columns.indexOf(name); return i < 0 ? undefined : cells[i]?.trim(); };
    const active = get('active');
    const url = get('webhook_url');
    const secret = get('webhook_secret');
    return {
      line,
      value: {
        code: get('code'), name: get('name'), keyword: get('keyword'),
        ...(get('level') ? { level: get('level') } : {}),
        ...(get('parent') !== undefined ? { parent: get('parent') || null } : {}),
        aliases: (get('aliases') ?? '').split(ALIAS_SEPARATOR).map((a) => a.trim()).filter(Boolean),
        ...(active ? { active: active === 'true' ? true : active === 'false' ? false : active } : {}),
        destination: url ? { url, ...(secret ? { secret } : {}) } : null,
      },
    };
  });
}

/** The top-level array items of a JSON file, each with the line it starts on. */
function jsonRows(text: string): FileRow[] | RowProblem {
  let items: unknown;
  try { items = JSON.parse(text); } catch (err) { return { line: 1, code: null, reason: `not valid JSON: ${(err as Error).message}` }; }
  if (!Array.isArray(items)) return { line: 1, code: null, reason: 'the file must be a JSON array of routes' };
  const starts: number[] = [];
  let depth = 0; let inString = false; let line = 1; let expectItem = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    if (inString) { if (c === '\\') i++; else if (c === '"') inString = false; continue; }
    if (depth === 1 && expectItem && !/\s/.test(c) && c !== ']') { starts.push(line); expectItem = false; }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') { depth++; if (depth === 1) expectItem = true; }
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expectItem = true;
  }
  return items.map((value, i) => ({ line: starts[i] ?? 1, value }));
}

/** Rows of the file, or the one problem that stops reading it. */
export function readRouteFile(text: string, format: RouteFileFormat): FileRow[] | RowProblem {
  return format === 'csv' ? csvRows(text) : jsonRows(text);
}

export type ImportPlan = { ok: true; changes: RouteChange[]; rows: number } | { ok: false; problems: RowProblem[] };

/** Check every row against the table it would produce; the changes only when every row is good. */
export function planImport(text: string, format: RouteFileFormat, current: ReadonlyMap<string, Route>): ImportPlan {
  const rows = readRouteFile(text, format);
  if (!Array.isArray(rows)) return { ok: false, problems: [rows] };
  if (rows.length === 0) return { ok: false, problems: [{ line: 1, code: null, reason: 'the file has no routes' }] };
  const problems: RowProblem[] = [];
  const table = new Map(current);
  const lineOf = new Map<string, number>();
  const built: Array<{ line: number; route: Route }> = [];
  const candidates = rows.flatMap(({ line, value }) => {
    const parsed = ImportRow.safeParse(value);
    if (!parsed.success) {
      const code = typeof (value as { code?: unknown })?.code === 'string' ? (value as { code: string }).code : null;
      problems.push({ line, code, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ') });
      return [];
    }
    const first = lineOf.get(parsed.data.code);
    if (first !== undefined) { problems.push({ line, code: parsed.data.code, reason: `route ${parsed.data.code} is already on line ${first}` }); return []; }
    lineOf.set(parsed.data.code, line);
    return [{ line, row: parsed.data }];
  });
  // Parents may be new rows of the same file, so the table gets every row before parents are checked.
  for (const { row } of candidates) table.set(row.code, { ...row, level: row.level ?? 'regency', parent: row.parent ?? null, destination: undefined });
  for (const { line, row } of candidates) {
    const result = buildRoute(row.code, row, current.get(row.code), table);
    if (!result.ok) {
      problems.push({ line, code: row.code, reason: Object.entries(result.fields).map(([f, m]) => `${f}: ${m}`).join('; ') });
      const before = current.get(row.code);
      if (before) table.set(row.code, before); else table.delete(row.code);
      continue;
    }
    built.push({ line, route: result.route });
    table.set(row.code, result.route);
  }
  // Only rows that change something can introduce a clash; the route that already has the word is not at fault.
  const changed = built.filter(({ route }) => JSON.stringify(route) !== JSON.stringify(current.get(route.code)));
  for (const clash of findKeyClashes(table, changed.map((b) => b.route.code))) {
    const where = lineOf.has(clash.owner.code) ? `line ${lineOf.get(clash.owner.code)}` : 'the table';
    problems.push({ line: lineOf.get(clash.code)!, code: clash.code, reason: `"${clash.word}" already belongs to ${clash.owner.name} (${clash.owner.code}, ${where})` });
  }
  if (problems.length) return { ok: false, problems: problems.sort((a, b) => a.line - b.line) };
  return { ok: true, changes: changed.map(({ route }) => ({ code: route.code, route })), rows: rows.length };
}
