/** Start one real redis-server on a free port for the test run, and stop it after. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalRedis } from '../src/redis.js';

declare module 'vitest' {
  export interface ProvidedContext { redisUrl: string }
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'pintu-test-redis-'));
  const redis = await startLocalRedis(dir);
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
