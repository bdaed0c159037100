/**
 * SMS channel (shortcode 1708): an SMPP ESME session to the operator's SMSC, HTTP MO for
 * aggregators, and the reply sender that answers citizens (at once, or from `replies-sms`).
 * Configured by env (config.ts); without SMPP_URL the SMPP side is off and says so, without
 * SMS_HTTP_SECRET the HTTP side is.
 */
import type { ChannelAdapter, ChannelSession } from '../../src/channel.js';
import type { Pintu } from '../../src/pintu.js';
import { connectRedis } from '../../src/redis.js';
import { createHeldQueue } from '../../queues/held.js';
import { loadSmsConfig, smppEndpoint, type SmsConfig } from './config.js';
import { registerSmsHttp } from './http.js';
import type { InboundDeps } from './inbound.js';
import { SmppLink, type BindType } from './link.js';
import { moHandler, startPartialSweeper } from './mo.js';
import { Reassembly } from './reassembly.js';
import { smsSender } from './replies.js';

function inboundDeps(pintu: Pintu, config: SmsConfig): InboundDeps & { close(): Promise<void> } {
  const held = createHeldQueue(pintu.redis, pintu.config.PINTU_PREFIX, pintu.logger);
  return { pintu, config, held, close: () => held.close() };
}

function link(pintu: Pintu, config: SmsConfig, bind: BindType, onMessage?: ReturnType<typeof moHandler>): SmppLink {
  return new SmppLink({
    endpoint: smppEndpoint(config.SMPP_URL!),
    bind,
    systemType: config.SMPP_SYSTEM_TYPE,
    enquireLinkMs: config.SMPP_ENQUIRE_LINK_SECONDS * 1000,
    responseTimeoutMs: config.SMPP_ENQUIRE_LINK_TIMEOUT_SECONDS * 1000,
    reconnectMaxMs: config.SMPP_RECONNECT_MAX_SECONDS * 1000,
    maxInFlight: config.SMPP_MAX_IN_FLIGHT,
    logger: pintu.logger,
    onMessage,
  });
}

/** SMPP_BINDS binds (each a transceiver, or a receiver + transmitter pair) and the partial-SMS sweeper. */
function startSmpp(pintu: Pintu, config: SmsConfig, deps: InboundDeps) {
  const reassembly = new Reassembly(pintu.redis, pintu.config.PINTU_PREFIX, config.SMS_REASSEMBLY_TIMEOUT_SECONDS * 1000);
  const moDeps = { ...deps, reassembly };
  const onMessage = moHandler(moDeps);
  const receivers = Array.from({ length: config.SMPP_BINDS }, () => link(pintu, config, config.SMPP_BIND, onMessage));
  const transmitters = config.SMPP_BIND === 'transceiver' ? receivers : receivers.map(() => link(pintu, config, 'transmitter'));
  const links = [...new Set([...receivers, ...transmitters])];
  for (const l of links) l.start();
  const sweeper = startPartialSweeper(moDeps, config.SMS_REASSEMBLY_TIMEOUT_SECONDS * 1000);
  return {
    receivers, transmitters,
    async stop() {
      await Promise.all(links.map((l) => l.stop()));
      sweeper.stop();
    },
  };
}

export interface SmsSession extends ChannelSession {
  /** The SMPP binds that receive MO, and those that send replies (the same when transceivers; empty when SMPP is off). */
  receivers: SmppLink[];
  transmitters: SmppLink[];
  /** The first of each (null when SMPP is off). */
  receiver: SmppLink | null;
  transmitter: SmppLink | null;
}

/** The channel reads its configuration from `env` (process.env in production, overrides in tests). */
export function smsChannel(env: Record<string, string | undefined> = process.env): Omit<ChannelAdapter, 'start'> & { start(pintu: Pintu): Promise<SmsSession | null> } {
  return {
    name: 'sms',
    async http(app, { pintu }) {
      const config = loadSmsConfig(env);
      if (!config.SMS_HTTP_SECRET) return;
      const deps = inboundDeps(pintu, config);
      app.addHook('onClose', deps.close);
      await registerSmsHttp(app, pintu, { ...config, SMS_HTTP_SECRET: config.SMS_HTTP_SECRET }, deps);
    },
    async start(pintu) {
      const config = loadSmsConfig(env);
      if (!config.SMPP_URL) pintu.logger.info('SMPP_URL not set: the SMS channel over SMPP is off');
      if (!config.SMPP_URL && !config.SMS_HTTP_MT_URL) return null;
      const deps = inboundDeps(pintu, config);
      const smpp = config.SMPP_URL ? startSmpp(pintu, config, deps) : null;
      // Workers must wait out a Redis outage, so the reply worker gets its own patient connection.
      const workerRedis = connectRedis(pintu.redisUrl, 'worker');
      workerRedis.on('error', () => {});
      pintu.replies.register(smsSender(config, smpp?.transmitters ?? []), workerRedis);
      return {
        receivers: smpp?.receivers ?? [],
        transmitters: smpp?.transmitters ?? [],
        receiver: smpp?.receivers[0] ?? null,
        transmitter: smpp?.transmitters[0] ?? null,
        async stop() {
          // Links first: a reply still waiting for its submit_sm_resp fails at once and is queued for a retry.
          await smpp?.stop();
          await pintu.replies.unregister('sms');
          await deps.close();
          workerRedis.disconnect();
        },
      };
    },
  };
}
