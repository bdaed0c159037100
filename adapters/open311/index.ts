/**
 * Open311 GeoReport v2 channel: civic-reporting apps submit complaints and follow them by tracking number under
 * `/open311/v2` (http.ts), each app with its own API key (`OPEN311_API_KEYS`, made by `pintu open311 key NAME`).
 * The GET methods need no key; without any key configured every POST is refused.
 */
import type { FastifyInstance } from 'fastify';
import type { ChannelAdapter } from '../../src/channel.js';
import type { Pintu } from '../../src/pintu.js';
import { loadOpen311Config, type Open311Config } from './config.js';
import { OPEN311_PREFIX, open311Routes } from './http.js';
import { newOpen311ApiKey } from './keys.js';

/** `pintu open311 key NAME`: a new key for a client app, shown once, and the entry that admits it. */
function keyCommand([verb, name, ...extra]: string[]): number {
  if (verb !== 'key' || !name || extra.length > 0) throw new Error('expected: pintu open311 key NAME');
  const { key, entry } = newOpen311ApiKey(name);
  console.log(`key (give it to ${name}; it is shown only now):\n  ${key}\nadd to OPEN311_API_KEYS (comma-separated):\n  ${entry}`);
  return 0;
}

/** The channel reads its settings from `env` when first used (tests pass their own). */
export function createOpen311Channel(env: NodeJS.ProcessEnv = process.env): ChannelAdapter {
  let parsed: Open311Config | undefined;
  const settings = () => (parsed ??= loadOpen311Config(env));
  return {
    name: 'open311',
    async http(app: FastifyInstance, { pintu }: { pintu: Pintu }) {
      const config = settings();
      if (config.keys.length === 0) pintu.logger.info('Open311: OPEN311_API_KEYS is not set, so every POST requests is refused (403); the GET methods answer');
      else pintu.logger.info({ clients: config.keys.length, perMinute: config.OPEN311_REQUESTS_PER_MINUTE }, `Open311 channel on at ${OPEN311_PREFIX}`);
      await app.register(open311Routes, { prefix: OPEN311_PREFIX, pintu, config });
    },
    command: { usage: 'key NAME              new API key for a client app and its OPEN311_API_KEYS entry', run: keyCommand },
  };
}

export const open311Channel = createOpen311Channel();
