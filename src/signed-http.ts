/**
 * Signed JSON over HTTP, both ways: Pintu signs each delivery to an agency, and checks what agencies (and the
 * WhatsApp Cloud API) send back, with `sha256=<hex HMAC-SHA256 of the raw body>`. A signature covers the exact
 * bytes, so a route that checks one reads its JSON body raw and parses it only after the check.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

export function sign(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const HEX_DIGEST = /^[0-9a-f]{64}$/i;

/** Constant-time check of a `sha256=<hex>` header against the raw body; a malformed header is refused outright. */
export function validSignature(secret: string, rawBody: Buffer, header: string | undefined): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const hex = header.slice('sha256='.length);
  if (!HEX_DIGEST.test(hex)) return false;
  return timingSafeEqual(Buffer.from(hex, 'hex'), createHmac('sha256', secret).update(rawBody).digest());
}

/** JSON bodies of this (encapsulated) plugin arrive as the raw bytes, to be checked before they are parsed. */
export function rawJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
}

/** Invalid bytes are refused, not turned into U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A raw body as JSON, or null when it is not JSON in UTF-8. */
export function parseRawJson(raw: Buffer): unknown {
  try {
    return JSON.parse(UTF8.decode(raw));
  } catch {
    return null;
  }
}
