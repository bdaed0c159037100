/** Table-driven: every case lives in cases/mentions.json (label, v2 tweet + includes or webhook tweet, expected outcome). */
import { readFileSync } from 'node:fs';
import type { ApiV2Includes, TweetV2 } from 'twitter-api-v2';
import { describe, expect, it } from 'vitest';
import { Complaint, newComplaintId } from '../../src/complaint.js';
import { buildRouteIndex } from '../../src/keyword.js';
import { seedRoutes } from '../../src/route.js';
import { mentionFromActivity, mentionFromV2, normalizeMention, type ActivityTweet } from './normalize.js';

interface Case { label: string; v2?: { tweet: TweetV2; includes: ApiV2Includes }; activity?: ActivityTweet; expect: Record<string, unknown> }
const cases = JSON.parse(readFileSync(new URL('./cases/mentions.json', import.meta.url), 'utf8')) as Case[];
const ctx = { index: buildRouteIndex(seedRoutes()), account: { username: 'lapor1708', userId: '1708' }, receivedAt: '2026-11-24T05:00:00.000Z' };

describe('X normalize()', () => {
  it.each(cases)('$label', (c) => {
    const mention = c.v2 ? mentionFromV2(c.v2.tweet, c.v2.includes) : mentionFromActivity(c.activity!);
    const outcome = normalizeMention(mention, ctx);
    expect(outcome).toMatchObject(c.expect);
    if (outcome.kind !== 'complaint') return;
    const expected = c.expect.draft as Record<string, unknown>;
    for (const exact of ['reporter', 'attachments', 'location'] as const) if (expected[exact]) expect(outcome.draft[exact]).toEqual(expected[exact]);
    // Every draft becomes a valid complaint once intake adds its ids.
    expect(() => Complaint.parse({ ...outcome.draft, version: 1, id: newComplaintId(), trackingId: 'TESTTRK1' })).not.toThrow();
  });

  it('reads the same tweet identically from both API shapes', () => {
    const v2 = mentionFromV2({ id: '9', author_id: '5', text: '@lapor1708 BandungKota jalan rusak', edit_history_tweet_ids: [] }, { users: [{ id: '5', username: 'u5', name: 'U' }] });
    const activity = mentionFromActivity({ id_str: '9', text: '@lapor1708 BandungKota jalan rusak', user: { id_str: '5', screen_name: 'u5', name: 'U' }, entities: { user_mentions: [{ screen_name: 'lapor1708' }] } });
    const a = normalizeMention(v2, ctx);
    const b = normalizeMention(activity, ctx);
    expect(a).toEqual(b);
  });
});
