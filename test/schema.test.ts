import { readFileSync } from 'node:fs';
import { decodeTime, isValid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { canonicalTrackingId, Complaint, complaintJsonSchema, newComplaintId, TRACKING_ID_PATTERN } from '../src/complaint.js';

describe('Complaint schema', () => {
  it('docs/complaint.schema.json is the export of src/complaint.ts (run `npm run schema` when this fails)', () => {
    const committed = JSON.parse(readFileSync(new URL('../docs/complaint.schema.json', import.meta.url), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(complaintJsonSchema())));
  });

  it('reads a tracking number typed by hand', () => {
    expect(canonicalTrackingId(' ab1o-2345 ')).toBe('AB102345');
    expect(canonicalTrackingId('abc')).toBeNull();
    expect(canonicalTrackingId('UUUUUUUU')).toBeNull();
  });

  it('makes ULID complaint ids that the reference implementation reads, sorting by time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 10_000 }, () => newComplaintId());
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(decodeTime(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(ids.every((id, i) => i === 0 || ids[i - 1]! < id)).toBe(true);
  });

  it('rejects a complaint without a zone on receivedAt or with a bad channel', () => {
    const base = {
      version: 1, id: newComplaintId(), trackingId: 'TESTTRK1', channel: 'web', receivedAt: '2026-11-24T05:00:00+07:00',
      text: 'jalan rusak', rawText: 'jalan rusak', region: { keyword: null, code: 'national', name: 'Desk Nasional', level: 'national', matchType: 'none' },
      reporter: { anonymous: false, confidential: false }, source: { messageId: 'm1', address: '/' },
    };
    expect(Complaint.safeParse(base).success).toBe(true);
    expect(Complaint.safeParse({ ...base, receivedAt: '2026-11-24T05:00:00' }).success).toBe(false);
    expect(Complaint.safeParse({ ...base, channel: 'fax' }).success).toBe(false);
    expect(Complaint.safeParse({ ...base, reporter: { ...base.reporter, phone: '0812345' } }).success).toBe(false);
  });
});
