/**
 * Property-based: the X channel's readers (API v2 timeline tweets, v1.1 Account Activity events) and its
 * normalize() never throw on any tweet shape X could send, and never produce an invalid complaint.
 */
import fc from 'fast-check';
import type { ApiV2Includes, TweetV2 } from 'twitter-api-v2';
import { describe, expect, it } from 'vitest';
import { mentionFromActivity, mentionFromV2, normalizeMention, type ActivityTweet, type Mention } from '../adapters/twitter/normalize.js';
import { Complaint, newComplaintId } from '../src/complaint.js';
import { buildRouteIndex } from '../src/keyword.js';
import { seedRoutes } from '../src/route.js';

const routes = seedRoutes();
const index = buildRouteIndex(routes);
const keywords = routes.flatMap((r) => [r.keyword, ...r.aliases]);
const account = { username: 'lapor1708', userId: '1708' };

const opt = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const tweetId = fc.oneof(fc.bigInt({ min: 1n, max: 2n ** 63n - 1n }).map(String), fc.constant('1708'));
const handle = fc.oneof(fc.constantFrom('lapor1708', 'LAPOR1708', 'budi_s', 'warga_1'), fc.string({ maxLength: 20 }));
const anyUrl = fc.oneof(fc.webUrl(), fc.string({ maxLength: 40 }), fc.constantFrom('https://pbs.twimg.com/media/a.jpg', 'https://video.twimg.com/v.mp4', ''));
const mediaKey = fc.constantFrom('3_1', '3_2', '7_1', 'missing');
/** What citizens write: mentions, maybe a keyword or a hashtag, then anything, with X's entity escapes. */
const tweetText = fc.oneof(
  fc.tuple(fc.constantFrom('@lapor1708 ', '@LAPOR1708: ', '@budi @lapor1708 ', '＠lapor1708 ', ''), fc.constantFrom(...keywords, ''), fc.constantFrom(' ', '\n', ' #PekalonganKota ', ' &amp; ', ''), fc.string({ unit: 'grapheme', maxLength: 280 }))
    .map((p) => p.join('')),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 11_000 }),
);
const coordinates = fc.tuple(fc.double(), fc.double());

const v2Tweet = fc.record({
  id: tweetId,
  text: tweetText,
  author_id: opt(tweetId),
  conversation_id: opt(tweetId),
  created_at: opt(fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string())),
  entities: opt(fc.record({
    mentions: fc.array(fc.record({ username: handle, start: fc.nat(), end: fc.nat(), id: tweetId }), { maxLength: 4 }),
    urls: fc.array(fc.record({ url: fc.string({ maxLength: 30 }), media_key: opt(mediaKey), start: fc.nat(), end: fc.nat(), expanded_url: fc.string(), display_url: fc.string() }), { maxLength: 3 }),
  })),
  referenced_tweets: opt(fc.array(fc.record({ type: fc.constantFrom('quoted' as const, 'retweeted' as const, 'replied_to' as const), id: tweetId }), { maxLength: 2 })),
  attachments: opt(fc.record({ media_keys: fc.array(mediaKey, { maxLength: 25 }) })),
  geo: opt(fc.record({ place_id: opt(fc.constantFrom('p1', 'p2')), coordinates: opt(fc.record({ type: fc.constant('Point'), coordinates: fc.option(coordinates, { nil: null }) })) })),
  note_tweet: opt(fc.record({ text: tweetText })),
}, { requiredKeys: ['id', 'text'] });

const v2Includes = fc.record({
  users: fc.array(fc.record({ id: tweetId, username: handle, name: fc.string({ unit: 'grapheme', maxLength: 300 }) }), { maxLength: 3 }),
  media: fc.array(fc.record({
    media_key: mediaKey, type: fc.constantFrom('photo', 'video', 'animated_gif'), url: opt(anyUrl), preview_image_url: opt(anyUrl),
    variants: opt(fc.array(fc.record({ content_type: fc.constantFrom('video/mp4', 'application/x-mpegURL'), url: anyUrl, bit_rate: opt(fc.nat()) }), { maxLength: 3 })),
  }), { maxLength: 25 }),
  places: fc.array(fc.record({ id: fc.constantFrom('p1', 'p2'), full_name: fc.string({ maxLength: 700 }) }), { maxLength: 2 }),
  tweets: fc.array(fc.record({ id: tweetId, text: tweetText, author_id: opt(tweetId) }, { requiredKeys: ['id', 'text'] }), { maxLength: 2 }),
}, { requiredKeys: [] });

const activityTweet: fc.Arbitrary<ActivityTweet> = fc.letrec<{ tweet: ActivityTweet }>((tie) => ({
  tweet: fc.record({
    id_str: tweetId,
    text: opt(tweetText), full_text: opt(tweetText),
    created_at: opt(fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()), fc.string())),
    user: fc.record({ id_str: tweetId, screen_name: opt(handle), name: opt(fc.string({ unit: 'grapheme', maxLength: 300 })) }),
    entities: opt(fc.record({ user_mentions: opt(fc.array(fc.record({ screen_name: handle }), { maxLength: 3 })) })),
    extended_tweet: opt(fc.record({ full_text: tweetText })),
    extended_entities: opt(fc.record({ media: opt(fc.array(fc.record({
      type: fc.constantFrom('photo', 'video', 'animated_gif'), url: opt(fc.string({ maxLength: 30 })), media_url_https: opt(anyUrl),
      video_info: opt(fc.record({ variants: fc.array(fc.record({ content_type: fc.constantFrom('video/mp4', 'application/x-mpegURL'), url: anyUrl, bitrate: opt(fc.nat()) }), { maxLength: 3 }) })),
    }), { maxLength: 25 })) })),
    retweeted_status: opt(fc.oneof(fc.constant(null), fc.object())),
    quoted_status: fc.option(tie('tweet'), { nil: undefined, depthSize: 'small' }),
    coordinates: opt(fc.option(fc.record({ type: fc.constant('Point'), coordinates }), { nil: null })),
    place: opt(fc.option(fc.record({ full_name: opt(fc.string({ maxLength: 700 })) }), { nil: null })),
  }, { requiredKeys: ['id_str', 'user'] }),
})).tweet;

function expectValid(mention: Mention) {
  const outcome = normalizeMention(mention, { account, index, receivedAt: new Date().toISOString() });
  if (outcome.kind !== 'complaint') return;
  const complaint = Complaint.safeParse({ ...outcome.draft, version: 1, id: newComplaintId(), trackingId: 'TESTTRK1' });
  expect(complaint.success, JSON.stringify(complaint.error?.issues)).toBe(true);
}

describe('X normalize(), for any tweet', () => {
  it('a polled (API v2) tweet never throws and never becomes an invalid complaint', () => {
    fc.assert(fc.property(v2Tweet, v2Includes, (tweet, includes) => {
      expectValid(mentionFromV2(tweet as unknown as TweetV2, includes as unknown as ApiV2Includes));
    }), { numRuns: 1500 });
  });

  it('a webhook (v1.1 Account Activity) tweet never throws and never becomes an invalid complaint', () => {
    fc.assert(fc.property(activityTweet, (tweet) => {
      expectValid(mentionFromActivity(tweet));
    }), { numRuns: 1500 });
  });
});
