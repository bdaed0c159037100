/**
 * A fake WhatsApp Cloud API for development, demos and tests: a real HTTP server that
 * (a) posts webhook events to a target signed as Meta signs them (`X-Hub-Signature-256`, HMAC-SHA256 of
 *     the raw body with the app secret; non-ASCII escaped as \uXXXX, which is what Meta signs) and retries
 *     them with growing delays while the target answers non-2xx or does not answer in time;
 * (b) takes `POST /{version}/{phone-number-id}/messages` with a bearer token, checks the body as the
 *     Cloud API does, records (and optionally prints) each reply and template, answers in the Cloud API's
 *     shape, and answers 429/5xx or any error code when told to;
 * (c) performs the GET verification handshake against a target.
 * Control endpoints under `/sim/` drive it from the command line (sim/cli.ts).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { signBody } from '../signature.js';

export interface Citizen {
  /** WhatsApp id: the international number in digits (a leading + is dropped). */
  phone?: string;
  name?: string;
  /** BSUID; with `phone` unset this is a user who hides the number. */
  userId?: string;
}

export type SimMedia = { kind: 'image' | 'video' | 'document' | 'audio' | 'sticker'; caption?: string; mimeType?: string; filename?: string; id?: string };
export type SimChoice = { kind: 'button_reply' | 'list_reply'; id: string; title: string; description?: string };
export type SimStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface RetryPolicy {
  /** Attempts in all, the first included. Meta keeps trying for up to 7 days. */
  attempts: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** An answer slower than this is a failed attempt. */
  timeoutMs: number;
}

export interface Attempt { at: number; status?: number; error?: string }
export interface DeliveryReport { id: number; url: string; body: string; attempts: Attempt[]; delivered: boolean }

/** A message the app sent through the API, as the fake recorded it. */
export interface SimSent {
  messageId: string;
  to: string;
  type: 'text' | 'template';
  text?: string;
  template?: { name: string; language: string; parameters: string[] };
  callbackData?: string;
  inReplyTo?: string;
  /** A free-text message to a citizen whose last message is more than 24 hours old (WhatsApp fails it with 131047). */
  windowClosed: boolean;
  at: number;
}
export interface SimRequest { method: string; path: string; status: number; at: number }
export interface SimFailure { status?: number; code?: number; retryAfterSeconds?: number; message?: string }

export interface WaSimOptions {
  port?: number;
  host?: string;
  appSecret: string;
  /** The bearer token the API accepts; unset → any. */
  accessToken?: string;
  phoneNumberId?: string;
  displayPhoneNumber?: string;
  wabaId?: string;
  /** Where webhook events go unless a call names another URL. */
  webhookUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** After each accepted message: post `sent` and `delivered` statuses (and `failed` 131047 outside the window) to the webhook. */
  autoStatuses?: boolean;
  /** Each recorded reply/template, one line (the CLI prints them). */
  print?: (line: string) => void;
}

export interface Posted { messageId: string; delivered: Promise<DeliveryReport> }

export interface WaSim {
  /** Origin of the fake; the API base (WHATSAPP_API_BASE_URL) is `apiBaseUrl`. */
  url: string;
  apiBaseUrl: string;
  phoneNumberId: string;
  displayPhoneNumber: string;
  sendText(from: Citizen, text: string, options?: { url?: string }): Posted;
  sendMedia(from: Citizen, media: SimMedia, options?: { url?: string }): Posted;
  sendLocation(from: Citizen, location: { lat: number; lon: number; name?: string; address?: string }, options?: { url?: string }): Posted;
  sendChoice(from: Citizen, choice: SimChoice, options?: { url?: string }): Posted;
  /** A template quick-reply button press. */
  sendButton(from: Citizen, button: { text: string; payload?: string }, options?: { url?: string }): Posted;
  sendStatus(messageId: string, status: SimStatus, to: Citizen, options?: { url?: string; errors?: Array<{ code: number; title: string }>; callbackData?: string }): Posted;
  /** Any webhook body, signed and retried like the others. */
  deliver(body: unknown, url?: string): Promise<DeliveryReport>;
  /** GET the target's verification endpoint as Meta does when the webhook URL is saved. */
  verify(url: string, verifyToken: string, challenge?: string): Promise<{ status: number; body: string; ok: boolean }>;
  /** The next `count` API calls answer with this failure (default: 429 with code 130429). */
  failNext(count: number, failure?: SimFailure): void;
  sent: SimSent[];
  deliveries: DeliveryReport[];
  requests: SimRequest[];
  close(): Promise<void>;
}

const DEFAULT_RETRY: RetryPolicy = { attempts: 12, firstDelayMs: 1_000, maxDelayMs: 3_600_000, timeoutMs: 10_000 };
const WINDOW_MS = 24 * 3600_000;
const MAX_BODY = 1_000_000;

/** JSON as Meta posts it: non-ASCII as \uXXXX with lower-case hex. */
export const metaJson = (value: unknown) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

const digits = (phone: string) => phone.replace(/^\+/, '');
const graphError = (code: number, message: string, details?: string) =>
  ({ error: { message: `(#${code}) ${message}`, type: 'OAuthException', code, ...(details && { error_data: { messaging_product: 'whatsapp', details } }), fbtrace_id: randomBytes(9).toString('base64url') } });

const DEFAULT_FAILURE: Record<number, { code: number; message: string }> = {
  429: { code: 130429, message: 'Rate limit hit' },
  500: { code: 131000, message: 'Something went wrong' },
  503: { code: 131016, message: 'Service unavailable' },
};

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What the Cloud API refuses in a template parameter. */
const BAD_PARAMETER = /[\n\t]| {5,}/;

/** The Cloud API's checks on a send, as a Graph error; null when the body is acceptable. */
function checkMessage(body: Record<string, unknown>): ReturnType<typeof graphError> | null {
  if (body.messaging_product !== 'whatsapp') return graphError(100, 'The parameter messaging_product is required.');
  const to = body.to ?? body.recipient;
  if (typeof to !== 'string' || !to) return graphError(100, 'The parameter to is required.');
  if (body.type === 'text') {
    const text = (body.text as { body?: unknown } | undefined)?.body;
    if (typeof text !== 'string' || !text.trim()) return graphError(100, 'Invalid parameter', "Param text['body'] is required");
    if (text.length > 4096) return graphError(100, 'Invalid parameter', "Param text['body'] must be at most 4096 characters long.");
    return null;
  }
  if (body.type === 'template') {
    const t = body.template as { name?: unknown; language?: { code?: unknown }; components?: unknown } | undefined;
    if (typeof t?.name !== 'string' || !/^[a-z0-9_]{1,512}$/.test(t.name)) return graphError(132001, 'Template name does not exist in the translation');
    if (typeof t.language?.code !== 'string') return graphError(100, 'Invalid parameter', "Param template['language']['code'] is required");
    for (const component of Array.isArray(t.components) ? t.components as Array<{ parameters?: Array<{ type?: unknown; text?: unknown }> }> : []) {
      for (const p of component.parameters ?? []) {
        if (p.type !== 'text' || typeof p.text !== 'string' || !p.text) return graphError(131008, 'Required parameter is missing', 'Template body parameters must be non-empty text');
        if (BAD_PARAMETER.test(p.text)) return graphError(100, 'Invalid parameter', 'Param text cannot have new-line/tab characters or more than 4 consecutive spaces');
      }
    }
    return null;
  }
  return graphError(100, 'Invalid parameter', `Unsupported message type ${JSON.stringify(body.type)}`);
}

export async function startWaSim(options: WaSimOptions): Promise<WaSim> {
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const phoneNumberId = options.phoneNumberId ?? '106540352242922';
  const displayPhoneNumber = options.displayPhoneNumber ?? '6281170800000';
  const wabaId = options.wabaId ?? '102290129340398';
  const failures: Array<Required<Pick<SimFailure, 'status'>> & SimFailure> = [];
  /** Last message time per citizen (WhatsApp id or BSUID): the 24-hour window. */
  const lastInbound = new Map<string, number>();
  let sequence = 0;
  let deliveryId = 0;
  /** Retries waiting for their turn; closing the fake ends them (their reports say not delivered). */
  const waiting = new Map<NodeJS.Timeout, () => void>();
  let closed = false;

  const newWamid = () => `wamid.${Buffer.from(`${phoneNumberId}:${Date.now()}:${++sequence}:${randomBytes(6).toString('hex')}`).toString('base64')}`;

  async function attempt(url: string, body: string): Promise<Attempt> {
    const at = Date.now();
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'facebookexternalua', 'x-hub-signature-256': signBody(options.appSecret, body) },
        body,
        signal: AbortSignal.timeout(retry.timeoutMs),
      });
      await res.arrayBuffer();
      return { at, status: res.status };
    } catch (err) {
      return { at, error: (err as Error).name === 'TimeoutError' ? 'timeout' : (err as Error).message };
    }
  }

  /** Posts until a 2xx, with delays doubling from `firstDelayMs` up to `maxDelayMs`, at most `attempts` times. */
  async function deliver(value: unknown, url = options.webhookUrl): Promise<DeliveryReport> {
    if (!url) throw new Error('wa-sim: no webhook URL (set webhookUrl or pass one)');
    const body = metaJson(value);
    const report: DeliveryReport = { id: ++deliveryId, url, body, attempts: [], delivered: false };
    sim.deliveries.push(report);
    for (let n = 0; n < retry.attempts && !closed; n++) {
      if (n > 0) {
        await new Promise<void>((ok) => {
          const timer = setTimeout(() => { waiting.delete(timer); ok(); }, Math.min(retry.maxDelayMs, retry.firstDelayMs * 2 ** (n - 1)));
          waiting.set(timer, ok);
        });
        if (closed) break;
      }
      const result = await attempt(url, body);
      report.attempts.push(result);
      if (result.status !== undefined && result.status >= 200 && result.status < 300) {
        report.delivered = true;
        break;
      }
    }
    return report;
  }

  const contactOf = (from: Citizen) => ({
    profile: { name: from.name ?? 'Warga' },
    ...(from.phone && { wa_id: digits(from.phone) }),
    ...(from.userId && { user_id: from.userId }),
  });

  function inbound(from: Citizen, type: string, content: Record<string, unknown>, options_: { url?: string } = {}): Posted {
    const messageId = newWamid();
    const now = Date.now();
    lastInbound.set(from.phone ? digits(from.phone) : from.userId ?? '', now);
    const message = {
      ...(from.phone && { from: digits(from.phone) }),
      ...(from.userId && { from_user_id: from.userId }),
      id: messageId,
      timestamp: String(Math.floor(now / 1000)),
      type,
      ...content,
    };
    return { messageId, delivered: deliver(envelope({ contacts: [contactOf(from)], messages: [message] }), options_.url) };
  }

  function envelope(value: Record<string, unknown>) {
    return {
      object: 'whatsapp_business_account',
      entry: [{ id: wabaId, changes: [{ value: { messaging_product: 'whatsapp', metadata: { display_phone_number: displayPhoneNumber, phone_number_id: phoneNumberId }, ...value }, field: 'messages' }] }],
    };
  }

  function statusEvent(messageId: string, status: SimStatus, to: Citizen, extra: { errors?: Array<{ code: number; title: string }>; callbackData?: string } = {}) {
    return envelope({
      statuses: [{
        id: messageId, status, timestamp: String(Math.floor(Date.now() / 1000)),
        ...(to.phone && { recipient_id: digits(to.phone) }),
        ...(to.userId && { recipient_user_id: to.userId }),
        ...(extra.callbackData && { biz_opaque_callback_data: extra.callbackData }),
        ...(status !== 'failed' && { pricing: { billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' } }),
        ...(extra.errors && { errors: extra.errors.map((e) => ({ ...e, message: e.title, error_data: { details: e.title } })) }),
      }],
    });
  }

  /** What WhatsApp reports back on a message it accepted: sent and delivered, or failed outside the window. */
  function reportOn(record: SimSent): void {
    if (!options.autoStatuses || !options.webhookUrl) return;
    const to: Citizen = /^\d+$/.test(record.to) ? { phone: record.to } : { userId: record.to };
    const extra = { ...(record.callbackData && { callbackData: record.callbackData }) };
    const events = record.windowClosed
      ? [statusEvent(record.messageId, 'failed', to, { ...extra, errors: [{ code: 131047, title: 'Re-engagement message' }] })]
      : [statusEvent(record.messageId, 'sent', to, extra), statusEvent(record.messageId, 'delivered', to, extra)];
    void (async () => { for (const e of events) await deliver(e); })();
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const m = /^\/(v\d+\.\d+)\/([^/]+)\/messages$/.exec(path);
    if (!m || req.method !== 'POST') return send(res, 400, graphError(100, `Unknown path components: ${path}`));
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
    if (!token || (options.accessToken !== undefined && token !== options.accessToken)) return send(res, 401, graphError(190, 'Invalid OAuth access token - Cannot parse access token'));
    if (decodeURIComponent(m[2]!) !== phoneNumberId) return send(res, 400, graphError(100, `Unsupported post request. Object with ID '${m[2]}' does not exist`));
    const failure = failures.shift();
    if (failure) {
      const fallback = DEFAULT_FAILURE[failure.status] ?? { code: failure.code ?? 100, message: 'Injected by wa-sim' };
      const headers: Record<string, string> = failure.retryAfterSeconds !== undefined ? { 'retry-after': String(failure.retryAfterSeconds) } : {};
      return send(res, failure.status, graphError(failure.code ?? fallback.code, failure.message ?? fallback.message), headers);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
      if (typeof body !== 'object' || body === null) throw new Error('not an object');
    } catch {
      return send(res, 400, graphError(100, 'Invalid parameter', 'The request body is not a JSON object'));
    }
    const refusal = checkMessage(body);
    if (refusal) return send(res, 400, refusal);
    const to = String(body.to ?? body.recipient);
    const last = lastInbound.get(digits(to));
    const messageId = newWamid();
    const template = body.template as { name: string; language: { code: string }; components?: Array<{ parameters?: Array<{ text: string }> }> } | undefined;
    const record: SimSent = {
      messageId, to: digits(to), type: body.type as 'text' | 'template',
      ...(body.type === 'text' && { text: (body.text as { body: string }).body }),
      ...(template && { template: { name: template.name, language: template.language.code, parameters: (template.components ?? []).flatMap((c) => (c.parameters ?? []).map((p) => p.text)) } }),
      ...(typeof body.biz_opaque_callback_data === 'string' && { callbackData: body.biz_opaque_callback_data }),
      ...(typeof (body.context as { message_id?: unknown } | undefined)?.message_id === 'string' && { inReplyTo: (body.context as { message_id: string }).message_id }),
      windowClosed: body.type === 'text' && (last === undefined || Date.now() - last >= WINDOW_MS),
      at: Date.now(),
    };
    sim.sent.push(record);
    options.print?.(record.type === 'text'
      ? `→ ${record.to}${record.windowClosed ? ' (outside the 24-hour window: WhatsApp fails it with 131047)' : ''}: ${record.text}`
      : `→ ${record.to} template ${record.template!.name} [${record.template!.language}] ${JSON.stringify(record.template!.parameters)}`);
    send(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, ...(/^\+?\d+$/.test(to) ? { wa_id: digits(to) } : { user_id: to }) }],
      messages: [{ id: messageId, ...(record.type === 'template' && { message_status: 'accepted' }) }],
    });
    reportOn(record);
  }

  async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') as Record<string, unknown> : {};
    const from = (body.from ?? {}) as Citizen;
    const url = typeof body.url === 'string' ? body.url : undefined;
    const posted = (p: Posted) => send(res, 202, { messageId: p.messageId });
    if (req.method === 'POST' && path === '/sim/text') return posted(sim.sendText(from, String(body.text ?? ''), { url }));
    if (req.method === 'POST' && path === '/sim/media') return posted(sim.sendMedia(from, body.media as SimMedia, { url }));
    if (req.method === 'POST' && path === '/sim/location') return posted(sim.sendLocation(from, body.location as { lat: number; lon: number }, { url }));
    if (req.method === 'POST' && path === '/sim/choice') return posted(sim.sendChoice(from, body.choice as SimChoice, { url }));
    if (req.method === 'POST' && path === '/sim/fail') {
      sim.failNext(Number(body.count ?? 1), body as SimFailure);
      return send(res, 200, { queued: failures.length });
    }
    if (req.method === 'POST' && path === '/sim/verify') return send(res, 200, await sim.verify(String(body.url), String(body.verifyToken)));
    if (req.method === 'GET' && path === '/sim/sent') return send(res, 200, sim.sent);
    if (req.method === 'GET' && path === '/sim/deliveries') return send(res, 200, sim.deliveries.map(({ body: _body, ...d }) => d));
    if (req.method === 'GET' && path === '/sim/requests') return send(res, 200, sim.requests);
    return send(res, 404, { error: 'unknown control endpoint' });
  }

  const sim: WaSim = {
    url: '',
    apiBaseUrl: '',
    phoneNumberId,
    displayPhoneNumber,
    sendText: (from, text, o) => inbound(from, 'text', { text: { body: text } }, o),
    sendMedia: (from, media, o) => inbound(from, media.kind, {
      [media.kind]: {
        ...(media.caption !== undefined && { caption: media.caption }),
        ...(media.filename && { filename: media.filename }),
        mime_type: media.mimeType ?? { image: 'image/jpeg', video: 'video/mp4', document: 'application/pdf', audio: 'audio/ogg; codecs=opus', sticker: 'image/webp' }[media.kind],
        sha256: randomBytes(32).toString('base64'),
        id: media.id ?? String(1_000_000_000_000_000n + BigInt(++sequence)),
      },
    }, o),
    sendLocation: (from, l, o) => inbound(from, 'location', { location: { latitude: l.lat, longitude: l.lon, ...(l.name && { name: l.name }), ...(l.address && { address: l.address }) } }, o),
    sendChoice: (from, c, o) => inbound(from, 'interactive', { interactive: { type: c.kind, [c.kind]: { id: c.id, title: c.title, ...(c.description && { description: c.description }) } } }, o),
    sendButton: (from, b, o) => inbound(from, 'button', { button: { text: b.text, payload: b.payload ?? b.text } }, o),
    sendStatus: (messageId, status, to, o = {}) => ({ messageId, delivered: deliver(statusEvent(messageId, status, to, o), o.url) }),
    deliver,
    async verify(url, verifyToken, challenge = String(1_000_000_000 + Math.floor(Math.random() * 1e9))) {
      const target = new URL(url);
      target.search = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.challenge': challenge, 'hub.verify_token': verifyToken }).toString();
      const res = await fetch(target, { headers: { 'user-agent': 'facebookplatform/1.0' }, signal: AbortSignal.timeout(retry.timeoutMs) });
      const body = await res.text();
      return { status: res.status, body, ok: res.status === 200 && body === challenge };
    },
    failNext(count, failure = {}) {
      for (let i = 0; i < count; i++) failures.push({ ...failure, status: failure.status ?? 429 });
    },
    sent: [],
    deliveries: [],
    requests: [],
    close: async () => {},
  };

  const server = createServer((req, res) => {
    const at = Date.now();
    const { pathname } = new URL(req.url ?? '/', 'http://wa-sim');
    const isControl = pathname.startsWith('/sim/');
    (isControl ? control(req, res, pathname) : api(req, res, pathname))
      .catch((err: Error) => { if (!res.headersSent) send(res, 400, isControl ? { error: err.message } : graphError(100, err.message)); })
      .finally(() => { if (!isControl) sim.requests.push({ method: req.method ?? 'GET', path: pathname, status: res.statusCode, at }); });
  });
  await new Promise<void>((ok) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  sim.url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  sim.apiBaseUrl = `${sim.url}/v26.0`;
  sim.close = () => new Promise((ok) => {
    closed = true;
    for (const [timer, ok] of waiting) { clearTimeout(timer); ok(); }
    waiting.clear();
    server.closeAllConnections();
    server.close(() => ok());
  });
  return sim;
}
