/**
 * Keyword parsing and route resolution: pure functions over an index built from the routes.
 * "PekalonganKota jalan rusak" → route 33.75, complaint text "jalan rusak".
 */
import type { MatchType, Region } from './complaint.js';
import { NATIONAL_CODE, ORDINARY_WORDS, type Route } from './route.js';

/** Longest keyword, in words, that we try ("Kota Administrasi Jakarta Pusat" is 5; allow typed extras). */
const MAX_KEYWORD_WORDS = 6;
/** Fuzzy matching needs a name this long, so short words never turn into regions. */
const MIN_FUZZY_NAME = 5;

/** Whole words that mean the same marker: "Kabupaten Pekalongan" = "Kab Pekalongan". */
const MARKER_SYNONYMS: ReadonlyMap<string, string> = new Map(Object.entries({
  kabupaten: 'kab', kab: 'kab', pemkab: 'kab',
  kota: 'kota', kotamadya: 'kota', pemkot: 'kota',
  provinsi: 'prov', propinsi: 'prov', prov: 'prov', pemprov: 'prov',
}));
const MARKERS = ['kota', 'kab', 'prov'] as const;
type Marker = (typeof MARKERS)[number];
const LEADING_LAPOR = /^\s*lapor!?(?=[\s,;:]|$)[\s,;:]*/i;
const TOKEN = /[^\s,;:]+/gu;
const MEANINGFUL = /[\p{L}\p{N}\p{Extended_Pictographic}]/u;

/** Case-, accent-, space-, hyphen- and punctuation-insensitive form of a keyword. */
export function normalizeKey(word: string): string {
  // Most words are plain ASCII: skip the Unicode decomposition for them (resolution runs on every message).
  if (ASCII.test(word)) return word.toLowerCase().replace(/[^a-z0-9]+/g, '');
  return word.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}
const ASCII = /^[\x00-\x7f]*$/;

/** A normalized word as the index spells it: a marker word in its short form ("kabupaten" → "kab"). */
const markerWord = (word: string) => MARKER_SYNONYMS.get(word) ?? word;

/** A key with its long marker words shortened the way the index stores them. */
function canonicalKey(words: string[]): string {
  return shortenMarkers(words.map(markerWord).join(''));
}

/** Marker words run into a name ("kabupatenpekalongan") shortened at either end ("kabpekalongan"). */
function shortenMarkers(key: string): string {
  if (!LONG_MARKER.test(key)) return key;
  return key
    .replace(/^(kabupaten|provinsi|propinsi)/, (m) => MARKER_SYNONYMS.get(m)!)
    .replace(/(kabupaten|provinsi|propinsi)$/, (m) => MARKER_SYNONYMS.get(m)!);
}
const LONG_MARKER = /kabupaten|provinsi|propinsi/;

/** The lookup key of a keyword or alias as typed by an admin ("Kota Pekalongan", "kota-pekalongan" → "kotapekalongan"). */
export function routeKey(phrase: string): string {
  return canonicalKey(phrase.split(/[\s-]+/).map(normalizeKey));
}

interface IndexEntry {
  code: string;
  matchType: 'exact' | 'alias' | 'ambiguous';
  /** For an ambiguous bare name: the regions that share it. */
  candidates?: string[];
}

export interface RouteIndex {
  readonly routes: ReadonlyMap<string, Route>;
  readonly keys: ReadonlyMap<string, IndexEntry>;
  /** Per marker, the normalized bare names that fuzzy matching may reach. */
  readonly fuzzyNames: Readonly<Record<Marker, ReadonlyArray<{ name: string; code: string }>>>;
  readonly version: number;
  /** The longest key: longer word runs cannot match and are not looked up. */
  readonly maxKeyLength: number;
}

function markerOf(route: Route): Marker | null {
  if (route.level === 'province') return 'prov';
  if (route.level !== 'regency') return null;
  return route.name.startsWith('Kota') ? 'kota' : 'kab';
}

/** The bare name of a region: its keyword without the marker ("PekalonganKota" → "pekalongan"). */
function bareName(route: Route): string | null {
  const marker = markerOf(route);
  const key = normalizeKey(route.keyword);
  return marker && key.endsWith(marker) && key.length > marker.length ? key.slice(0, -marker.length) : null;
}

/** Nearest route both codes sit under: "33.26" and "33.75" → "33"; across provinces → national. */
function commonAncestor(codes: string[], routes: ReadonlyMap<string, Route>): string {
  const chain = (code: string): string[] => {
    const out: string[] = [];
    for (let c: string | null | undefined = code; c; c = routes.get(c)?.parent) out.push(c);
    return out;
  };
  const [first, ...rest] = codes.map(chain);
  return first?.find((c) => rest.every((ch) => ch.includes(c))) ?? NATIONAL_CODE;
}

export function buildRouteIndex(routeList: Iterable<Route>, version = 0): RouteIndex {
  const routes = new Map<string, Route>();
  for (const r of routeList) routes.set(r.code, r);
  const keys = new Map<string, IndexEntry>();
  for (const r of routes.values()) {
    keys.set(routeKey(r.keyword), { code: r.code, matchType: 'exact' });
  }
  for (const r of routes.values()) {
    for (const alias of r.aliases) {
      const key = routeKey(alias);
      if (!keys.has(key)) keys.set(key, { code: r.code, matchType: 'alias' });
    }
  }
  // A bare name several regions share ("Pekalongan") goes to where they meet: their province or national.
  const sharing = new Map<string, string[]>();
  for (const r of routes.values()) {
    const name = bareName(r);
    if (name && !ORDINARY_WORDS.has(name)) sharing.set(name, [...(sharing.get(name) ?? []), r.code]);
  }
  for (const [name, codes] of sharing) {
    if (codes.length > 1 && !keys.has(name)) keys.set(name, { code: commonAncestor(codes, routes), matchType: 'ambiguous', candidates: codes });
  }
  const fuzzyNames = { kota: [], kab: [], prov: [] } as Record<Marker, { name: string; code: string }[]>;
  for (const r of routes.values()) {
    const marker = markerOf(r);
    const name = bareName(r);
    if (marker && name && name.length >= MIN_FUZZY_NAME) fuzzyNames[marker].push({ name, code: r.code });
  }
  const maxKeyLength = Math.max(0, ...[...keys.keys()].map((k) => k.length));
  return { routes, keys, fuzzyNames, version, maxKeyLength };
}

/** The regions an ambiguous keyword could have meant ("Pekalongan" → Kota and Kabupaten Pekalongan). */
export function ambiguousCandidates(keyword: string, index: RouteIndex): Route[] {
  const entry = index.keys.get(routeKey(keyword));
  return (entry?.candidates ?? []).flatMap((code) => index.routes.get(code) ?? []);
}

/** Optimal-string-alignment distance (a swap of two neighbours is one typo), capped for speed. */
export function typoDistance(a: string, b: string, cap: number): number {
  if (Math.abs(a.length - b.length) > cap) return cap + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    rows[i] = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) { rows[0]![j] = j; continue; }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
      best = Math.min(best, d);
    }
    if (i > 0 && best > cap) return cap + 1;
  }
  return rows[a.length]![b.length]!;
}

/**
 * A typo is forgiven only in a keyword that carries its marker ("PekalongnKota"): the marker says the
 * citizen meant a region, so an ordinary word ("Banjir") is never bent into one ("Banjar").
 */
function fuzzyMatch(key: string, index: RouteIndex): string | null {
  for (const marker of MARKERS) {
    const name = key.endsWith(marker) ? key.slice(0, -marker.length) : key.startsWith(marker) ? key.slice(marker.length) : null;
    if (!name || name.length < MIN_FUZZY_NAME || ORDINARY_WORDS.has(name)) continue;
    const cap = name.length >= 9 ? 2 : 1;
    let best: string[] = [];
    let bestDistance = cap + 1;
    for (const candidate of index.fuzzyNames[marker]) {
      if (candidate.name[0] !== name[0]) continue;
      const d = typoDistance(name, candidate.name, cap);
      if (d < bestDistance) [best, bestDistance] = [[candidate.code], d];
      else if (d === bestDistance && d <= cap) best.push(candidate.code);
    }
    if (best.length === 1) return best[0]!;
  }
  return null;
}

export interface Resolution {
  /** The keyword as the citizen wrote it, or null. */
  keyword: string | null;
  /** The message with the LAPOR prefix and the keyword removed. */
  complaintText: string;
  /** The route the citizen named (or the fallback); complaints follow `route`, its nearest active self-or-ancestor. */
  matched: Route;
  route: Route;
  matchType: MatchType;
  explanation: string;
}

/** The nearest active route at or above `code` (a deactivated region's complaints go to its province). */
export function activeRoute(code: string, index: RouteIndex): Route {
  for (let c: string | null | undefined = code; c; c = index.routes.get(c)?.parent) {
    const route = index.routes.get(c);
    if (route?.active) return route;
  }
  return index.routes.get(NATIONAL_CODE) ?? (() => { throw new Error('route index has no national route'); })();
}

/** The separator citizens put after a keyword: "PekalonganKota: ...", "PekalonganKota - ...". */
const stripLeadingSeparators = (s: string) => s.replace(/^[\s:;,.\-–—!?]+/u, '').trim();

interface Token { norm: string; start: number; end: number }

/** The resolution once the keyword (the first `used` tokens, possibly none) is known. */
function resolution(body: string, tokens: Token[], used: number, code: string, matchType: MatchType, explanation: string, index: RouteIndex): Resolution {
  const matched = index.routes.get(code)!;
  const route = activeRoute(code, index);
  const keyword = used > 0 ? body.slice(tokens[0]!.start, tokens[used - 1]!.end) : null;
  const rest = stripLeadingSeparators(used > 0 ? body.slice(tokens[used - 1]!.end) : body);
  // Punctuation alone (":-)") says nothing: the channel answers with the format help.
  const complaintText = MEANINGFUL.test(rest) ? rest : '';
  const fallback = route.code === matched.code ? '' : ` ${matched.name} is inactive, so it goes to ${route.name}.`;
  return { keyword, complaintText, matched, route, matchType, explanation: explanation + fallback };
}

/** Read the region keyword at the start of a message and resolve it to a route. */
export function resolveMessage(rawText: string, index: RouteIndex): Resolution {
  const body = (ASCII.test(rawText) ? rawText : rawText.normalize('NFC')).replace(LEADING_LAPOR, '');
  // Only the first few words can be a keyword: the rest of a long message is never tokenized.
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(body); m && tokens.length < MAX_KEYWORD_WORDS; m = TOKEN.exec(body)) {
    tokens.push({ norm: normalizeKey(m[0]), start: m.index, end: m.index + m[0].length });
  }

  // The keys of the first 1…n words, built once; tried longest first.
  const prefixKeys: string[] = [];
  for (let n = 0, joined = ''; n < tokens.length; n++) prefixKeys.push(joined += markerWord(tokens[n]!.norm));
  for (let n = tokens.length; n >= 1; n--) {
    // A run-in marker at either end can shorten a key by up to 12 ("kabupaten…kabupaten").
    if (!tokens[n - 1]!.norm || prefixKeys[n - 1]!.length > index.maxKeyLength + 12) continue;
    const key = shortenMarkers(prefixKeys[n - 1]!);
    const entry = index.keys.get(key);
    if (!entry) continue;
    const name = index.routes.get(entry.code)!.name;
    const why = entry.matchType === 'ambiguous'
      ? `"${key}" names more than one region; it goes to where they meet: ${name}.`
      : `"${key}" is ${entry.matchType === 'exact' ? 'the keyword' : 'an alias'} of ${name}.`;
    return resolution(body, tokens, n, entry.code, entry.matchType, why, index);
  }
  for (let n = Math.min(tokens.length, 3); n >= 1; n--) {
    const key = shortenMarkers(prefixKeys[n - 1]!);
    const code = fuzzyMatch(key, index);
    if (code) return resolution(body, tokens, n, code, 'fuzzy', `"${key}" is one small typo away from the keyword of ${index.routes.get(code)!.name} and no other.`, index);
  }
  return resolution(body, tokens, 0, NATIONAL_CODE, 'none', 'No region keyword at the start of the message; it goes to the national desk.', index);
}

/** A region chosen outright (a form's region field, an Open311 jurisdiction_id): an official code, a keyword or an alias. */
export function namedRegion(input: string, index: RouteIndex): Region | null {
  const byCode = index.routes.get(input);
  const entry = byCode ? { code: byCode.code, matchType: 'exact' as const } : index.keys.get(normalizeKey(input));
  if (!entry) return null;
  const route = index.routes.get(entry.code)!;
  return { keyword: input, code: route.code, name: route.name, level: route.level, matchType: entry.matchType };
}
