import { describe, expect, it } from 'vitest';
import { buildRouteIndex, resolveMessage, typoDistance } from '../src/keyword.js';
import { seedRoutes } from '../src/route.js';
import { readTsv } from './helpers/tsv.js';

const index = buildRouteIndex(seedRoutes());

describe('shared 1708 samples (../shared/samples/sms-examples.tsv)', () => {
  const samples = readTsv(new URL('../../shared/samples/sms-examples.tsv', import.meta.url));
  it('has samples to check', () => expect(samples.length).toBeGreaterThan(10));
  it.each(samples)('$label', ({ text, expect: expected }) => {
    const r = resolveMessage(text!, index);
    if (expected === 'help') expect(r.complaintText).toBe('');
    else {
      expect(r.route.code).toBe(expected);
      expect(r.complaintText.length).toBeGreaterThan(0);
    }
  });
});

describe('resolution table (test/data/resolution-cases.tsv)', () => {
  it.each(readTsv(new URL('./data/resolution-cases.tsv', import.meta.url)))('$label', ({ text, expect: code, matchType, complaintText }) => {
    const r = resolveMessage(text!, index);
    expect({ code: r.route.code, matchType: r.matchType, complaintText: r.complaintText }).toEqual({ code, matchType, complaintText });
  });
});

describe('resolution details', () => {
  it('keeps the keyword exactly as written and explains the decision', () => {
    const r = resolveMessage('LAPOR Pekalongan Kota: lampu mati', index);
    expect(r.keyword).toBe('Pekalongan Kota');
    expect(r.explanation).toMatch(/Kota Pekalongan/);
  });

  it('sends a deactivated region to its province, keeping what the citizen named', () => {
    const routes = seedRoutes().map((r) => (r.code === '33.75' ? { ...r, active: false } : r));
    const r = resolveMessage('PekalonganKota lampu mati', buildRouteIndex(routes));
    expect(r.matched.code).toBe('33.75');
    expect(r.route.code).toBe('33');
    expect(r.explanation).toMatch(/inactive/);
  });

  it('never turns an ordinary Indonesian first word into a region', () => {
    const words = ['Banjir', 'Jalan', 'Lampu', 'Sampah', 'Tolong', 'Mohon', 'Kami', 'Saya', 'Warga', 'Pelayanan', 'Walikota', 'Bupati', 'Gubernur', 'Pak', 'Ibu', 'Kota', 'Kabupaten', 'Desa', 'Kelurahan', 'Pungli', 'Pasar', 'Sekolah', 'Rumah', 'Puskesmas', 'Listrik', 'Air', 'PDAM', 'Polisi', 'Terminal', 'Batu', 'Batang', 'Puncak', 'Ibukota', 'Kotanya', 'Kabarnya', 'Provokasi'];
    for (const w of words) expect(resolveMessage(`${w} rusak dan tidak ada perbaikan`, index).matchType, w).toBe('none');
  });

  it('resolves every seeded keyword and alias to its own route', () => {
    for (const route of seedRoutes()) {
      for (const word of [route.keyword, ...route.aliases]) {
        const r = resolveMessage(`${word} ada keluhan`, index);
        expect(r.matched.code, word).toBe(route.code);
        expect(r.complaintText).toBe('ada keluhan');
      }
    }
  });

  it('counts a swap of neighbours as one typo', () => {
    expect(typoDistance('surabya', 'surabay', 2)).toBe(1);
    expect(typoDistance('abc', 'xyz', 1)).toBe(2);
  });
});
