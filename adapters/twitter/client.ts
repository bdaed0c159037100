/**
 * The little of the X API this channel uses, behind an interface of our own; twitter-api-v2 does the HTTP.
 *
 * twitter-api-v2 1.29 has no base-URL option: every endpoint is built from the `https://api.x.com/2/`
 * constant and sent with `https.request`. `TWITTER_API_BASE_URL` is wired with the library's own
 * `onBeforeRequestConfig` plugin hook, which runs before the URL is parsed and signed, and rewrites
 * the origin; a plain-HTTP base (the fake X API) also needs an `http.Agent`, which `https.request`
 * accepts for `http:` URLs.
 */
import { Agent } from 'node:http';
import { ApiRequestError, ApiResponseError, TwitterApi, type ITwitterApiClientPlugin, type TweetV2PaginableTimelineParams } from 'twitter-api-v2';
import { mentionFromV2, type Mention } from './normalize.js';
import type { UserCredentials } from './config.js';

const REAL_API_ORIGIN = 'https://api.x.com';
/** Mentions API pages hold at most 100 tweets. */
export const PAGE_SIZE = 100;

export interface RateBudget { limit: number; remaining: number; /** epoch seconds */ reset: number }

export interface MentionsPage {
  mentions: Mention[];
  newestId?: string;
  oldestId?: string;
  nextToken?: string;
  budget?: RateBudget;
}

export interface MentionsQuery { sinceId?: string; untilId?: string; paginationToken?: string }

export interface XReader {
  userIdOf(username: string): Promise<string>;
  mentions(userId: string, query: MentionsQuery): Promise<MentionsPage>;
}

export interface XWriter {
  /** Posts `text` as a reply to the tweet; resolves with the new tweet's id. */
  reply(toTweetId: string, text: string): Promise<string>;
}

/** What went wrong with a call, in the terms the poller and the reply worker act on. */
export type XFailure =
  | { kind: 'rate-limited'; resetAt: number | null; budget?: RateBudget }
  | { kind: 'transient'; message: string }
  | { kind: 'rejected'; status: number; message: string };

export function classifyFailure(err: unknown): XFailure {
  if (err instanceof ApiResponseError) {
    if (err.code === 429) {
      // Read the reset from the error itself; the rate-limit plugin's per-endpoint lookup misses it.
      const header = err.headers?.['x-rate-limit-reset'];
      const reset = err.rateLimit?.reset ?? (header ? Number(header) : NaN);
      return { kind: 'rate-limited', resetAt: Number.isFinite(reset) ? reset * 1000 : null, ...(err.rateLimit && { budget: err.rateLimit }) };
    }
    if (err.code >= 500) return { kind: 'transient', message: `X answered HTTP ${err.code}` };
    return { kind: 'rejected', status: err.code, message: `X answered HTTP ${err.code}: ${JSON.stringify(err.data).slice(0, 200)}` };
  }
  if (err instanceof ApiRequestError) {
    // No answer (connection refused or cut, timeout). twitter-api-v2 keeps the cause as `error` while its
    // `requestError` getter reads another field, so it is undefined (plhery/node-twitter-api-v2#353).
    const cause = (err.requestError as Error | undefined) ?? (err as unknown as { _options?: { error?: Error } })._options?.error;
    return { kind: 'transient', message: `X did not answer: ${cause?.message ?? err.message}` };
  }
  return { kind: 'transient', message: (err as Error).message };
}

/** twitter-api-v2 waits forever by default; a hung call must not freeze the poller (which keeps its lock). */
const REQUEST_TIMEOUT_MS = 20_000;

/** Every request: a timeout, and the origin swapped for `baseUrl` (see the file comment). */
function requestPlugin(baseUrl: string): ITwitterApiClientPlugin {
  return {
    onBeforeRequestConfig({ params }) {
      params.timeout ??= REQUEST_TIMEOUT_MS;
      if (baseUrl !== REAL_API_ORIGIN && params.url.startsWith(`${REAL_API_ORIGIN}/`)) params.url = baseUrl + params.url.slice(REAL_API_ORIGIN.length);
    },
  };
}

const clientSettings = (baseUrl: string) =>
  ({ plugins: [requestPlugin(baseUrl)], ...(baseUrl.startsWith('http:') && { httpAgent: new Agent({ keepAlive: true }) }) });

const MENTION_FIELDS: Partial<TweetV2PaginableTimelineParams> = {
  max_results: PAGE_SIZE,
  expansions: ['author_id', 'attachments.media_keys', 'geo.place_id', 'referenced_tweets.id', 'referenced_tweets.id.author_id'],
  'tweet.fields': ['created_at', 'conversation_id', 'author_id', 'entities', 'geo', 'referenced_tweets', 'attachments', 'note_tweet'],
  'user.fields': ['username', 'name'],
  'media.fields': ['url', 'preview_image_url', 'type', 'variants'],
  'place.fields': ['full_name', 'geo', 'country_code'],
};

export function createXReader(bearerToken: string, baseUrl: string): XReader {
  const api = new TwitterApi(bearerToken, clientSettings(baseUrl)).readOnly.v2;
  return {
    async userIdOf(username) {
      const { data } = await api.userByUsername(username);
      if (!data) throw new Error(`X has no user @${username}`);
      return data.id;
    },
    async mentions(userId, query) {
      const page = await api.userMentionTimeline(userId, {
        ...MENTION_FIELDS,
        ...(query.sinceId && { since_id: query.sinceId }),
        ...(query.untilId && { until_id: query.untilId }),
        ...(query.paginationToken && { pagination_token: query.paginationToken }),
      });
      const { data = [], includes = {}, meta } = page.data;
      return {
        mentions: data.map((tweet) => mentionFromV2(tweet, includes)),
        ...(meta?.newest_id && { newestId: meta.newest_id }),
        ...(meta?.oldest_id && { oldestId: meta.oldest_id }),
        ...(meta?.next_token && { nextToken: meta.next_token }),
        ...(page.rateLimit && { budget: page.rateLimit }),
      };
    },
  };
}

export function createXWriter(credentials: UserCredentials, baseUrl: string): XWriter {
  const api = new TwitterApi(credentials, clientSettings(baseUrl)).readWrite.v2;
  return {
    async reply(toTweetId, text) {
      const { data } = await api.reply(text, toTweetId);
      return data.id;
    },
  };
}
