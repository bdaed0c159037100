import { describe, expect, it } from 'vitest';
import { buildRouteIndex, normalizeKey } from '../src/keyword.js';
import { Route, seedRoutes } from '../src/route.js';

describe('route seed from idn-area-data', () => {
  const routes = seedRoutes();

  it('has every province, kabupaten and kota, plus the national desk', () => {
    expect(routes.filter((r) => r.level === 'province')).toHaveLength(38);
    const regencies = routes.filter((r) => r.level === 'regency');
    expect(regencies).toHaveLength(514);
    expect(regencies.filter((r) => r.name.startsWith('Kabupaten'))).toHaveLength(416);
    expect(regencies.filter((r) => r.name.startsWith('Kota'))).toHaveLength(98);
    expect(routes.filter((r) => r.level === 'national').map((r) => r.code)).toEqual(['national']);
    for (const r of routes) expect(() => Route.parse(r), r.code).not.toThrow();
  });

  it('follows the keyword convention', () => {
    const byCode = new Map(routes.map((r) => [r.code, r]));
    expect(byCode.get('33.75')).toMatchObject({ keyword: 'PekalonganKota', name: 'Kota Pekalongan', parent: '33', aliases: ['KotaPekalongan'] });
    expect(byCode.get('33.26')).toMatchObject({ keyword: 'PekalonganKab', aliases: ['KabPekalongan'] });
    expect(byCode.get('33')).toMatchObject({ keyword: 'JawaTengahProv', name: 'Provinsi Jawa Tengah', parent: 'national' });
    expect(byCode.get('33')!.aliases).toContain('JawaTengah');
    expect(byCode.get('73.11')!.aliases).toEqual(['KabBarru', 'Barru']);
    expect(byCode.get('31.71')).toMatchObject({ keyword: 'JakartaPusatKota', name: 'Kota Administrasi Jakarta Pusat' });
    expect(byCode.get('31.01')).toMatchObject({ keyword: 'KepulauanSeribuKab' });
  });

  it('gives no keyword or alias to two routes', () => {
    const owner = new Map<string, string>();
    for (const r of routes) {
      for (const word of [r.keyword, ...r.aliases]) {
        const key = normalizeKey(word);
        expect(owner.get(key) ?? r.code, `${word} is claimed by ${owner.get(key)} and ${r.code}`).toBe(r.code);
        owner.set(key, r.code);
      }
    }
  });

  it('indexes the bare names shared by several regions as ambiguous', () => {
    const index = buildRouteIndex(routes);
    const ambiguous = [...index.keys.entries()].filter(([, e]) => e.matchType === 'ambiguous').map(([k]) => k);
    expect(ambiguous).toEqual(expect.arrayContaining(['pekalongan', 'bandung', 'bogor', 'malang', 'serang', 'banjar', 'bengkulu', 'jambi', 'gorontalo']));
    expect(index.keys.get('banjar')!.code).toBe('national');
    expect(index.keys.get('pekalongan')!.code).toBe('33');
  });
});
