/**
 * Open311 API keys, one per client app: `OPEN311_API_KEYS` lists `name:sha256-of-key` entries (the way
 * `ADMIN_TOKENS` does), so the environment never holds a usable key. A presented key is hashed and
 * compared in constant time with every entry; the app's name is what the complaint and the logs keep.
 */
import { findSecret, hashedSecrets, newSecret, SECRET_NAME, type HashedSecret } from '../../src/admin/tokens.js';

/** A client app allowed to submit: its name and the hash of its key. */
export type ApiClientKey = HashedSecret;

const ENTRY = /^([\w.@-]{1,64}):([0-9a-f]{64})$/i;

/** `OPEN311_API_KEYS`: entries separated by commas or whitespace; empty means nobody may submit. */
export const Open311ApiKeys = hashedSecrets((entry): ApiClientKey | null => {
  const match = ENTRY.exec(entry);
  return match ? { name: match[1]!, hash: Buffer.from(match[2]!, 'hex') } : null;
}, 'name:sha256 (64 hex digits); make one with: pintu open311 key NAME');

/** The keys from the environment; a bad entry stops start-up with one line naming the variable. */
export function loadOpen311ApiKeys(env: Record<string, string | undefined>): ApiClientKey[] {
  const parsed = Open311ApiKeys.safeParse(env.OPEN311_API_KEYS);
  if (parsed.success) return parsed.data;
  throw new Error(`invalid Open311 configuration — OPEN311_API_KEYS: ${parsed.error.issues[0]!.message}`);
}

/** The name of the client app a presented key belongs to, or null. */
export function findApiClient(keys: readonly ApiClientKey[], presented: string): string | null {
  return findSecret(keys, presented)?.name ?? null;
}

/** A new key for a client app and the `OPEN311_API_KEYS` entry that admits it. */
export function newOpen311ApiKey(name: string): { key: string; entry: string } {
  if (!SECRET_NAME.test(name)) throw new Error(`client name "${name}" must be 1–64 letters, digits, or . _ @ -`);
  const { secret, hex } = newSecret('o311');
  return { key: secret, entry: `${name}:${hex}` };
}
