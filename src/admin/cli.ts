/**
 * Admin subcommands of `pintu`:
 *   pintu admin token NAME admin|viewer   print a new token and its ADMIN_TOKENS entry
 *   pintu routes export FILE              write every route (.csv or .json; secrets never)
 *   pintu routes import FILE              validate the whole file, then apply it (audited as cli:<user>)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { userInfo } from 'node:os';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { connectRedis } from '../redis.js';
import { RouteRegistry } from '../route-registry.js';
import { exportRoutes, planImport, type RouteFileFormat } from './route-io.js';
import { ADMIN_ROLES, newAdminToken, type AdminRole } from './tokens.js';

export const ADMIN_USAGE = `       pintu admin token NAME admin|viewer   new admin token and its ADMIN_TOKENS entry
       pintu routes export FILE            write the route table (.json or .csv)
       pintu routes import FILE            validate the whole file, then apply it`;

const formatOf = (file: string): RouteFileFormat => (extname(file).toLowerCase() === '.csv' ? 'csv' : 'json');

function adminToken([verb, name, role]: string[]): void {
  if (verb !== 'token' || !name || !(ADMIN_ROLES as readonly string[]).includes(role ?? '')) throw new Error('expected: pintu admin token NAME admin|viewer');
  const { token, entry } = newAdminToken(name, role as AdminRole);
  console.log(`token (give it to ${name}; it is shown only now):\n  ${token}\nadd to ADMIN_TOKENS (comma-separated):\n  ${entry}`);
}

/** Returns the process exit code. */
async function routes([verb, file]: string[]): Promise<number> {
  if ((verb !== 'export' && verb !== 'import') || !file) throw new Error('expected: pintu routes export|import FILE');
  const config = loadConfig();
  // A zero-configuration gateway runs its own redis-server on a random port: nothing to connect to from here.
  if (!config.REDIS_URL) throw new Error('REDIS_URL is not set: point it at the Redis your gateway uses (and PINTU_PREFIX, if you changed it)');
  const logger = createLogger(config.LOG_LEVEL, process.stderr);
  const redis = connectRedis(config.REDIS_URL, 'worker');
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  const registry = new RouteRegistry(redis, config.PINTU_PREFIX, logger);
  try {
    await registry.start();
    if (verb === 'export') {
      writeFileSync(file, exportRoutes(registry.index().routes.values(), formatOf(file)));
      console.log(`wrote ${registry.index().routes.size} routes to ${file}`);
      return 0;
    }
    const plan = planImport(readFileSync(file, 'utf8'), formatOf(file), registry.index().routes);
    if (!plan.ok) {
      for (const p of plan.problems) console.error(`${file}:${p.line}${p.code ? ` (${p.code})` : ''}: ${p.reason}`);
      console.error(`${plan.problems.length} row(s) are invalid; nothing was applied`);
      return 1;
    }
    const applied = await registry.apply(plan.changes, { actor: `cli:${userInfo().username}`, action: 'route.import' });
    console.log(`imported ${plan.rows} rows from ${file}: ${applied.length} changed${applied.length ? ` (${applied.map((a) => `${a.code} v${a.version}`).join(', ')})` : ''}; running processes pick it up within a second`);
    return 0;
  } finally {
    await registry.stop();
    redis.disconnect();
  }
}

/** Runs `pintu admin …` or `pintu routes …`; returns the exit code. */
export async function adminCommand(command: 'admin' | 'routes', args: string[]): Promise<number> {
  if (command === 'admin') { adminToken(args); return 0; }
  return routes(args);
}
