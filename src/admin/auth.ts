/**
 * Admin authentication for everything under /admin: a bearer token, or the same token in an HttpOnly
 * session cookie set by the sign-in form (so the browser UI and Bull Board work). Unknown → 401,
 * a viewer writing → 403. Cookie-authenticated writes must come from our own origin (no CSRF).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { findAdmin, type Admin, type AdminToken } from './tokens.js';

export const SESSION_COOKIE = 'pintu_admin';

declare module 'fastify' {
  interface FastifyRequest { admin: Admin | null }
  interface FastifyContextConfig {
    /** Reachable without signing in (sign-in page, assets). */
    adminPublic?: boolean;
    /** A POST that changes nothing (resolve a test message): viewers may call it. */
    adminReadOnly?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One cookie's value from a Cookie header; a value that is not valid percent-encoding counts as absent. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...value] = part.trim().split('=');
    if (key !== name) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function credential(req: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | null {
  const auth = req.headers.authorization;
  if (auth !== undefined) return { token: /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] ?? '', via: 'bearer' };
  const session = cookie(req.headers.cookie, SESSION_COOKIE);
  return session ? { token: session, via: 'cookie' } : null;
}

const sameOrigin = (req: FastifyRequest) => req.headers.origin === `${req.protocol}://${req.host}`;

export function sessionCookie(req: FastifyRequest, token: string | null): string {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return token
    ? `${SESSION_COOKIE}=${encodeURIComponent(token)}; Path=/admin; HttpOnly; SameSite=Strict${secure}`
    : `${SESSION_COOKIE}=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0${secure}`;
}

function refuse(reply: FastifyReply, status: 401 | 403, message: string) {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="pintu-admin"');
  return reply.code(status).send({ error: status === 401 ? 'unauthorized' : 'forbidden', message });
}

/** Adds the hook to the (encapsulated) admin scope only. */
export function requireAdmin(app: FastifyInstance, tokens: readonly AdminToken[]): void {
  app.decorateRequest('admin', null);
  app.addHook('onRequest', async (req, reply) => {
    const presented = credential(req);
    req.admin = presented ? findAdmin(tokens, presented.token) : null;
    if (req.routeOptions.config.adminPublic) return;
    if (!presented || !req.admin) {
      // A person opening an admin page gets the sign-in form; programs get a 401.
      if (req.method === 'GET' && req.headers.accept?.includes('text/html')) return reply.redirect('/admin/login', 303);
      return refuse(reply, 401, 'Sign in with an admin token: Authorization: Bearer <token>');
    }
    if (SAFE_METHODS.has(req.method)) return;
    if (presented.via === 'cookie' && !sameOrigin(req)) return refuse(reply, 403, 'Refused a cross-site request; use the admin pages or a bearer token');
    if (req.admin.role !== 'admin' && !req.routeOptions.config.adminReadOnly) return refuse(reply, 403, `${req.admin.name} is a viewer: read-only`);
  });
}
