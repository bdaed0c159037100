/** Configuration from the environment, parsed once by zod; a bad value stops start-up with one readable line. */
import { z } from 'zod';
import { AdminTokens } from './admin/tokens.js';
import { CalendarSettings } from './calendar.js';
import { AGENCY_STATUSES, STATUS_TABLE } from './lifecycle.js';
import { PerformanceSettings } from './performance.js';
import { clusterUrlFromNodes, parseRedisUrl, REDIS_URL_FORMS } from './redis.js';

const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = z.preprocess((v) => (v === '' ? undefined : v), z.url({ protocol: /^https?$/ }).optional());
const positiveInt = z.coerce.number().int().positive();

export const ConfigSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  REDIS_URL: z.preprocess((v) => (v === '' ? undefined : v), z.string().refine((url) => parseRedisUrl(url) !== null, `must be ${REDIS_URL_FORMS}`).optional())
    .describe('Unset: a local redis-server child is started in the data dir'),
  REDIS_CLUSTER_NODES: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional())
    .describe('h1:p1,h2:p2,... of a Redis Cluster (password and TLS from a redis:// or rediss:// REDIS_URL); same as REDIS_URL=redis+cluster://...'),
  PINTU_DATA_DIR: z.string().min(1).default('./.data'),
  PINTU_PREFIX: z.string().regex(/^[\w:{}.-]+$/).default('pintu').describe('Redis key prefix (queues, routes, status)'),
  NATIONAL_WEBHOOK_URL: optionalUrl,
  WEBHOOK_SECRET: z.string().min(16, 'WEBHOOK_SECRET must be at least 16 characters').optional()
    .describe('Signing secret for the national webhook and for routes without their own'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DELIVERY_ATTEMPTS: positiveInt.default(12),
  DELIVERY_BACKOFF_MS: positiveInt.default(30_000).describe('First retry delay; doubles each attempt (12 attempts ≈ 34 h)'),
  DELIVERY_TIMEOUT_MS: positiveInt.default(10_000),
  DEDUP_WINDOW_SECONDS: positiveInt.default(7 * 24 * 3600),
  WORKER_CONCURRENCY: positiveInt.default(16),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),
  TRUST_PROXY: z.stringbool().default(false),
  ADMIN_TOKENS: AdminTokens.describe('name:role:sha256-of-token entries (pintu admin token NAME ROLE); unset: the admin API is off'),
  NOTIFY_STATUSES: z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v), z.array(z.enum(AGENCY_STATUSES)))
    .default(STATUS_TABLE.notify).describe('Agency statuses the citizen is told about on their channel, comma-separated'),
  AGENCY_UPDATES_PER_MINUTE: z.coerce.number().int().min(0).default(600).describe('Updates per agency per minute on POST /api/v1/agency/updates; 0 = no limit'),
  CLOCK_SCAN_MS: positiveInt.default(1000).describe('How often one worker looks for complaints past a deadline'),
  STATUS_RETENTION_DAYS: positiveInt.default(730).describe("Days a complaint's record and timeline are kept after it reached a final status (selesai, diarsipkan); the performance aggregates stay"),
  ...CalendarSettings.shape,
  ...PerformanceSettings.shape,
  PUBLIC_URL: optionalUrl.describe('Where citizens reach this gateway (status page links in notifications), e.g. https://pintu.lapor.go.id'),
}).transform((config, ctx) => {
  if (!config.REDIS_CLUSTER_NODES) return config;
  const url = clusterUrlFromNodes(config.REDIS_CLUSTER_NODES, config.REDIS_URL);
  if (!url) ctx.addIssue({ code: 'custom', path: ['REDIS_CLUSTER_NODES'], message: 'must be host:port,host:port,... and REDIS_URL, if set with it, a plain redis:// or rediss:// URL (it gives only the password and TLS)' });
  return { ...config, REDIS_URL: url ?? config.REDIS_URL };
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {}

/** Only the variables we know are read; everything else in the environment is ignored. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return parseEnv(ConfigSchema, env);
}

/** Parse environment variables with a schema (core or a channel's own); one readable line on error. */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  // A URL's password is not echoed back.
  const shown = (name: string) => JSON.stringify(env[name]?.replace(/\/\/[^@/]*@/, '//…@'));
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message} (got ${shown(String(i.path[0]))})`);
  throw new ConfigError(`invalid configuration — ${lines.join('; ')}`);
}
