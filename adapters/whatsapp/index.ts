/**
 * WhatsApp channel (Business Cloud API): the signed webhook Meta posts citizens' messages and delivery reports to,
 * and the reply sender that answers them and brings later news of their complaint (free text within 24 hours of
 * the citizen's last message, the approved template after). Without WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET,
 * WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID the channel is off and says so.
 */
import type { FastifyInstance } from 'fastify';
import type { ChannelAdapter, ChannelSession } from '../../src/channel.js';
import type { Pintu } from '../../src/pintu.js';
import { connectRedis } from '../../src/redis.js';
import { createWhatsAppSender } from './client.js';
import { credentialsOf, loadWhatsAppConfig, templateOffReason, whatsAppOffReason, type WhatsAppConfig } from './config.js';
import { WhatsAppIntake } from './inbound.js';
import { whatsAppMetrics } from './metrics.js';
import { whatsAppSender } from './replies.js';
import { WhatsAppStore } from './store.js';
import { webhookRoutes } from './webhook.js';

/** The channel reads its settings from `env` when first used (tests pass their own). */
export function createWhatsAppChannel(env: NodeJS.ProcessEnv = process.env): Omit<ChannelAdapter, 'start'> & { start(pintu: Pintu): Promise<ChannelSession | null> } {
  let parsed: WhatsAppConfig | undefined;
  const settings = () => (parsed ??= loadWhatsAppConfig(env));

  return {
    name: 'whatsapp',

    async http(app: FastifyInstance, { pintu }: { pintu: Pintu }) {
      const c = settings();
      if (whatsAppOffReason(c)) return;
      const store = new WhatsAppStore(pintu.redis, pintu.config.PINTU_PREFIX);
      await webhookRoutes(app, {
        pintu, store, intake: new WhatsAppIntake(pintu, store), metrics: whatsAppMetrics(pintu.metrics),
        appSecret: c.WHATSAPP_APP_SECRET!, verifyToken: c.WHATSAPP_VERIFY_TOKEN!, phoneNumberId: c.WHATSAPP_PHONE_NUMBER_ID!,
      });
    },

    async start(pintu: Pintu): Promise<ChannelSession | null> {
      const c = settings();
      const { logger } = pintu;
      const off = whatsAppOffReason(c);
      if (off) {
        logger.info(off);
        return null;
      }
      const noTemplate = templateOffReason(c);
      if (noTemplate) logger.info(noTemplate);
      // Workers must wait out a Redis outage, so the reply worker gets its own patient connection.
      const workerConnection = connectRedis(pintu.redisUrl, 'worker');
      workerConnection.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error (WhatsApp replies)'));
      pintu.replies.register(whatsAppSender({
        client: createWhatsAppSender(credentialsOf(c)!), config: c,
        store: new WhatsAppStore(pintu.redis, pintu.config.PINTU_PREFIX), metrics: whatsAppMetrics(pintu.metrics),
      }), workerConnection);
      logger.info({ api: c.WHATSAPP_API_BASE_URL, template: c.WHATSAPP_TEMPLATE_STATUS ?? null, repliesPerSecond: c.WHATSAPP_REPLIES_PER_SECOND }, 'WhatsApp channel on');
      return {
        async stop() {
          await pintu.replies.unregister('whatsapp');
          workerConnection.disconnect();
        },
      };
    },
  };
}

export const whatsAppChannel = createWhatsAppChannel();
