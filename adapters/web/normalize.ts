/** Web form / JSON API submission → Complaint draft. Pure: no I/O, the route index is passed in. */
import { z } from 'zod';
import type { ComplaintDraft, Region } from '../../src/complaint.js';
import { namedRegion, resolveMessage, type RouteIndex } from '../../src/keyword.js';
import { toE164 } from '../../src/phone.js';

/** Checkboxes arrive as "on", JSON as booleans, some clients as "true"/"1"; anything else is an error. */
const CHECKBOX_WORDS: Record<string, boolean> = { on: true, true: true, '1': true, yes: true, ya: true, off: false, false: false, '0': false, no: false, tidak: false, '': false };
const checkbox = z.preprocess((v) => (typeof v === 'string' ? CHECKBOX_WORDS[v.toLowerCase()] ?? v : v), z.boolean({ error: 'Harus ya atau tidak (must be true or false)' })).default(false);
const optionalText = (max: number) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : typeof v === 'string' ? v.trim() : v), z.string().max(max).optional());

export const WebSubmission = z.object({
  text: z.string({ error: 'Isi aduan wajib diisi (text is required)' }).trim()
    .min(10, 'Isi aduan minimal 10 karakter (text must be at least 10 characters)')
    .max(4000, 'Isi aduan maksimal 4000 karakter (text must be at most 4000 characters)'),
  region: optionalText(80).describe('Region code ("33.75") or keyword ("PekalonganKota"); absent → read from the start of the text'),
  name: optionalText(200),
  phone: optionalText(32).refine((p) => p === undefined || toE164(p) !== null, 'Nomor HP tidak valid (phone must be a phone number, e.g. 081234567890)'),
  email: z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.email('Email tidak valid (email is invalid)').max(254).optional()),
  anonymous: checkbox,
  confidential: checkbox,
});
export type WebSubmission = z.infer<typeof WebSubmission>;

export interface WebContext { index: RouteIndex; receivedAt: string; messageId: string; address: string }

export type WebResult = { ok: true; draft: ComplaintDraft } | { ok: false; fields: Record<string, string> };

export function normalizeWebSubmission(submission: WebSubmission, ctx: WebContext): WebResult {
  let region: Region;
  let text = submission.text;
  if (submission.region) {
    const chosen = namedRegion(submission.region, ctx.index);
    if (!chosen) return { ok: false, fields: { region: `Daerah "${submission.region}" tidak dikenal (unknown region code or keyword)` } };
    region = chosen;
  } else {
    const resolution = resolveMessage(submission.text, ctx.index);
    if (!resolution.complaintText) return { ok: false, fields: { text: 'Tuliskan isi aduan setelah nama daerah (write the complaint after the region name)' } };
    text = resolution.complaintText;
    region = { keyword: resolution.keyword, code: resolution.matched.code, name: resolution.matched.name, level: resolution.matched.level, matchType: resolution.matchType };
  }
  const phone = submission.phone ? toE164(submission.phone)! : undefined;
  return {
    ok: true,
    draft: {
      channel: 'web',
      receivedAt: ctx.receivedAt,
      text,
      rawText: submission.text,
      region,
      reporter: {
        ...(submission.name && { name: submission.name }),
        ...(phone && { phone }),
        ...(submission.email && { email: submission.email.trim().toLowerCase() }),
        anonymous: submission.anonymous,
        confidential: submission.confidential,
      },
      source: { messageId: ctx.messageId, address: ctx.address, extras: {} },
      attachments: [],
    },
  };
}
