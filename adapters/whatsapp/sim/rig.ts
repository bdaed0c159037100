/** For tests: a real gateway with the WhatsApp channel and the fake Cloud API, each pointed at the other. */
import { freePort } from '../../../src/redis.js';
import { startGateway, type TestGateway } from '../../../test/helpers/gateway.js';
import { createWhatsAppChannel } from '../index.js';
import { WEBHOOK_PATH } from '../signature.js';
import { startWaSim, type WaSim, type WaSimOptions } from './server.js';

export const APP_SECRET = 'rig-app-secret-0123456789';
export const VERIFY_TOKEN = 'rig-verify-token';
const ACCESS_TOKEN = 'rig-access-token-0123456';
export const PHONE_NUMBER_ID = '106540352242922';

export interface WhatsAppRig { gw: TestGateway; sim: WaSim; hook: string; close(): Promise<void> }

export async function startWhatsAppRig(options: {
  gatewayEnv?: Record<string, string>;
  /** WHATSAPP_* settings over the rig's own (the four required ones, the fake's API base, 50 replies/s). */
  channelEnv?: Record<string, string>;
  sim?: Partial<WaSimOptions>;
  gateway?: { workers?: boolean; sessions?: boolean };
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
  return { gw, sim, hook, async close() { await sim.close(); await gw.close(); } };
}
