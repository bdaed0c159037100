/**
 * Admin tokens: `ADMIN_TOKENS` lists `name:role:sha256-of-token` entries, so the environment never holds a
 * usable token. A presented bearer token is hashed and compared in constant time with every entry.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const ADMIN_ROLES = ['admin', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
export interface Admin { name: string; role: AdminRole }
export interface AdminToken extends Admin { hash: Buffer }

const ENTRY = /^([\w.@-]{1,64}):(admin|viewer):([0-9a-f]{64})$/i;

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/** Entries separated by commas or whitespace; empty means the admin API is off. */
export const AdminTokens = z.string().default('').transform((raw, ctx): AdminToken[] => {
  const tokens: AdminToken[] = [];
  for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
    const match = ENTRY.exec(entry);
    if (!match) {
      ctx.addIssue({ code: 'custom', message: `entry "${entry.split(':')[0]}:…" is not name:role:sha256 (role admin or viewer, 64 hex digits); make one with: pintu admin token NAME ROLE` });
      return z.NEVER;
    }
    const [, name, role, hex] = match as unknown as [string, string, string, string];
    if (tokens.some((t) => t.name === name)) {
      ctx.addIssue({ code: 'custom', message: `the name "${name}" appears twice` });
      return z.NEVER;
    }
    tokens.push({ name, role: role.toLowerCase() as AdminRole, hash: Buffer.from(hex, 'hex') });
  }
  return tokens;
});

/** The admin a bearer token belongs to, or null. Every entry is compared, so timing says nothing. */
export function findAdmin(tokens: readonly AdminToken[], presented: string): Admin | null {
  const hash = sha256(presented);
  let found: AdminToken | null = null;
  for (const token of tokens) {
    if (timingSafeEqual(hash, token.hash) && !found) found = token;
  }
  return found && { name: found.name, role: found.role };
}

/** A new random token and the `ADMIN_TOKENS` entry that admits it. */
export function newAdminToken(name: string, role: AdminRole): { token: string; entry: string } {
  const token = `pintu_${randomBytes(32).toString('base64url')}`;
  const entry = `${name}:${role}:${sha256(token).toString('hex')}`;
  if (!ENTRY.test(entry)) throw new Error(`token name "${name}" must be 1–64 letters, digits, or . _ @ -`);
  return { token, entry };
}
