/**
 * Admin tokens: `ADMIN_TOKENS` lists `name:role:sha256-of-token` entries, so the environment never holds a
 * usable token. A presented bearer token is hashed and compared in constant time with every entry.
 * The hashing, the entry list and the matching are shared with other secrets kept the same way
 * (the Open311 channel's API keys).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const ADMIN_ROLES = ['admin', 'viewer'] as const;
export type AdminRole = (typeof ADMIN_ROLES)[number];
export interface Admin { name: string; role: AdminRole }
export interface AdminToken extends Admin { hash: Buffer }

/** A secret as its configuration entry holds it: who it belongs to and its SHA-256. */
export interface HashedSecret { name: string; hash: Buffer }

/** The names entries may have: they appear in logs and audit lines, never anything else. */
export const SECRET_NAME = /^[\w.@-]{1,64}$/;
const ENTRY = /^([\w.@-]{1,64}):(admin|viewer):([0-9a-f]{64})$/i;

export const secretHash = (secret: string) => createHash('sha256').update(secret, 'utf8').digest();

/**
 * A list of hashed-secret entries separated by commas or whitespace; empty means none. `parse` reads one
 * entry or returns null, and `expected` says what an entry must look like (it ends the error message).
 */
export function hashedSecrets<T extends HashedSecret>(parse: (entry: string) => T | null, expected: string) {
  return z.string().default('').transform((raw, ctx): T[] => {
    const secrets: T[] = [];
    for (const entry of raw.split(/[\s,]+/).filter(Boolean)) {
      const secret = parse(entry);
      if (!secret) {
        ctx.addIssue({ code: 'custom', message: `entry "${entry.split(':')[0]}:…" is not ${expected}` });
        return z.NEVER;
      }
      if (secrets.some((s) => s.name === secret.name)) {
        ctx.addIssue({ code: 'custom', message: `the name "${secret.name}" appears twice` });
        return z.NEVER;
      }
      secrets.push(secret);
    }
    return secrets;
  });
}

/** The entry a presented secret belongs to, or null. Every entry is compared, so timing says nothing. */
export function findSecret<T extends HashedSecret>(secrets: readonly T[], presented: string): T | null {
  const hash = secretHash(presented);
  let found: T | null = null;
  for (const secret of secrets) {
    if (timingSafeEqual(hash, secret.hash) && !found) found = secret;
  }
  return found;
}

/** A new random secret, recognisable by its prefix, and its hash as an entry shows it. */
export function newSecret(prefix: string): { secret: string; hex: string } {
  const secret = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { secret, hex: secretHash(secret).toString('hex') };
}

export const AdminTokens = hashedSecrets((entry): AdminToken | null => {
  const match = ENTRY.exec(entry);
  if (!match) return null;
  const [, name, role, hex] = match as unknown as [string, string, string, string];
  return { name, role: role.toLowerCase() as AdminRole, hash: Buffer.from(hex, 'hex') };
}, 'name:role:sha256 (role admin or viewer, 64 hex digits); make one with: pintu admin token NAME ROLE');

/** The admin a bearer token belongs to, or null. */
export function findAdmin(tokens: readonly AdminToken[], presented: string): Admin | null {
  const found = findSecret(tokens, presented);
  return found && { name: found.name, role: found.role };
}

/** A new random token and the `ADMIN_TOKENS` entry that admits it. */
export function newAdminToken(name: string, role: AdminRole): { token: string; entry: string } {
  if (!SECRET_NAME.test(name)) throw new Error(`token name "${name}" must be 1–64 letters, digits, or . _ @ -`);
  const { secret, hex } = newSecret('pintu');
  return { token: secret, entry: `${name}:${role}:${hex}` };
}
