/**
 * Pintu's administration under /admin, one encapsulated plugin with its own auth hook: the routes API,
 * dead letters, audit, the admin UI and Bull Board. No ADMIN_TOKENS → nothing is mounted (404) and the
 * log says so: the admin side is never open by default.
 */
import type { FastifyInstance } from 'fastify';
import type { Pintu } from '../pintu.js';
import { requireAdmin } from './auth.js';
import { complaintsApi } from './complaints-api.js';
import { deadLettersApi } from './dead-letters-api.js';
import { overdueApi } from './overdue-api.js';
import { performanceApi } from './performance-api.js';
import { performanceDailyApi } from './performance-daily-api.js';
import { routesApi } from './routes-api.js';
import { adminUi } from './ui.js';

export const adminPlugin = async (app: FastifyInstance, { pintu }: { pintu: Pintu }) => {
  const tokens = pintu.config.ADMIN_TOKENS;
  if (tokens.length === 0) {
    pintu.logger.info('admin API is off: ADMIN_TOKENS is not set (make a token with: pintu admin token NAME admin|viewer)');
    return;
  }
  await app.register(async (admin) => {
    requireAdmin(admin, tokens);
    await admin.register(routesApi, { pintu, prefix: '/api' });
    await admin.register(deadLettersApi, { pintu, prefix: '/api' });
    await admin.register(complaintsApi, { pintu, prefix: '/api' });
    await admin.register(performanceApi, { pintu, prefix: '/api' });
    await admin.register(overdueApi, { pintu, prefix: '/api' });
    await admin.register(performanceDailyApi, { pintu, prefix: '/api' });
    await admin.register(adminUi, { pintu, tokens });
  }, { prefix: '/admin' });
  pintu.logger.info({ admins: tokens.filter((t) => t.role === 'admin').length, viewers: tokens.filter((t) => t.role === 'viewer').length }, 'admin API on at /admin');
};
