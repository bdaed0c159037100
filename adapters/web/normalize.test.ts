/** Table-driven: every case lives in cases.json (label, input, expected complaint draft or field error). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildRouteIndex } from '../../src/keyword.js';
import { seedRoutes } from '../../src/route.js';
import { normalizeWebSubmission, WebSubmission } from './normalize.js';

interface Case { label: string; input: Record<string, unknown>; repeatText?: number; expect?: Record<string, unknown>; error?: Record<string, string> }
const cases = JSON.parse(readFileSync(new URL('./cases.json', import.meta.url), 'utf8')) as Case[];
const index = buildRouteIndex(seedRoutes());
const ctx = { index, receivedAt: '2026-11-24T05:00:00.000Z', messageId: '01JTESTMESSAGE00000000000', address: '/api/v1/complaints' };

describe('web normalize()', () => {
  it.each(cases)('$label', (c) => {
    const input = c.repeatText ? { ...c.input, text: String(c.input.text).repeat(c.repeatText) } : c.input;
    const parsed = WebSubmission.safeParse(input);
    const result = parsed.success
      ? normalizeWebSubmission(parsed.data, ctx)
      : { ok: false as const, fields: Object.fromEntries(parsed.error.issues.map((i) => [i.path.join('.'), i.message])) };
    if (c.error) {
      expect(result.ok).toBe(false);
      if (result.ok) return;
      for (const [field, fragment] of Object.entries(c.error)) expect(result.fields[field], field).toContain(fragment);
      return;
    }
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.draft).toMatchObject({ channel: 'web', receivedAt: ctx.receivedAt, source: { messageId: ctx.messageId, address: ctx.address }, ...c.expect });
    if (c.expect?.reporter) expect(result.draft.reporter).toEqual(c.expect.reporter);
  });
});
