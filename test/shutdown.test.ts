import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { webChannel } from '../adapters/web/index.js';
import type { ChannelAdapter } from '../src/channel.js';
import { createLogger } from '../src/logger.js';
import { Shutdown } from '../src/shutdown.js';
import { eventually, startGateway } from './helpers/gateway.js';

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  return { logger: createLogger('info', sink), lines };
}

const never = () => new Promise<void>(() => {});

describe('Shutdown', () => {
  it('leaves a step that overruns the deadline behind, names it, and still runs the next step', async () => {
    const { logger, lines } = capturedLogger();
    const shutdown = new Shutdown(200, logger);
    expect(await shutdown.step('stuck step', never)).toBe(false);
    let ran = false;
    // After the deadline a step still gets its short grace to close what answers.
    expect(await shutdown.step('next step', async () => { ran = true; })).toBe(true);
    expect(ran).toBe(true);
    expect(lines).toEqual([expect.objectContaining({ level: 40, step: 'stuck step', msg: 'shutdown: a step did not finish in time; going on without it' })]);
  });

  it('logs a step that fails and goes on', async () => {
    const { logger, lines } = capturedLogger();
    const shutdown = new Shutdown(5000, logger);
    expect(await shutdown.step('failing step', async () => { throw new Error('socket already closed'); })).toBe(false);
    expect(lines).toEqual([expect.objectContaining({ step: 'failing step', err: 'socket already closed', msg: 'shutdown: a step failed; going on' })]);
  });

  it('stops a gateway whose channel session never stops: HTTP and Redis are closed all the same', async () => {
    const stuckChannel: ChannelAdapter = { name: 'stuck', start: async () => ({ stop: never }) };
    const gateway = await startGateway({ SHUTDOWN_TIMEOUT_MS: '300' }, { channels: [webChannel, stuckChannel] });
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    await gateway.close();
    await expect(fetch(`${gateway.url}/healthz`)).rejects.toThrow();
    await eventually(() => gateway.pintu.redis.status === 'end');
  });
});
