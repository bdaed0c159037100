/** The SMS channel's environment, parsed with zod; a bad value stops start-up with one line naming the variable. */
import { z } from 'zod';

const positiveInt = z.coerce.number().int().positive();
const blankIsUnset = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

export const SmsConfigSchema = z.object({
  SMPP_URL: blankIsUnset(z.url({ protocol: /^s?smpp$/, error: 'SMPP_URL must look like smpp://system_id:password@host:2775 (ssmpp:// for TLS)' }).optional()),
  SMPP_BIND: z.enum(['transceiver', 'receiver']).default('transceiver')
    .describe('receiver: MO on a receiver bind, replies on a separate transmitter bind'),
  SMPP_BINDS: z.coerce.number().int().min(1).max(64).default(1)
    .describe('Binds this process keeps open (each transceiver, or receiver + transmitter pair); an operator may allow several per system_id'),
  SMPP_SYSTEM_TYPE: z.string().max(12).default(''),
  SMPP_SHORTCODE: z.string().regex(/^\d{3,15}$/, 'SMPP_SHORTCODE must be digits, e.g. 1708').default('1708'),
  SMPP_DC0: z.enum(['gsm', 'latin1']).default('gsm').describe('How this SMSC means data_coding 0'),
  SMPP_MAX_IN_FLIGHT: positiveInt.default(100).describe('Unanswered deliver_sm above which the socket is not read'),
  SMPP_ENQUIRE_LINK_SECONDS: z.coerce.number().positive().default(30),
  SMPP_ENQUIRE_LINK_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
  SMPP_RECONNECT_MAX_SECONDS: z.coerce.number().positive().default(60),
  SMS_REASSEMBLY_TIMEOUT_SECONDS: z.coerce.number().positive().default(3600)
    .describe('An incomplete long SMS is delivered with the parts that came after this'),
  SMS_REPLY_PER_SECOND: z.coerce.number().positive().default(10),
  SMS_FLOOD_PER_HOUR: z.coerce.number().int().min(0).default(10).describe('Complaints per phone number per hour before holding for review; 0 = no cap'),
  SMS_HTTP_SECRET: blankIsUnset(z.string().min(16, 'SMS_HTTP_SECRET must be at least 16 characters').optional())
    .describe('Shared secret of the HTTP MO endpoint (Authorization: Bearer); unset = endpoint off'),
  SMS_HTTP_MT_URL: blankIsUnset(z.url({ protocol: /^https?$/ }).optional()).describe("The aggregator's MT callback for replies to HTTP MO"),
});

export type SmsConfig = z.infer<typeof SmsConfigSchema>;

export class SmsConfigError extends Error {}

export function loadSmsConfig(env: Record<string, string | undefined>): SmsConfig {
  const parsed = SmsConfigSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const name = String(issue.path[0]);
  throw new SmsConfigError(`invalid SMS configuration — ${name}: ${issue.message}${name === 'SMPP_URL' || name.endsWith('SECRET') ? '' : ` (got ${JSON.stringify(env[name])})`}`);
}

export interface SmppEndpoint { url: string; systemId: string; password: string; tls: boolean }

/** system_id and password live in the URL's user info. */
export function smppEndpoint(smppUrl: string): SmppEndpoint {
  const u = new URL(smppUrl);
  const tls = u.protocol === 'ssmpp:';
  return {
    url: `${u.protocol}//${u.hostname}:${u.port || (tls ? 3550 : 2775)}`,
    systemId: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    tls,
  };
}
