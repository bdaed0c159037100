/**
 * `pintu [all|serve|worker]` — the one entry point.
 *   all     HTTP + channel sessions + workers in one process (default)
 *   serve   HTTP + channel sessions (intake only)
 *   worker  the delivery worker (and the reconciler) only
 * This file is the composition root: the only core file that knows the adapters.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { channels } from '../adapters/index.js';
import { adminCommand, ADMIN_USAGE } from './admin/cli.js';
import { buildApp } from './app.js';
import { startSessions } from './channel.js';
import { complaintJsonSchema } from './complaint.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createPintu } from './pintu.js';
import { startLocalRedis, type LocalRedis } from './redis.js';
import { Shutdown, stopGateway } from './shutdown.js';

const ROLES = ['all', 'serve', 'worker'] as const;
type Role = (typeof ROLES)[number];

const channelCommands = channels.flatMap(({ name, command }) => (command ? [`       pintu ${name} ${command.usage}`] : []));

const USAGE = `usage: pintu [all|serve|worker]
       pintu schema [FILE]     write the Complaint JSON Schema (default docs/complaint.schema.json)
${[ADMIN_USAGE, ...channelCommands].join('\n')}`;

async function run(role: Role): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  let localRedis: LocalRedis | undefined;
  const redisUrl = config.REDIS_URL ?? (localRedis = await startLocalRedis(join(config.PINTU_DATA_DIR, 'redis'), { logger })).url;
  const pintu = await createPintu(config, logger, redisUrl);
  const app = role === 'worker' ? null : await buildApp(pintu, channels);
  if (role !== 'serve') pintu.startWorkers();
  const sessions = app ? await startSessions(channels, pintu) : [];
  await app?.listen({ port: config.PORT, host: config.HOST });
  logger.info({ role, port: app ? config.PORT : undefined, redis: localRedis ? 'local child' : 'REDIS_URL' }, `pintu ${role} started`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: intake stops first, then in-flight jobs finish');
    // Every step is bounded (src/shutdown.ts); this is the last resort should the process itself be stuck.
    const force = setTimeout(() => { logger.error('shutdown took too long; exiting'); process.exit(1); }, config.SHUTDOWN_TIMEOUT_MS + 15_000);
    force.unref();
    await stopGateway({ app, sessions, pintu }, new Shutdown(config.SHUTDOWN_TIMEOUT_MS, logger));
    await localRedis?.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

async function main(argv: string[]): Promise<void> {
  const [command = 'all', ...rest] = argv;
  if (command === 'schema') {
    const file = rest[0] ?? 'docs/complaint.schema.json';
    writeFileSync(file, `${JSON.stringify(complaintJsonSchema(), null, 2)}\n`);
    console.log(`wrote ${file}`);
    return;
  }
  if (command === 'admin' || command === 'routes') { process.exitCode = await adminCommand(command, rest); return; }
  const channelCommand = channels.find((channel) => channel.name === command)?.command;
  if (channelCommand) { process.exitCode = await channelCommand.run(rest); return; }
  if (command === '--help' || command === '-h' || command === 'help') { console.log(USAGE); return; }
  if (!(ROLES as readonly string[]).includes(command)) { console.error(`unknown command "${command}"\n${USAGE}`); process.exit(2); }
  await run(command as Role);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  // One readable line for the operator, not a stack trace.
  console.error(`pintu: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
  process.exit(1);
});
