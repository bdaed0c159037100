/**
 * X mention → Complaint draft. Pure: no I/O; the route index and the account are passed in.
 * Two transports deliver the same tweet in two shapes (API v2 for polling, v1.1 for Account
 * Activity webhooks): both become one `Mention`, and one `normalizeMention` decides.
 */
import type { ApiV2Includes, MediaVariantsV2, TweetV2 } from 'twitter-api-v2';
import { Attachment, type ComplaintDraft, type Region } from '../../src/complaint.js';
import { resolveMessage, type Resolution, type RouteIndex } from '../../src/keyword.js';
import { statusRequest } from '../../src/replies.js';

const MAX_TEXT = 10_000;
const HANDLE = /^[A-Za-z0-9_]{1,15}$/;
const LEADING_MENTIONS = /^(?:\s*[@＠][A-Za-z0-9_]{1,15}\b[\s,:;.]*)+/u;
const HASHTAG = /[#＃]([\p{L}\p{N}_]+)/gu;

export interface MentionAttachment { url: string; mediaType: string }

/** One tweet that may mention the account, whichever API shape it arrived in. */
export interface Mention {
  tweetId: string;
  conversationId?: string;
  authorId: string;
  handle?: string;
  displayName?: string;
  /** Full text with HTML entities decoded and media links removed. */
  text: string;
  /** Lower-case usernames the tweet mentions. */
  mentioned: string[];
  retweet: boolean;
  quote?: { handle?: string; text: string };
  media: MentionAttachment[];
  location?: { lat?: number; lon?: number; address?: string };
  createdAt?: string;
}

export interface Account { username: string; userId?: string }

export interface NormalizeContext { account: Account; index: RouteIndex; receivedAt: string }

export type IgnoreReason = 'own-tweet' | 'retweet' | 'not-a-mention';

export type MentionOutcome =
  | { kind: 'complaint'; draft: ComplaintDraft }
  /** A mention with no complaint text: answer with the format help. */
  | { kind: 'help' }
  | { kind: 'status'; trackingId: string }
  | { kind: 'ignore'; reason: IgnoreReason };

/** X escapes these three in tweet text (both API versions). */
const decodeEntities = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const removeLinks = (text: string, links: Iterable<string>) => {
  let out = text;
  for (const link of links) out = out.split(link).join('');
  return out.trim();
};

/** The best playable file of a video or GIF: the highest-bitrate MP4. */
function bestVariant(variants: Array<{ content_type: string; url: string; bit_rate?: number; bitrate?: number }> | undefined): MentionAttachment | undefined {
  const mp4 = (variants ?? []).filter((v) => v.content_type === 'video/mp4')
    .sort((a, b) => (b.bit_rate ?? b.bitrate ?? 0) - (a.bit_rate ?? a.bitrate ?? 0))[0];
  return mp4 ? { url: mp4.url, mediaType: 'video/mp4' } : undefined;
}

const imageType = (url: string) => (/\.png(?:$|\?)/i.test(url) ? 'image/png' : 'image/jpeg');

function coordinates(point: [number, number] | null | undefined): { lat: number; lon: number } | undefined {
  // GeoJSON order: longitude first.
  if (!point) return undefined;
  const [lon, lat] = point;
  return Math.abs(lat) <= 90 && Math.abs(lon) <= 180 ? { lat, lon } : undefined;
}

function location(point: [number, number] | null | undefined, placeName: string | undefined): Mention['location'] {
  const at = coordinates(point);
  if (!at && !placeName) return undefined;
  return { ...at, ...(placeName && { address: placeName.slice(0, 500) }) };
}

/** A tweet from the v2 mentions timeline with its `includes`. */
export function mentionFromV2(tweet: TweetV2, includes: ApiV2Includes = {}): Mention {
  const author = includes.users?.find((u) => u.id === tweet.author_id);
  const mediaKeys = new Set(tweet.attachments?.media_keys ?? []);
  const media = (includes.media ?? []).filter((m) => mediaKeys.has(m.media_key)).flatMap((m): MentionAttachment[] => {
    if (m.type === 'photo' && m.url) return [{ url: m.url, mediaType: imageType(m.url) }];
    const video = bestVariant(m.variants as MediaVariantsV2[] | undefined);
    if (video) return [video];
    return m.preview_image_url ? [{ url: m.preview_image_url, mediaType: imageType(m.preview_image_url) }] : [];
  });
  const quotedId = tweet.referenced_tweets?.find((r) => r.type === 'quoted')?.id;
  const quoted = quotedId ? includes.tweets?.find((t) => t.id === quotedId) : undefined;
  const quotedAuthor = quoted && includes.users?.find((u) => u.id === quoted.author_id);
  const place = tweet.geo?.place_id ? includes.places?.find((p) => p.id === tweet.geo!.place_id) : undefined;
  const text = tweet.note_tweet?.text ?? tweet.text;
  const mediaLinks = (tweet.entities?.urls ?? []).filter((u) => u.media_key).map((u) => u.url);
  return {
    tweetId: tweet.id,
    ...(tweet.conversation_id && { conversationId: tweet.conversation_id }),
    authorId: tweet.author_id ?? '',
    ...(author && { handle: author.username, displayName: author.name }),
    text: decodeEntities(removeLinks(text, mediaLinks)),
    mentioned: (tweet.entities?.mentions ?? []).map((m) => m.username.toLowerCase()),
    retweet: tweet.referenced_tweets?.some((r) => r.type === 'retweeted') ?? false,
    ...(quoted && { quote: { ...(quotedAuthor && { handle: quotedAuthor.username }), text: decodeEntities(quoted.note_tweet?.text ?? quoted.text) } }),
    media,
    ...(tweet.geo && { location: location(tweet.geo.coordinates?.coordinates, place?.full_name) }),
    ...(tweet.created_at && { createdAt: tweet.created_at }),
  };
}

/** The parts of a v1.1 tweet object (Account Activity `tweet_create_events`) this channel reads. */
export interface ActivityTweet {
  id_str: string;
  text?: string;
  full_text?: string;
  created_at?: string;
  user: { id_str: string; screen_name?: string; name?: string };
  entities?: { user_mentions?: Array<{ screen_name: string }> };
  extended_tweet?: { full_text: string; entities?: ActivityTweet['entities']; extended_entities?: ActivityTweet['extended_entities'] };
  extended_entities?: { media?: Array<{ type: string; url?: string; media_url_https?: string; video_info?: { variants: Array<{ content_type: string; url: string; bitrate?: number }> } }> };
  retweeted_status?: unknown;
  quoted_status?: ActivityTweet;
  coordinates?: { type: string; coordinates: [number, number] } | null;
  place?: { full_name?: string } | null;
}

const activityText = (t: ActivityTweet) => t.extended_tweet?.full_text ?? t.full_text ?? t.text ?? '';

/** A tweet from an Account Activity webhook (v1.1 shape). */
export function mentionFromActivity(tweet: ActivityTweet): Mention {
  const entities = tweet.extended_tweet?.entities ?? tweet.entities;
  const mediaEntities = tweet.extended_tweet?.extended_entities?.media ?? tweet.extended_entities?.media ?? [];
  const media = mediaEntities.flatMap((m): MentionAttachment[] => {
    const video = m.type === 'photo' ? undefined : bestVariant(m.video_info?.variants);
    if (video) return [video];
    return m.media_url_https ? [{ url: m.media_url_https, mediaType: imageType(m.media_url_https) }] : [];
  });
  const quoted = tweet.quoted_status;
  const where = location(tweet.coordinates?.coordinates, tweet.place?.full_name);
  const createdAt = tweet.created_at ? new Date(tweet.created_at) : undefined;
  return {
    tweetId: tweet.id_str,
    authorId: tweet.user.id_str,
    ...(tweet.user.screen_name && { handle: tweet.user.screen_name }),
    ...(tweet.user.name && { displayName: tweet.user.name }),
    text: decodeEntities(removeLinks(activityText(tweet), mediaEntities.flatMap((m) => (m.url ? [m.url] : [])))),
    mentioned: (entities?.user_mentions ?? []).map((m) => m.screen_name.toLowerCase()),
    retweet: tweet.retweeted_status !== undefined && tweet.retweeted_status !== null,
    ...(quoted && { quote: { ...(quoted.user.screen_name && { handle: quoted.user.screen_name }), text: decodeEntities(activityText(quoted)) } }),
    media,
    ...(where && { location: where }),
    ...(createdAt && !Number.isNaN(createdAt.getTime()) && { createdAt: createdAt.toISOString() }),
  };
}

const ANONYMOUS_TAG = /#anonim(?![\p{L}\p{N}_])/iu;
const CONFIDENTIAL_TAG = /#rahasia(?![\p{L}\p{N}_])/iu;

const regionOf = (r: Resolution, keyword = r.keyword): Region =>
  ({ keyword, code: r.matched.code, name: r.matched.name, level: r.matched.level, matchType: r.matchType });

/** The first hashtag that names a route ("#PekalonganKota"), resolved like a leading keyword. */
function hashtagRegion(text: string, index: RouteIndex): Region | null {
  for (const tag of text.matchAll(HASHTAG)) {
    const resolution = resolveMessage(tag[1]!, index);
    if (resolution.matchType !== 'none' && resolution.complaintText === '') return regionOf(resolution, `#${resolution.keyword}`);
  }
  return null;
}

export function normalizeMention(mention: Mention, ctx: NormalizeContext): MentionOutcome {
  const own = ctx.account.username.toLowerCase();
  if ((ctx.account.userId && mention.authorId === ctx.account.userId) || mention.handle?.toLowerCase() === own) return { kind: 'ignore', reason: 'own-tweet' };
  if (mention.retweet) return { kind: 'ignore', reason: 'retweet' };
  const mentionsUs = mention.mentioned.includes(own) || new RegExp(`[@＠]${own}\\b`, 'i').test(mention.text);
  if (!mentionsUs) return { kind: 'ignore', reason: 'not-a-mention' };

  const body = mention.text.replace(LEADING_MENTIONS, '').trim();
  const trackingId = statusRequest(body);
  if (trackingId) return { kind: 'status', trackingId };

  const resolution = resolveMessage(body, ctx.index);
  const region = resolution.matchType !== 'none'
    ? regionOf(resolution)
    : hashtagRegion(body, ctx.index) ?? hashtagRegion(mention.quote?.text ?? '', ctx.index) ?? regionOf(resolution);
  const quote = mention.quote && `Mengutip${mention.quote.handle ? ` @${mention.quote.handle}` : ''}: ${mention.quote.text}`;
  const text = [resolution.complaintText, quote].filter(Boolean).join('\n\n').slice(0, MAX_TEXT);
  if (!resolution.complaintText && !mention.quote?.text.trim()) return { kind: 'help' };

  const handle = mention.handle && HANDLE.test(mention.handle) ? mention.handle : undefined;
  const name = mention.displayName?.trim().slice(0, 200);
  return {
    kind: 'complaint',
    draft: {
      channel: 'twitter',
      receivedAt: ctx.receivedAt,
      text,
      rawText: mention.text.slice(0, MAX_TEXT),
      region,
      // A tweet is public, but the citizen can still ask that the agency not learn who they are (#anonim) and that
      // the report not be published (#rahasia): news of its follow-up then stays out of the public thread.
      reporter: { ...(name && { name }), ...(handle && { twitterHandle: handle }), anonymous: ANONYMOUS_TAG.test(body), confidential: CONFIDENTIAL_TAG.test(body) },
      source: {
        messageId: mention.tweetId,
        address: `@${ctx.account.username}`,
        extras: {
          url: `https://x.com/${handle ?? 'i/web'}/status/${mention.tweetId}`,
          authorId: mention.authorId,
          ...(mention.conversationId && { conversationId: mention.conversationId }),
          ...(mention.createdAt && { createdAt: mention.createdAt }),
        },
      },
      // A media link the schema would refuse must not cost the citizen the whole complaint.
      attachments: mention.media.filter((m) => Attachment.safeParse(m).success).slice(0, 20),
      ...(mention.location && { location: mention.location }),
    },
  };
}
