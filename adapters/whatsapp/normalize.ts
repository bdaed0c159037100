/**
 * A WhatsApp Cloud API webhook delivery → what to do with each message in it. Pure: no I/O, never throws;
 * the route index and the receiving time are passed in.
 *
 * A delivery (`object: whatsapp_business_account`) holds `entry[].changes[]`; a change with
 * `field: messages` holds `value.messages[]` (from citizens, with `contacts[]` naming them) and/or
 * `value.statuses[]` (delivery reports on what we sent). Each message becomes one outcome:
 * - text, or the caption of an image/video/document (the media id kept as an attachment reference),
 *   a reply button or list choice (`interactive`), a template quick-reply (`button`) → complaint,
 *   `CEK <nomor>` → status request, keyword only / no text → format help;
 * - a location → attached to the sender's complaint in the same delivery (or one found by
 *   `ctx.earlierLocation`), otherwise format help carrying the location;
 * - voice notes, contacts, orders, types WhatsApp cannot render, types not known yet → format help;
 *   opening the chat (`request_welcome`) → format help;
 * - reactions, stickers (acknowledgements, not complaints), edits and deletions of earlier messages,
 *   system notices → ignored; messages to another phone number of the same business account → ignored.
 * What cannot be read is reported by JSON path in `problems`, and the rest of the delivery is still taken.
 */
import { z } from 'zod';
import { Attachment, type ComplaintDraft, type Region } from '../../src/complaint.js';
import { resolveMessage, type Resolution, type RouteIndex } from '../../src/keyword.js';
import { statusRequest } from '../../src/replies.js';

/** The Complaint schema's limit; WhatsApp's own is 4096 for text, but nothing here trusts the sender. */
const MAX_TEXT = 10_000;
const MAX_NAME = 200;
/** Business-scoped user id: for a user who hides the phone number, the only address replies can go to. */
const BSUID = /^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/;
/** WhatsApp ids are full international numbers without the plus. */
const WA_ID = /^[1-9]\d{6,14}$/;
const MEDIA_ID = /^[A-Za-z0-9_.-]{1,128}$/;

export type Location = NonNullable<ComplaintDraft['location']>;

export interface Sender {
  /** Where replies go: the sender's WhatsApp id (phone digits) or, when WhatsApp withholds the number, the BSUID. */
  replyTo: string;
  /** E.164, when WhatsApp shares the number. */
  phone?: string;
}

export type HelpReason = 'empty' | 'keyword-only' | 'no-caption' | 'location-only' | 'unsupported-type' | 'welcome';
export type IgnoreReason = 'reaction' | 'sticker' | 'edit' | 'revoke' | 'system' | 'other-number' | 'location-attached';

interface Answerable {
  /** The wamid: one complaint (and one reply) per wamid, however often Meta resends it. */
  dedupKey: string;
  sender: Sender;
  /** When the citizen sent it: the 24-hour customer-service window runs from the last one. */
  sentAt?: string;
}

export type MessageOutcome =
  | Answerable & { kind: 'complaint'; draft: ComplaintDraft }
  | Answerable & { kind: 'status'; trackingId: string }
  | Answerable & { kind: 'help'; reason: HelpReason; location?: Location }
  | { kind: 'ignore'; dedupKey: string; reason: IgnoreReason };

export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed' | 'other';

/** A delivery report on a message we sent: counted, never a complaint. */
export interface StatusEvent {
  messageId: string;
  status: DeliveryStatus;
  /** The citizen's WhatsApp id or BSUID. */
  recipient?: string;
  at?: string;
  /** What we sent as `biz_opaque_callback_data` with the message. */
  callbackData?: string;
  errors: MetaError[];
}

export interface MetaError { code: number; title?: string; details?: string }

export interface Problem { field: string; message: string }

export interface Delivery {
  /** One per message we could read, in delivery order. */
  messages: MessageOutcome[];
  statuses: StatusEvent[];
  /** Errors Meta reported about messages it could not hand over (`value.errors`). */
  metaErrors: MetaError[];
  /** Change fields other than `messages` (the app is subscribed to more than it needs). */
  otherFields: string[];
  problems: Problem[];
}

export type NormalizeResult = { ok: true; delivery: Delivery } | { ok: false; field: string; message: string };

export interface NormalizeContext {
  index: RouteIndex;
  receivedAt: string;
  /** Our phone number id: messages to other numbers of the business account are not ours to take. */
  phoneNumberId?: string;
  /** A location the sender shared in an earlier delivery and did not yet attach to a complaint. */
  earlierLocation?: (replyTo: string) => Location | undefined;
}

// What the channel reads of Meta's shapes, with their types; whatever else Meta sends is let through.
const ErrorShape = z.looseObject({ code: z.number().int(), title: z.string().optional(), error_data: z.looseObject({ details: z.string().optional() }).optional() });
const Value = z.looseObject({
  metadata: z.looseObject({ phone_number_id: z.string().min(1).max(64), display_phone_number: z.string().max(32).optional() }),
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});
const Contact = z.looseObject({
  profile: z.looseObject({ name: z.string().optional() }).optional(),
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
});
const Head = z.looseObject({
  id: z.string().min(1).max(512),
  type: z.string().min(1).max(64),
  timestamp: z.union([z.string(), z.number()]).optional(),
  from: z.string().max(64).optional(),
  from_user_id: z.string().max(160).optional(),
  context: z.looseObject({ id: z.string().max(512).optional(), forwarded: z.boolean().optional(), frequently_forwarded: z.boolean().optional() }).optional(),
});
const Text = z.looseObject({ body: z.string() });
const Media = z.looseObject({ id: z.string().regex(MEDIA_ID, 'must be a media id'), mime_type: z.string().max(200).optional(), caption: z.string().optional(), filename: z.string().max(1000).optional() });
const Place = z.looseObject({
  latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180),
  name: z.string().optional(), address: z.string().optional(),
});
const Choice = z.looseObject({ id: z.string().max(256).optional(), title: z.string() });
const Interactive = z.looseObject({ type: z.string(), button_reply: Choice.optional(), list_reply: Choice.optional() });
const Button = z.looseObject({ text: z.string(), payload: z.string().max(256).optional() });
const Status = z.looseObject({
  id: z.string().min(1).max(512),
  status: z.string(),
  timestamp: z.union([z.string(), z.number()]).optional(),
  recipient_id: z.string().max(64).optional(),
  recipient_user_id: z.string().max(160).optional(),
  biz_opaque_callback_data: z.string().max(512).optional(),
  errors: z.array(ErrorShape).optional(),
});

const IGNORED: Readonly<Record<string, IgnoreReason>> = { reaction: 'reaction', sticker: 'sticker', edit: 'edit', revoke: 'revoke', system: 'system' };
const MEDIA_TYPES = new Set(['image', 'video', 'document']);
const DELIVERY_STATUSES = new Set<DeliveryStatus>(['sent', 'delivered', 'read', 'failed']);

/** NFC, newlines as \n, no control characters or lone surrogates (a sender can put anything in JSON). */
function cleanText(text: string): string {
  return text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/\t/g, ' ')
    .replace(/[^\P{Cc}\n]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/gu, '').trim();
}

/** At most `max` UTF-16 units, never ending inside a surrogate pair. */
const cut = (text: string, max: number) => (text.length <= max ? text : text.slice(0, max).replace(/[\uD800-\uDBFF]$/, ''));

function isoFromUnix(t: string | number | undefined): string | undefined {
  const seconds = Number(t);
  return Number.isInteger(seconds) && seconds > 0 && seconds < 1e11 ? new Date(seconds * 1000).toISOString() : undefined;
}

const regionOf = (r: Resolution): Region =>
  ({ keyword: r.keyword, code: r.matched.code, name: r.matched.name, level: r.matched.level, matchType: r.matchType });

type Read<T> = { ok: true; value: T } | { ok: false; problem: Problem };

/** `data` read with `schema`; on failure, the first issue as a JSON path below `at`. */
function read<T extends z.ZodType>(schema: T, data: unknown, at: string): Read<z.infer<T>> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issue = parsed.error.issues[0]!;
  const field = issue.path.reduce<string>((p, k) => (typeof k === 'number' ? `${p}[${k}]` : `${p}.${String(k)}`), at);
  return { ok: false, problem: { field, message: issue.message } };
}

interface ChangeContext {
  value: z.infer<typeof Value>;
  contacts: Array<z.infer<typeof Contact>>;
}

/** What a message says before region resolution, or why it says nothing we can take. */
type Content =
  | { kind: 'text'; text: string; attachments: ComplaintDraft['attachments']; extras: Record<string, unknown>; emptyReason: HelpReason }
  | { kind: 'location'; location: Location }
  | { kind: 'help'; reason: HelpReason }
  | { kind: 'problem'; problem: Problem };

function contentOf(message: Record<string, unknown>, type: string, at: string): Content {
  const body = message[type];
  // Meta sends a message whose content it could not render without it (with `value.errors` saying why).
  if (body === undefined && type !== 'request_welcome') return { kind: 'help', reason: 'unsupported-type' };
  const where = `${at}.${type}`;
  switch (type) {
    case 'text': {
      const text = read(Text, body, where);
      return text.ok ? { kind: 'text', text: text.value.body, attachments: [], extras: {}, emptyReason: 'empty' } : { kind: 'problem', problem: text.problem };
    }
    case 'image': case 'video': case 'document': {
      const parsed = read(Media, body, where);
      if (!parsed.ok) return { kind: 'problem', problem: parsed.problem };
      const media = parsed.value;
      const attachment = { ref: `whatsapp-media:${media.id}`, mediaType: cut(media.mime_type?.trim() || 'application/octet-stream', 200) };
      return {
        kind: 'text',
        text: media.caption ?? '',
        attachments: Attachment.safeParse(attachment).success ? [attachment] : [],
        extras: { mediaId: media.id, ...(media.filename && { filename: cut(cleanText(media.filename), 255) }) },
        emptyReason: 'no-caption',
      };
    }
    case 'interactive': {
      const parsed = read(Interactive, body, where);
      if (!parsed.ok) return { kind: 'problem', problem: parsed.problem };
      const interactive = parsed.value;
      const choice = interactive.button_reply ?? interactive.list_reply;
      if (!choice) return { kind: 'help', reason: 'unsupported-type' };
      return { kind: 'text', text: choice.title, attachments: [], extras: { interactive: interactive.type, ...(choice.id && { choiceId: choice.id }) }, emptyReason: 'empty' };
    }
    case 'button': {
      const parsed = read(Button, body, where);
      if (!parsed.ok) return { kind: 'problem', problem: parsed.problem };
      const button = parsed.value;
      return { kind: 'text', text: button.text, attachments: [], extras: { ...(button.payload && { buttonPayload: button.payload }) }, emptyReason: 'empty' };
    }
    case 'location': {
      const parsed = read(Place, body, where);
      if (!parsed.ok) return { kind: 'problem', problem: parsed.problem };
      const place = parsed.value;
      const address = [place.name, place.address].map((s) => cleanText(s ?? '')).filter(Boolean).join(', ');
      return { kind: 'location', location: { lat: place.latitude, lon: place.longitude, ...(address && { address: cut(address, 500) }) } };
    }
    case 'request_welcome':
      return { kind: 'help', reason: 'welcome' };
    default:
      return { kind: 'help', reason: 'unsupported-type' };
  }
}

/** The sender from `from` / `from_user_id`, named by the matching entry of `contacts`. */
function senderOf(head: z.infer<typeof Head>, change: ChangeContext, at: string): Read<{ sender: Sender; name?: string }> {
  const refuse = (message: string) => ({ ok: false as const, problem: { field: `${at}.from`, message } });
  if (head.from !== undefined && !WA_ID.test(head.from)) return refuse('from must be a WhatsApp id: the international number in digits');
  const userId = head.from_user_id !== undefined && BSUID.test(head.from_user_id) ? head.from_user_id : undefined;
  if (head.from === undefined && !userId) return refuse('from (or from_user_id) must name the sender');
  const contact = change.contacts.find((c) => (head.from !== undefined && c.wa_id === head.from) || (userId !== undefined && c.user_id === userId))
    ?? (change.contacts.length === 1 ? change.contacts[0] : undefined);
  const name = cut(cleanText(contact?.profile?.name ?? ''), MAX_NAME).trim();
  return {
    ok: true,
    value: { sender: { replyTo: head.from ?? userId!, ...(head.from !== undefined && { phone: `+${head.from}` }) }, ...(name && { name }) },
  };
}

interface Pending { outcome: MessageOutcome; location?: Location; draftFor?: string }

function readMessage(raw: unknown, change: ChangeContext, at: string, ctx: NormalizeContext): Read<Pending> {
  const parsedHead = read(Head, raw, at);
  if (!parsedHead.ok) return parsedHead;
  const head = parsedHead.value;
  const dedupKey = head.id;
  const done = (outcome: MessageOutcome, more: Omit<Pending, 'outcome'> = {}): Read<Pending> => ({ ok: true, value: { outcome, ...more } });
  if (ctx.phoneNumberId && change.value.metadata.phone_number_id !== ctx.phoneNumberId) return done({ kind: 'ignore', dedupKey, reason: 'other-number' });
  const ignored = IGNORED[head.type];
  if (ignored) return done({ kind: 'ignore', dedupKey, reason: ignored });

  const who = senderOf(head, change, at);
  if (!who.ok) return who;
  const { sender, name } = who.value;
  const sentAt = isoFromUnix(head.timestamp);
  const base = { dedupKey, sender, ...(sentAt && { sentAt }) };
  const content = contentOf(raw as Record<string, unknown>, head.type, at);
  if (content.kind === 'problem') return { ok: false, problem: content.problem };
  if (content.kind === 'help') return done({ ...base, kind: 'help', reason: content.reason });
  if (content.kind === 'location') return done({ ...base, kind: 'help', reason: 'location-only', location: content.location }, { location: content.location });

  let rawText = cleanText(content.text);
  if (!rawText) return done({ ...base, kind: 'help', reason: content.emptyReason });
  const trackingId = statusRequest(rawText);
  if (trackingId) return done({ ...base, kind: 'status', trackingId });
  const extras: Record<string, unknown> = {
    phoneNumberId: change.value.metadata.phone_number_id,
    type: head.type,
    ...(sentAt && { sentAt }),
    ...(head.context?.id && { inReplyTo: head.context.id }),
    ...(head.context?.forwarded && { forwarded: true }),
    ...(head.context?.frequently_forwarded && { frequentlyForwarded: true }),
    ...content.extras,
  };
  if (rawText.length > MAX_TEXT) {
    rawText = cut(rawText, MAX_TEXT);
    extras.truncated = true;
  }
  const resolution = resolveMessage(rawText, ctx.index);
  if (!resolution.complaintText) return done({ ...base, kind: 'help', reason: 'keyword-only' });
  const display = change.value.metadata.display_phone_number?.replace(/\D/g, '');
  const draft: ComplaintDraft = {
    channel: 'whatsapp',
    receivedAt: ctx.receivedAt,
    text: resolution.complaintText,
    rawText,
    region: regionOf(resolution),
    reporter: { ...(name && { name }), ...(sender.phone && { phone: sender.phone }), anonymous: false, confidential: false },
    source: { messageId: head.id, address: display ? `+${display}` : change.value.metadata.phone_number_id, extras },
    attachments: content.attachments,
  };
  return done({ ...base, kind: 'complaint', draft }, { draftFor: sender.replyTo });
}

function readStatus(raw: unknown, at: string): Read<StatusEvent> {
  const parsed = read(Status, raw, at);
  if (!parsed.ok) return parsed;
  const s = parsed.value;
  const when = isoFromUnix(s.timestamp);
  const recipient = s.recipient_id ?? s.recipient_user_id;
  return {
    ok: true,
    value: {
      messageId: s.id,
      status: DELIVERY_STATUSES.has(s.status as DeliveryStatus) ? s.status as DeliveryStatus : 'other',
      ...(recipient && { recipient }),
      ...(when && { at: when }),
      ...(s.biz_opaque_callback_data && { callbackData: s.biz_opaque_callback_data }),
      errors: (s.errors ?? []).map(metaError),
    },
  };
}

const metaError = (e: z.infer<typeof ErrorShape>): MetaError =>
  ({ code: e.code, ...(e.title && { title: e.title.slice(0, 200) }), ...(e.error_data?.details && { details: e.error_data.details.slice(0, 500) }) });

/**
 * A location shared on its own is attached to the sender's complaint (the latest location, from this
 * delivery or an earlier one); only a location nobody's complaint took is answered with the format help.
 */
function attachLocations(pending: Pending[], ctx: NormalizeContext): MessageOutcome[] {
  const latest = new Map<string, Location>();
  for (const p of pending) if (p.location && p.outcome.kind === 'help') latest.set(p.outcome.sender.replyTo, p.location);
  const attachedTo = new Set<string>();
  for (const p of pending) {
    if (!p.draftFor || p.outcome.kind !== 'complaint') continue;
    const location = latest.get(p.draftFor) ?? ctx.earlierLocation?.(p.draftFor);
    if (!location) continue;
    p.outcome.draft.location = location;
    attachedTo.add(p.draftFor);
  }
  return pending.map((p) => (p.location && p.outcome.kind === 'help' && attachedTo.has(p.outcome.sender.replyTo)
    ? { kind: 'ignore', dedupKey: p.outcome.dedupKey, reason: 'location-attached' }
    : p.outcome));
}

export function normalizeDelivery(payload: unknown, ctx: NormalizeContext): NormalizeResult {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { ok: false, field: 'body', message: 'must be a JSON object' };
  const body = payload as Record<string, unknown>;
  if (body.object !== 'whatsapp_business_account') return { ok: false, field: 'object', message: 'object must be whatsapp_business_account' };
  if (!Array.isArray(body.entry)) return { ok: false, field: 'entry', message: 'entry must be an array' };

  const pending: Pending[] = [];
  const delivery: Delivery = { messages: [], statuses: [], metaErrors: [], otherFields: [], problems: [] };
  const keep = <T>(item: Read<T>, into: T[]) => {
    if (item.ok) into.push(item.value);
    else delivery.problems.push(item.problem);
  };
  body.entry.forEach((entry: unknown, i) => {
    const changes = (entry as { changes?: unknown } | null)?.changes;
    if (!Array.isArray(changes)) return delivery.problems.push({ field: `entry[${i}].changes`, message: 'changes must be an array' });
    changes.forEach((change: unknown, j) => {
      const at = `entry[${i}].changes[${j}]`;
      const field = (change as { field?: unknown } | null)?.field;
      if (field !== 'messages') {
        if (typeof field === 'string') delivery.otherFields.push(field.slice(0, 64));
        else delivery.problems.push({ field: `${at}.field`, message: 'field must name the subscription, e.g. messages' });
        return;
      }
      const value = read(Value, (change as { value?: unknown }).value, `${at}.value`);
      if (!value.ok) return delivery.problems.push(value.problem);
      const contacts = (value.value.contacts ?? []).flatMap((c) => { const p = Contact.safeParse(c); return p.success ? [p.data] : []; });
      const changeContext: ChangeContext = { value: value.value, contacts };
      (value.value.messages ?? []).forEach((m, k) => keep(readMessage(m, changeContext, `${at}.value.messages[${k}]`, ctx), pending));
      (value.value.statuses ?? []).forEach((s, k) => keep(readStatus(s, `${at}.value.statuses[${k}]`), delivery.statuses));
      const errors = (value.value.errors ?? []).map((e, k) => read(ErrorShape, e, `${at}.value.errors[${k}]`));
      for (const e of errors) keep(e.ok ? { ok: true, value: metaError(e.value) } : e, delivery.metaErrors);
    });
  });
  delivery.messages = attachLocations(pending, ctx);
  return { ok: true, delivery };
}
