/**
 * For tests: a real gateway with the WhatsApp channel and the fake Cloud API, each pointed at the other; optionally
 * Kota Pekalongan (33.75) with its own agency webhook, to answer complaints through the signed updates API.
 */
import { freePort } from '../../../src/redis.js';
import { sign } from '../../../src/signed-http.js';
import { startGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { createWhatsAppChannel } from '../index.js';
import { WEBHOOK_PATH } from '../signature.js';
import { WhatsAppStore } from '../store.js';
import { startWaSim, type WaSim, type WaSimOptions } from './server.js';

export const APP_SECRET = 'rig-app-secret-0123456789';
export const VERIFY_TOKEN = 'rig-verify-token';
const ACCESS_TOKEN = 'rig-access-token-0123456';
export const PHONE_NUMBER_ID = '106540352242922';
const CITY = '33.75';
const CITY_SECRET = 'rig-kota-pekalongan-secret';

export interface WhatsAppRig {
  gw: TestGateway;
  sim: WaSim;
  hook: string;
  /** Kota Pekalongan's update on a complaint, signed with its webhook secret (needs `cityUrl`). */
  update(trackingId: string, body: Record<string, unknown>): Promise<Response>;
  /** As far as every gateway knows, the citizen (WhatsApp id or BSUID) last wrote `hours` ago. */
  lastWrote(replyTo: string, hours: number): Promise<void>;
  /** The Redis key of a citizen's last message time. */
  lastKey(replyTo: string): string;
  close(): Promise<void>;
}

let updates = 0;

export async function startWhatsAppRig(options: {
  gatewayEnv?: Record<string, string>;
  /** WHATSAPP_* settings over the rig's own (the four required ones, the fake's API base, 50 replies/s). */
  channelEnv?: Record<string, string>;
  sim?: Partial<WaSimOptions>;
  gateway?: { workers?: boolean; sessions?: boolean };
  /** Kota Pekalongan's webhook: complaints for it go there, and it may answer them (`update`). */
  cityUrl?: string;
} = {}): Promise<WhatsAppRig> {
  // The fake's port first: the gateway must know the API base, the fake the webhook URL.
  const simPort = await freePort();
  const channel = createWhatsAppChannel({
    WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN, WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_ACCESS_TOKEN: ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID: PHONE_NUMBER_ID,
    WHATSAPP_API_BASE_URL: `http://127.0.0.1:${simPort}/v26.0`, WHATSAPP_REPLIES_PER_SECOND: '50', ...options.channelEnv,
  });
  const gw = await startGateway(options.gatewayEnv, { channels: [channel], ...options.gateway });
  const hook = `${gw.url}${WEBHOOK_PATH}`;
  const sim = await startWaSim({
    port: simPort, appSecret: APP_SECRET, accessToken: ACCESS_TOKEN, phoneNumberId: PHONE_NUMBER_ID, webhookUrl: hook,
    retry: { attempts: 6, firstDelayMs: 200, maxDelayMs: 1000, timeoutMs: 5000 }, ...options.sim,
  });
  if (options.cityUrl) await gw.pintu.routes.save([{ ...gw.pintu.routes.index().routes.get(CITY)!, destination: { url: options.cityUrl, secret: CITY_SECRET } }]);
  const store = new WhatsAppStore(gw.pintu.redis, gw.prefix);
  return {
    gw, sim, hook,
    update(trackingId, body) {
      const raw = JSON.stringify({ updateId: `rig-${process.pid}-${updates++}`, trackingId, ...body });
      return fetch(`${gw.url}/api/v1/agency/updates`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-pintu-agency': CITY, 'x-pintu-signature': sign(raw, CITY_SECRET) }, body: raw });
    },
    async lastWrote(replyTo, hours) {
      await gw.pintu.redis.set(store.key('last', replyTo), String(Date.now() - hours * 3600_000), 'PX', 3600_000);
    },
    lastKey: (replyTo) => store.key('last', replyTo),
    async close() { await sim.close(); await gw.close(); },
  };
}
