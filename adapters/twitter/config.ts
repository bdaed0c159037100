/** X (Twitter) channel settings from the environment, parsed with zod inside the channel. */
import { z } from 'zod';
import { parseEnv } from '../../src/config.js';

const blankIsUnset = (v: unknown) => (v === '' ? undefined : v);
const optionalSecret = (name: string) => z.preprocess(blankIsUnset, z.string().min(1, `${name} must not be empty`).optional());

export const TwitterConfigSchema = z.object({
  TWITTER_BEARER_TOKEN: optionalSecret('TWITTER_BEARER_TOKEN').describe('App-only token for reading mentions; unset → the X channel is off'),
  TWITTER_USERNAME: z.string().regex(/^@?[A-Za-z0-9_]{1,15}$/, 'TWITTER_USERNAME must be an X handle, e.g. lapor1708')
    .transform((u) => u.replace(/^@/, '')).default('lapor1708'),
  TWITTER_USER_ID: z.preprocess(blankIsUnset, z.string().regex(/^\d{1,20}$/, 'TWITTER_USER_ID must be a numeric X user id').optional())
    .describe('Skips the one-time lookup of TWITTER_USERNAME'),
  TWITTER_MODE: z.enum(['poll', 'webhook', 'both']).default('poll'),
  TWITTER_POLL_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
  TWITTER_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.x.com')
    .transform((u) => u.replace(/\/+$/, '')).describe('A compatible server instead of the real API, e.g. `npm run x-sim`'),
  TWITTER_POLLER_LOCK_MS: z.coerce.number().int().min(500).default(30_000)
    .describe('How long the elected poller holds its lock without renewing it (failover time)'),
  TWITTER_APP_KEY: optionalSecret('TWITTER_APP_KEY'),
  TWITTER_APP_SECRET: optionalSecret('TWITTER_APP_SECRET').describe('Consumer secret: signs replies and the webhook CRC/signatures'),
  TWITTER_ACCESS_TOKEN: optionalSecret('TWITTER_ACCESS_TOKEN'),
  TWITTER_ACCESS_SECRET: optionalSecret('TWITTER_ACCESS_SECRET'),
  TWITTER_REPLIES_PER_SECOND: z.coerce.number().positive().default(0.1)
    .describe('Write budget for replies: X allows 100 posts per 15 minutes per user, 0.1/s stays under it'),
}).superRefine((c, ctx) => {
  if (c.TWITTER_MODE !== 'poll' && !c.TWITTER_APP_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['TWITTER_APP_SECRET'], message: `TWITTER_APP_SECRET is required when TWITTER_MODE=${c.TWITTER_MODE} (it verifies webhook signatures)` });
  }
});

export type TwitterConfig = z.infer<typeof TwitterConfigSchema>;

export interface UserCredentials { appKey: string; appSecret: string; accessToken: string; accessSecret: string }

export function loadTwitterConfig(env: NodeJS.ProcessEnv): TwitterConfig {
  return parseEnv(TwitterConfigSchema, env);
}

/** User-context credentials for posting replies, or null when any of the four is missing. */
export function userCredentials(c: TwitterConfig): UserCredentials | null {
  const { TWITTER_APP_KEY: appKey, TWITTER_APP_SECRET: appSecret, TWITTER_ACCESS_TOKEN: accessToken, TWITTER_ACCESS_SECRET: accessSecret } = c;
  return appKey && appSecret && accessToken && accessSecret ? { appKey, appSecret, accessToken, accessSecret } : null;
}
