/**
 * WhatsApp (Cloud API) channel settings from the environment, parsed with zod inside the channel.
 * A bad value stops start-up with one line naming the variable; secrets are never echoed back.
 */
import { z } from 'zod';
import { ConfigError } from '../../src/config.js';

/** The Graph API version the channel is written and tested against (v26.0: July 2026, the newest in Meta's changelog). */
export const GRAPH_API_BASE_URL = 'https://graph.facebook.com/v26.0';

/** What a status notification can put into the approved template's body parameters, in the order configured. */
export const TEMPLATE_FIELDS = ['trackingId', 'status', 'note', 'region', 'updatedAt'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

const SECRETS = new Set(['WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_ACCESS_TOKEN']);
/** Without all of these the channel is off (see whatsAppOffReason). */
const REQUIRED = ['WHATSAPP_VERIFY_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID'] as const;

const blankIsUnset = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);
const secret = (name: string, min: number) =>
  blankIsUnset(z.string().min(min, `${name} must be at least ${min} characters`).regex(/^\S+$/, `${name} must not contain spaces`).optional());

export const WhatsAppConfigSchema = z.object({
  WHATSAPP_VERIFY_TOKEN: secret('WHATSAPP_VERIFY_TOKEN', 8)
    .describe('The token typed into the Meta app\'s webhook settings; the GET handshake must echo it'),
  WHATSAPP_APP_SECRET: secret('WHATSAPP_APP_SECRET', 16).describe('Meta app secret: X-Hub-Signature-256 is its HMAC of each webhook body'),
  WHATSAPP_ACCESS_TOKEN: secret('WHATSAPP_ACCESS_TOKEN', 16).describe('System-user token with whatsapp_business_messaging, sent as a bearer token'),
  WHATSAPP_PHONE_NUMBER_ID: blankIsUnset(z.string().regex(/^\d{5,20}$/, 'WHATSAPP_PHONE_NUMBER_ID must be the numeric phone number ID from the Meta app (not the phone number)').optional()),
  WHATSAPP_API_BASE_URL: z.url({ protocol: /^https?$/, error: 'WHATSAPP_API_BASE_URL must be an http(s) URL, e.g. https://graph.facebook.com/v26.0' })
    .transform((u) => u.replace(/\/+$/, '')).default(GRAPH_API_BASE_URL)
    .describe('Graph API base with its version, or a compatible server such as `npm run wa-sim`'),
  WHATSAPP_TEMPLATE_STATUS: blankIsUnset(z.string().regex(/^[a-z0-9_]{1,512}$/, 'WHATSAPP_TEMPLATE_STATUS must be a template name: lower-case letters, digits and _').optional())
    .describe('Approved template for status notifications outside the 24-hour window; unset → those notifications cannot be sent'),
  WHATSAPP_TEMPLATE_LANGUAGE: z.string().regex(/^[a-z]{2,3}(?:_[A-Z]{2})?$/, 'WHATSAPP_TEMPLATE_LANGUAGE must be a template language code, e.g. id or en_US').default('id'),
  WHATSAPP_TEMPLATE_STATUS_PARAMS: z.string().default('trackingId,status,note')
    .transform((list) => list.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(TEMPLATE_FIELDS, { error: `WHATSAPP_TEMPLATE_STATUS_PARAMS lists ${TEMPLATE_FIELDS.join(', ')}, comma-separated` })).max(10))
    .describe("The template's body parameters {{1}}, {{2}}, … in order"),
  WHATSAPP_REPLIES_PER_SECOND: z.coerce.number().positive().max(1000).default(20)
    .describe('Reply budget across all gateways; the Cloud API allows 80 messages/s per number by default'),
});

export type WhatsAppConfig = z.infer<typeof WhatsAppConfigSchema>;

export function loadWhatsAppConfig(env: NodeJS.ProcessEnv): WhatsAppConfig {
  const parsed = WhatsAppConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0]);
  const shown = SECRETS.has(name) ? '' : ` (got ${JSON.stringify(env[name])})`;
  throw new ConfigError(`invalid WhatsApp configuration — ${name}: ${issue.message}${shown}`);
}

/** Why the channel is off, or null when everything it needs is set. */
export function whatsAppOffReason(config: WhatsAppConfig): string | null {
  const missing = REQUIRED.filter((name) => !config[name]);
  return missing.length ? `WhatsApp channel off: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set` : null;
}

/** Why status notifications outside the 24-hour window cannot be sent, or null when they can. */
export function templateOffReason(config: WhatsAppConfig): string | null {
  return config.WHATSAPP_TEMPLATE_STATUS ? null : 'WHATSAPP_TEMPLATE_STATUS not set: WhatsApp notifications are sent only within 24 hours of the citizen\'s last message';
}

/** What the client needs to send; null while the channel is off. */
export interface WhatsAppCredentials { baseUrl: string; phoneNumberId: string; accessToken: string }

export function credentialsOf(config: WhatsAppConfig): WhatsAppCredentials | null {
  const { WHATSAPP_ACCESS_TOKEN: accessToken, WHATSAPP_PHONE_NUMBER_ID: phoneNumberId } = config;
  return accessToken && phoneNumberId ? { baseUrl: config.WHATSAPP_API_BASE_URL, phoneNumberId, accessToken } : null;
}
