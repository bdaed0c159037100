/**
 * A fake X API for development, demos and tests: a real HTTP server speaking the v2 JSON shapes
 * the channel's client uses, with rate-limit headers, injectable failures, and control endpoints
 * (`/sim/...`) to add mentions and read the replies Pintu posted.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

export interface SimMention {
  /** The citizen's handle, without @. */
  from: string;
  name?: string;
  /** Tweet text; "@<account> " is put in front when it does not mention the account anywhere. */
  text: string;
  media?: Array<{ type: 'photo' | 'video'; url: string }>;
  place?: { fullName: string; lat?: number; lon?: number };
  /** Id of a tweet this one quotes / plainly retweets. */
  quoteOf?: string;
  retweetOf?: string;
}

export interface SimPost { id: string; text: string; inReplyTo?: string; at: number }
export interface SimRequest { method: string; path: string; query: Record<string, string>; at: number; status: number }

export interface XSimOptions {
  port?: number;
  host?: string;
  account?: { id: string; username: string; name: string };
  /** Requests per window on the mentions endpoint before it answers 429 (X: 450 / 15 min app-only). */
  mentionsLimit?: number;
  windowSeconds?: number;
  /** Answer every mentions request this much later (a slow API, to stop a drain halfway in tests). */
  delayMs?: number;
}

interface StoredTweet {
  id: string; text: string; author_id: string; conversation_id: string; created_at: string; edit_history_tweet_ids: string[];
  entities: { mentions: Array<{ start: number; end: number; username: string; id: string }> };
  attachments?: { media_keys: string[] };
  referenced_tweets?: Array<{ type: 'quoted' | 'retweeted'; id: string }>;
  geo?: { place_id: string; coordinates?: { type: 'Point'; coordinates: [number, number] } };
}
interface User { id: string; username: string; name: string }
interface Media { media_key: string; type: string; url?: string; preview_image_url?: string; variants?: Array<{ content_type: string; url: string; bit_rate: number }> }
interface Place { id: string; full_name: string }
export type SimEndpoint = 'mentions' | 'tweets' | 'users';
export interface SimFailure { status?: number; resetInSeconds?: number; endpoint?: SimEndpoint }
type Failure = Required<SimFailure>;

export interface XSim {
  url: string;
  account: User;
  addMention(mention: SimMention): string;
  /**
   * The next `count` calls to `endpoint` (default mentions) answer `status` (default 429, reset `resetInSeconds` = 2
   * ahead); status 0 cuts the connection without an answer (recorded as status 0).
   */
  failNext(count: number, failure?: SimFailure): void;
  posts: SimPost[];
  requests: SimRequest[];
  /** The tweet as an Account Activity webhook body (v1.1 shape) for the account. */
  activityEvent(tweetId: string): { for_user_id: string; tweet_create_events: unknown[] };
  /** POST the tweet's webhook event to `url`, signed like X does with `consumerSecret`. */
  deliverWebhook(tweetId: string, url: string, consumerSecret: string): Promise<number>;
  close(): Promise<void>;
}

const FIRST_TWEET_ID = 1_800_000_000_000_000_000n;
const MENTION = /@([A-Za-z0-9_]{1,15})/g;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
}

const apiError = (status: number, title: string, detail: string) => ({ title, detail, type: `about:blank`, status });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const encodeToken = (beforeId: string) => Buffer.from(`before:${beforeId}`).toString('base64url');
const decodeToken = (token: string) => /^before:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'))?.[1];

export async function startXSim(options: XSimOptions = {}): Promise<XSim> {
  const account: User = options.account ?? { id: '1708', username: 'lapor1708', name: 'LAPOR! 1708' };
  const windowSeconds = options.windowSeconds ?? 900;
  const users = new Map<string, User>([[account.username.toLowerCase(), account]]);
  const tweets = new Map<string, StoredTweet>();
  const media = new Map<string, Media>();
  const places = new Map<string, Place>();
  const failures: Failure[] = [];
  let nextId = FIRST_TWEET_ID;
  const window = { limit: options.mentionsLimit ?? 450, remaining: options.mentionsLimit ?? 450, reset: 0 };

  const userFor = (handle: string, name?: string): User => {
    const key = handle.toLowerCase();
    let user = users.get(key);
    if (!user) users.set(key, (user = { id: String(10_000 + users.size), username: handle, name: name ?? handle }));
    return user;
  };
  const userById = (id: string) => [...users.values()].find((u) => u.id === id);

  function addMention(m: SimMention): string {
    const id = String(nextId++);
    const author = userFor(m.from, m.name);
    let text = new RegExp(`@${account.username}\\b`, 'i').test(m.text) ? m.text : `@${account.username} ${m.text}`;
    const keys = (m.media ?? []).map((item, i) => {
      const key = `${item.type === 'photo' ? 3 : 7}_${id}${i}`;
      media.set(key, item.type === 'photo'
        ? { media_key: key, type: 'photo', url: item.url }
        : { media_key: key, type: 'video', preview_image_url: `${item.url}.jpg`, variants: [{ content_type: 'video/mp4', url: item.url, bit_rate: 832_000 }] });
      return key;
    });
    if (keys.length) text += ` https://t.co/m${id}`;
    let geo: StoredTweet['geo'];
    if (m.place) {
      const placeId = `p${id}`;
      places.set(placeId, { id: placeId, full_name: m.place.fullName });
      geo = { place_id: placeId, ...(m.place.lat !== undefined && m.place.lon !== undefined && { coordinates: { type: 'Point', coordinates: [m.place.lon, m.place.lat] } }) };
    }
    const referenced = m.quoteOf ? [{ type: 'quoted' as const, id: m.quoteOf }] : m.retweetOf ? [{ type: 'retweeted' as const, id: m.retweetOf }] : undefined;
    tweets.set(id, {
      id, text, author_id: author.id, conversation_id: id, created_at: new Date().toISOString(), edit_history_tweet_ids: [id],
      entities: { mentions: [...text.matchAll(MENTION)].map((x) => ({ start: x.index, end: x.index + x[0].length, username: x[1]!, id: userFor(x[1]!).id })) },
      ...(keys.length && { attachments: { media_keys: keys } }),
      ...(referenced && { referenced_tweets: referenced }),
      ...(geo && { geo }),
    });
    return id;
  }

  function includesFor(page: StoredTweet[]) {
    const quoted = page.flatMap((t) => (t.referenced_tweets ?? []).map((r) => tweets.get(r.id)).filter((x): x is StoredTweet => !!x));
    const authorIds = new Set([...page, ...quoted].map((t) => t.author_id));
    const mediaList = page.flatMap((t) => (t.attachments?.media_keys ?? []).map((k) => media.get(k)!));
    const placeList = page.flatMap((t) => (t.geo ? [places.get(t.geo.place_id)!] : []));
    return {
      users: [...authorIds].map((uid) => userById(uid)!).filter(Boolean),
      ...(mediaList.length && { media: mediaList }),
      ...(placeList.length && { places: placeList }),
      ...(quoted.length && { tweets: quoted }),
    };
  }

  function rateHeaders(): Record<string, string> {
    const now = Math.floor(Date.now() / 1000);
    if (now >= window.reset) Object.assign(window, { remaining: window.limit, reset: now + windowSeconds });
    return { 'x-rate-limit-limit': String(window.limit), 'x-rate-limit-remaining': String(window.remaining), 'x-rate-limit-reset': String(window.reset) };
  }

  function mentionsOf(userId: string, query: Record<string, string>, res: ServerResponse) {
    const headers = rateHeaders();
    if (window.remaining <= 0) return send(res, 429, apiError(429, 'Too Many Requests', 'Too Many Requests'), headers);
    window.remaining--;
    headers['x-rate-limit-remaining'] = String(window.remaining);
    const user = userById(userId);
    if (!user) return send(res, 404, { errors: [apiError(404, 'Not Found Error', `Could not find user with id: [${userId}].`)] }, headers);
    const max = Number(query.max_results ?? 10);
    if (!Number.isInteger(max) || max < 5 || max > 100) return send(res, 400, { errors: [{ message: 'The `max_results` query parameter value is not between 5 and 100' }], title: 'Invalid Request' }, headers);
    const before = query.pagination_token ? decodeToken(query.pagination_token) : query.until_id;
    if (query.pagination_token && !before) return send(res, 400, { errors: [{ message: 'The `pagination_token` query parameter value is invalid' }], title: 'Invalid Request' }, headers);
    const since = query.since_id ? BigInt(query.since_id) : -1n;
    const until = before ? BigInt(before) : null;
    const handle = user.username.toLowerCase();
    const matching = [...tweets.values()]
      .filter((t) => t.entities.mentions.some((m) => m.username.toLowerCase() === handle))
      .filter((t) => BigInt(t.id) > since && (until === null || BigInt(t.id) < until))
      .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
    const page = matching.slice(0, max);
    if (!page.length) return send(res, 200, { meta: { result_count: 0 } }, headers);
    const oldest = page[page.length - 1]!.id;
    return send(res, 200, {
      data: page,
      includes: includesFor(page),
      meta: { result_count: page.length, newest_id: page[0]!.id, oldest_id: oldest, ...(matching.length > page.length && { next_token: encodeToken(oldest) }) },
    }, headers);
  }

  function activityEvent(tweetId: string) {
    const t = tweets.get(tweetId);
    if (!t) throw new Error(`x-sim has no tweet ${tweetId}`);
    const v1 = (s: StoredTweet): Record<string, unknown> => {
      const author = userById(s.author_id)!;
      const quoted = s.referenced_tweets?.find((r) => r.type === 'quoted');
      const retweeted = s.referenced_tweets?.find((r) => r.type === 'retweeted');
      const place = s.geo ? places.get(s.geo.place_id) : undefined;
      const mediaList = (s.attachments?.media_keys ?? []).map((k) => media.get(k)!);
      return {
        id_str: s.id, text: s.text, created_at: new Date(s.created_at).toUTCString(),
        user: { id_str: author.id, screen_name: author.username, name: author.name },
        entities: { user_mentions: s.entities.mentions.map((m) => ({ screen_name: m.username, id_str: m.id })) },
        ...(mediaList.length && { extended_entities: { media: mediaList.map((m) => m.type === 'photo'
          ? { type: 'photo', url: `https://t.co/m${s.id}`, media_url_https: m.url }
          : { type: 'video', url: `https://t.co/m${s.id}`, media_url_https: m.preview_image_url, video_info: { variants: (m.variants ?? []).map((v) => ({ content_type: v.content_type, url: v.url, bitrate: v.bit_rate })) } }) } }),
        ...(quoted && tweets.has(quoted.id) && { quoted_status: v1(tweets.get(quoted.id)!) }),
        ...(retweeted && { retweeted_status: { id_str: retweeted.id } }),
        ...(place && { place: { full_name: place.full_name } }),
        ...(s.geo?.coordinates && { coordinates: s.geo.coordinates }),
      };
    };
    return { for_user_id: account.id, tweet_create_events: [v1(t)] };
  }

  const sim: XSim = {
    url: '',
    account,
    addMention,
    failNext(count, { status = 429, resetInSeconds = 2, endpoint = 'mentions' } = {}) {
      for (let i = 0; i < count; i++) failures.push({ status, resetInSeconds, endpoint });
    },
    posts: [],
    requests: [],
    activityEvent,
    async deliverWebhook(tweetId, url, consumerSecret) {
      const body = JSON.stringify(activityEvent(tweetId));
      const signature = `sha256=${createHmac('sha256', consumerSecret).update(body).digest('base64')}`;
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-twitter-webhooks-signature': signature }, body });
      return res.status;
    },
    close: async () => {},
  };

  async function control(req: IncomingMessage, res: ServerResponse, path: string) {
    const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') : {};
    if (req.method === 'POST' && path === '/sim/mentions') {
      if (typeof body.from !== 'string' || typeof body.text !== 'string') return send(res, 400, { error: 'from and text are required' });
      return send(res, 201, { id: addMention(body as SimMention) });
    }
    if (req.method === 'POST' && path === '/sim/fail') {
      sim.failNext(Number(body.count ?? 1), { status: Number(body.status ?? 429), resetInSeconds: Number(body.resetInSeconds ?? 2), endpoint: body.endpoint ?? 'mentions' });
      return send(res, 200, { queued: failures.length });
    }
    if (req.method === 'POST' && path === '/sim/webhook') {
      return send(res, 200, { status: await sim.deliverWebhook(String(body.tweetId), String(body.url), String(body.consumerSecret)) });
    }
    if (req.method === 'GET' && path === '/sim/posts') return send(res, 200, sim.posts);
    if (req.method === 'GET' && path === '/sim/requests') return send(res, 200, sim.requests);
    return send(res, 404, { error: 'unknown control endpoint' });
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string, query: Record<string, string>): Promise<void> {
    const auth = req.headers.authorization ?? '';
    if (!/^(Bearer|OAuth) /.test(auth)) return send(res, 401, apiError(401, 'Unauthorized', 'Unauthorized'));
    const endpoint: SimEndpoint = path === '/2/tweets' ? 'tweets' : path.endsWith('/mentions') ? 'mentions' : 'users';
    const at = failures.findIndex((f) => f.endpoint === endpoint);
    const failure = at >= 0 ? failures.splice(at, 1)[0] : undefined;
    if (failure?.status === 0) {
      res.statusCode = 0;
      return void req.socket.destroy();
    }
    if (failure) {
      const headers = failure.status === 429 ? { ...rateHeaders(), 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(Math.ceil(Date.now() / 1000) + failure.resetInSeconds) } : {};
      return send(res, failure.status, apiError(failure.status, failure.status === 429 ? 'Too Many Requests' : 'Service Unavailable', 'injected by x-sim'), headers);
    }
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && (m = /^\/2\/users\/by\/username\/([A-Za-z0-9_]{1,15})$/.exec(path))) {
      const user = users.get(m[1]!.toLowerCase());
      return user ? send(res, 200, { data: user }) : send(res, 200, { errors: [{ value: m[1], detail: `Could not find user with username: [${m[1]}].`, title: 'Not Found Error' }] });
    }
    if (req.method === 'GET' && (m = /^\/2\/users\/(\d+)\/mentions$/.exec(path))) {
      if (options.delayMs) await new Promise((ok) => setTimeout(ok, options.delayMs));
      return mentionsOf(m[1]!, query, res);
    }
    if (req.method === 'POST' && path === '/2/tweets') {
      // X refuses app-only (bearer) tokens for posting: replies need user context (OAuth 1.0a).
      if (!auth.startsWith('OAuth ')) return send(res, 403, apiError(403, 'Unsupported Authentication', 'Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.'));
      const body = JSON.parse((await readBody(req)) || '{}') as { text?: string; reply?: { in_reply_to_tweet_id?: string } };
      if (!body.text || [...body.text].length > 280) return send(res, 400, { errors: [{ message: 'text must be 1–280 characters' }], title: 'Invalid Request' });
      const id = String(nextId++);
      sim.posts.push({ id, text: body.text, ...(body.reply?.in_reply_to_tweet_id && { inReplyTo: body.reply.in_reply_to_tweet_id }), at: Date.now() });
      return send(res, 201, { data: { id, text: body.text, edit_history_tweet_ids: [id] } });
    }
    return send(res, 404, apiError(404, 'Not Found', `x-sim does not implement ${req.method} ${path}`));
  }

  const server = createServer((req, res) => {
    const at = Date.now();
    const url = new URL(req.url ?? '/', 'http://x-sim');
    const query = Object.fromEntries(url.searchParams);
    const handler = url.pathname.startsWith('/sim/') ? control(req, res, url.pathname) : api(req, res, url.pathname, query);
    handler.catch((err: Error) => send(res, 400, { error: err.message })).finally(() => {
      if (!url.pathname.startsWith('/sim/')) sim.requests.push({ method: req.method ?? 'GET', path: url.pathname, query, at, status: res.statusCode });
    });
  });
  await new Promise<void>((ok) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  sim.url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  sim.close = () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); });
  return sim;
}
