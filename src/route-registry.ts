/**
 * The live route table: routes in Redis (one hash), a version number, and pub/sub so a change made in
 * one `pintu` process reaches every other within a second. Reads are served from an in-memory index.
 */
import type { Redis } from 'ioredis';
import { buildRouteIndex, type RouteIndex } from './keyword.js';
import type { Logger } from './logger.js';
import { Route, seedRoutes } from './route.js';

/** Backstop for a missed pub/sub message: the version is re-read this often. */
const VERSION_CHECK_MS = 500;

export class RouteRegistry {
  private current: RouteIndex = buildRouteIndex([]);
  private timer: NodeJS.Timeout | undefined;
  private subscriber: Redis | undefined;
  private readonly hashKey: string;
  private readonly versionKey: string;
  readonly channel: string;

  constructor(private readonly redis: Redis, prefix: string, private readonly logger: Logger) {
    this.hashKey = `${prefix}:routes`;
    this.versionKey = `${prefix}:routes:version`;
    this.channel = `${prefix}:routes:changed`;
  }

  /** Seed when Redis has no routes, load, and follow changes. */
  async start(): Promise<void> {
    await this.seedIfEmpty();
    await this.reload();
    this.subscriber = this.redis.duplicate();
    this.subscriber.on('error', (err) => this.logger.warn({ err: err.message }, 'route subscriber error'));
    await this.subscriber.subscribe(this.channel);
    this.subscriber.on('message', () => { void this.refresh(); });
    this.timer = setInterval(() => { void this.refresh(); }, VERSION_CHECK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.subscriber?.disconnect();
  }

  index(): RouteIndex {
    return this.current;
  }

  private async seedIfEmpty(): Promise<void> {
    // SET NX elects one seeder when several processes start on an empty Redis at once.
    if ((await this.redis.set(`${this.hashKey}:seeded`, '1', 'NX')) !== 'OK') return;
    if ((await this.redis.hlen(this.hashKey)) > 0) return;
    const routes = seedRoutes();
    await this.redis.multi()
      .hset(this.hashKey, Object.fromEntries(routes.map((r) => [r.code, JSON.stringify(r)])))
      .incr(this.versionKey)
      .exec();
    this.logger.info({ routes: routes.length }, 'seeded the route table from idn-area-data');
  }

  /** Re-read the table when its version moved. Errors keep the last good table. */
  async refresh(): Promise<void> {
    try {
      const version = Number(await this.redis.get(this.versionKey) ?? 0);
      if (version !== this.current.version) await this.reload();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'route table refresh failed; keeping the last one');
    }
  }

  private async reload(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const [[, version], [, raw]] = (await this.redis.multi().get(this.versionKey).hgetall(this.hashKey).exec()) as [[null, string | null], [null, Record<string, string>]];
      const routes = Object.values(raw).map((json) => Route.parse(JSON.parse(json)));
      if (routes.length > 0 || attempt > 20) {
        this.current = buildRouteIndex(routes, Number(version ?? 0));
        return;
      }
      // Another process is seeding right now.
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Replace routes and announce the new version; returns it. */
  async save(routes: Route[]): Promise<number> {
    const tx = this.redis.multi().hset(this.hashKey, Object.fromEntries(routes.map((r) => [r.code, JSON.stringify(Route.parse(r))]))).incr(this.versionKey);
    const result = await tx.exec();
    const version = Number(result?.[1]?.[1]);
    await this.redis.publish(this.channel, String(version));
    await this.reload();
    return version;
  }
}
