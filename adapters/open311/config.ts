/** Open311 channel settings from the environment, parsed with zod inside the channel. */
import { z } from 'zod';
import { parseEnv } from '../../src/config.js';
import { loadOpen311ApiKeys, type ApiClientKey } from './keys.js';

export const Open311Settings = z.object({
  OPEN311_REQUESTS_PER_MINUTE: z.coerce.number().int().min(0).default(60)
    .describe('POST requests each client app (API key) may make per minute, across gateways; 0 = no limit'),
});

export type Open311Config = z.infer<typeof Open311Settings> & {
  /** The client apps allowed to submit (OPEN311_API_KEYS); none: every POST is refused. */
  keys: ApiClientKey[];
};

/** The keys are read by keys.ts, whose error names the variable without echoing its hashes. */
export function loadOpen311Config(env: NodeJS.ProcessEnv): Open311Config {
  return { ...parseEnv(Open311Settings, env), keys: loadOpen311ApiKeys(env) };
}
