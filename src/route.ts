/**
 * Regional keyword routes: where a region's complaints go. Seeded from the official region codes
 * in `idn-area-data` (ODbL) plus the curated extras in config/, stored in Redis, edited by admins.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { Level } from './complaint.js';

export const NATIONAL_CODE = 'national';

export const Destination = z.object({
  url: z.url({ protocol: /^https?$/ }).describe('Agency webhook that receives the signed complaint'),
  secret: z.string().min(16).describe('HMAC-SHA256 signing secret (write-only)'),
});

export const Route = z.object({
  code: z.string().regex(/^(national|\d{2}(\.\d{2})?)$/, 'code must be "national", a province code like "33" or a regency code like "33.75"'),
  name: z.string().min(1).max(120),
  level: Level,
  keyword: z.string().regex(/^[\p{L}\p{N}]+$/u, 'keyword must be one word of letters and digits'),
  aliases: z.array(z.string().min(1).max(60)).max(50).default([]),
  parent: z.string().nullable().describe('Province code for a regency, "national" for a province, null for the national desk'),
  destination: Destination.optional(),
  active: z.boolean().default(true),
});
export type Route = z.infer<typeof Route>;
export type Destination = z.infer<typeof Destination>;

const configDir = new URL('../config/', import.meta.url);
const readConfig = <T>(file: string): T => JSON.parse(readFileSync(new URL(file, configDir), 'utf8')) as T;

/** Words citizens start ordinary sentences with that are also a region's bare name ("Batu ..."). */
export const ORDINARY_WORDS: ReadonlySet<string> = new Set(readConfig<string[]>('ordinary-words.json'));

const LOWER_WORDS = new Set(['dan']);
const ACRONYMS = new Set(['dki']);

function titleCase(upper: string): string {
  return upper
    .toLowerCase()
    .split(/\s+/)
    .map((w) => (ACRONYMS.has(w) ? w.toUpperCase() : LOWER_WORDS.has(w) ? w : w.charAt(0).toUpperCase() + w.slice(1)))
    .join(' ');
}

/** "Pangkajene dan Kepulauan" → "PangkajeneDanKepulauan": one word, each part capitalised. */
const squash = (name: string) =>
  name.split(/[^\p{L}\p{N}]+/u).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');

function readCsv(file: string): string[][] {
  const require = createRequire(import.meta.url);
  const path = require.resolve(`idn-area-data/data/${file}`);
  return readFileSync(path, 'utf8')
    .trim()
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split(','));
}

interface SeedRegion { code: string; name: string; bare: string; level: 'regency' | 'province'; kind: 'Kota' | 'Kab' | 'Prov'; parent: string }

/** The 38 provinces and 514 kabupaten/kota, with names as the official list spells them. */
function officialRegions(): SeedRegion[] {
  const provinces = readCsv('provinces.csv').map(([code, name]): SeedRegion => {
    const full = titleCase(name!);
    return { code: code!, name: `Provinsi ${full}`, bare: full, level: 'province', kind: 'Prov', parent: NATIONAL_CODE };
  });
  const regencies = readCsv('regencies.csv').map(([code, parent, name]): SeedRegion => {
    const isCity = name!.startsWith('KOTA ');
    const bare = titleCase(name!.replace(/^(KOTA|KABUPATEN) (ADMINISTRASI )?/, ''));
    return { code: code!, name: titleCase(name!), bare, level: 'regency', kind: isCity ? 'Kota' : 'Kab', parent: parent! };
  });
  return [...provinces, ...regencies];
}

export const NATIONAL_ROUTE: Route = {
  code: NATIONAL_CODE,
  name: 'Desk Nasional SP4N-LAPOR!',
  level: 'national',
  keyword: 'Nasional',
  aliases: ['LaporNasional'],
  parent: null,
  active: true,
};

/**
 * Keyword convention: <Name>Kota, <Name>Kab, <Name>Prov; aliases Kota<Name>, Kab<Name>, Prov<Name>,
 * the bare <Name> when exactly one region has it (and it is not an ordinary word), plus config extras.
 */
export function seedRoutes(): Route[] {
  const regions = officialRegions();
  const bareCount = new Map<string, number>();
  for (const r of regions) {
    const key = r.bare.toLowerCase();
    bareCount.set(key, (bareCount.get(key) ?? 0) + 1);
  }
  const extras = readConfig<Record<string, string[]>>('route-aliases.json');
  const routes = regions.map((r): Route => {
    const name = squash(r.bare);
    const aliases = [`${r.kind}${name}`];
    const bareKey = r.bare.toLowerCase();
    if (bareCount.get(bareKey) === 1 && !ORDINARY_WORDS.has(bareKey.replace(/\s+/g, ''))) aliases.push(name);
    aliases.push(...(extras[r.code] ?? []));
    return { code: r.code, name: r.name, level: r.level, keyword: `${name}${r.kind}`, aliases, parent: r.parent, active: true };
  });
  return [NATIONAL_ROUTE, ...routes];
}
