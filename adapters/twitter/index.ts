/**
 * X (Twitter) channel: mentions of the account by polling (default) and/or the Account Activity
 * webhook, replies in the citizen's thread (at once, or from `replies-twitter`). No TWITTER_BEARER_TOKEN → the channel is off.
 */
import type { FastifyInstance } from 'fastify';
import type { ChannelAdapter, ChannelSession } from '../../src/channel.js';
import type { Pintu } from '../../src/pintu.js';
import { connectRedis } from '../../src/redis.js';
import { createXReader, createXWriter } from './client.js';
import { loadTwitterConfig, userCredentials, type TwitterConfig } from './config.js';
import { MentionIntake } from './mentions.js';
import { twitterMetrics } from './metrics.js';
import type { Account } from './normalize.js';
import { MentionPoller } from './poller.js';
import { xReplySender } from './replies.js';
import { webhookRoutes } from './webhook.js';

export interface TwitterSession extends ChannelSession {
  /** Present in poll mode; only the elected gateway's poller calls the API. */
  poller: MentionPoller | null;
}

const accountOf = (c: TwitterConfig): Account => ({ username: c.TWITTER_USERNAME, ...(c.TWITTER_USER_ID && { userId: c.TWITTER_USER_ID }) });

/** The channel reads its settings from `env` when first used (tests pass their own). */
export function createTwitterChannel(env: NodeJS.ProcessEnv = process.env): Omit<ChannelAdapter, 'start'> & { start(pintu: Pintu): Promise<TwitterSession | null> } {
  let parsed: TwitterConfig | undefined;
  const settings = () => (parsed ??= loadTwitterConfig(env));

  return {
    name: 'twitter',

    async http(app: FastifyInstance, { pintu }: { pintu: Pintu }) {
      const c = settings();
      if (!c.TWITTER_BEARER_TOKEN || c.TWITTER_MODE === 'poll') return;
      // Answers are kept only when they can be sent: without user-context credentials there are none.
      const intake = new MentionIntake(pintu, Boolean(userCredentials(c)));
      await webhookRoutes(app, {
        pintu, consumerSecret: c.TWITTER_APP_SECRET!, account: accountOf(c), metrics: twitterMetrics(pintu.metrics),
        take: (mention, account) => intake.take(mention, account),
      });
    },

    async start(pintu: Pintu): Promise<TwitterSession | null> {
      const c = settings();
      const { logger } = pintu;
      if (!c.TWITTER_BEARER_TOKEN) {
        logger.info('X channel off: TWITTER_BEARER_TOKEN is not set');
        return null;
      }
      const metrics = twitterMetrics(pintu.metrics);
      const credentials = userCredentials(c);
      if (!credentials) logger.info('X replies off: TWITTER_APP_KEY, TWITTER_APP_SECRET, TWITTER_ACCESS_TOKEN and TWITTER_ACCESS_SECRET are needed to post; mentions are still taken');
      const intake = new MentionIntake(pintu, Boolean(credentials));
      const poller = c.TWITTER_MODE === 'webhook' ? null : new MentionPoller({
        reader: createXReader(c.TWITTER_BEARER_TOKEN, c.TWITTER_API_BASE_URL),
        redis: pintu.redis, prefix: pintu.config.PINTU_PREFIX, account: accountOf(c),
        intervalMs: c.TWITTER_POLL_INTERVAL_MS, lockMs: c.TWITTER_POLLER_LOCK_MS, logger, metrics,
        take: (mention, account) => intake.take(mention, account),
      });
      poller?.start();
      const workerConnection = credentials ? connectRedis(pintu.redisUrl, 'worker') : null;
      workerConnection?.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error (X replies)'));
      if (credentials && workerConnection) {
        pintu.replies.register(xReplySender({ writer: createXWriter(credentials, c.TWITTER_API_BASE_URL), perSecond: c.TWITTER_REPLIES_PER_SECOND, metrics }), workerConnection);
      }
      logger.info({ mode: c.TWITTER_MODE, account: c.TWITTER_USERNAME, api: c.TWITTER_API_BASE_URL, replies: Boolean(credentials) }, 'X channel on');
      return {
        poller,
        async stop() {
          await poller?.stop();
          await pintu.replies.unregister('twitter');
          workerConnection?.disconnect();
        },
      };
    },
  };
}

export const twitterChannel = createTwitterChannel();
