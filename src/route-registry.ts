/**
 * The live route table: routes in Redis (one hash), a version number, and pub/sub so a change made in
 * one `pintu` process reaches every other within a second. Reads are served from an in-memory index.
 * Writes go through `apply()`: checked for keyword clashes, versioned per route (with the snapshots a
 * revert needs) and audited, all in one Redis transaction.
 */
import type { RedisClient } from './redis.js';
import { ulid } from 'ulid';
import { buildRouteIndex, routeKey, type RouteIndex } from './keyword.js';
import type { Logger } from './logger.js';
import { NATIONAL_CODE, Route, seedRoutes } from './route.js';

/** Backstop for a missed pub/sub message: the version is re-read this often. */
const VERSION_CHECK_MS = 500;
/** Optimistic transaction retries when other processes write at the same moment. */
const WRITE_ATTEMPTS = 20;

/** A route as admins and the audit log see it: the signing secret is write-only and never leaves. */
export type PublicRoute = Omit<Route, 'destination'> & { destination: { url: string } | null };

export function publicRoute(route: Route): PublicRoute {
  const { destination, ...rest } = route;
  return { ...rest, destination: destination ? { url: destination.url } : null };
}

export interface AuditEntry {
  id: string;
  at: string;
  /** The admin token's name, or `cli:<user>` for the command line. */
  actor: string;
  action: string;
  /** A route code or a dead letter id. */
  target: string;
  /** The route's version after the change. */
  version?: number;
  before?: PublicRoute | null;
  after?: PublicRoute | null;
  details?: Record<string, unknown>;
}

/** `route: null` removes the route (the admin layer turns a seeded region's delete into a deactivation). */
export interface RouteChange { code: string; route: Route | null }
export interface AppliedChange { code: string; version: number; before: Route | null; after: Route | null }
export interface ChangeMeta { actor: string; action: string; details?: Record<string, unknown> }

export class RouteConflictError extends Error {
  constructor(readonly code: string, readonly word: string, readonly owner: Route) {
    super(`"${word}" already belongs to ${owner.name} (${owner.code})`);
  }
}

export class RouteVersionNotFoundError extends Error {}

export interface KeyClash { code: string; word: string; owner: Route }

/** Keywords and aliases of the routes `codes` that resolve (case, spaces, hyphens ignored) to another route's. */
export function findKeyClashes(table: ReadonlyMap<string, Route>, codes: Iterable<string>): KeyClash[] {
  const owners = new Map<string, Route[]>();
  for (const route of table.values()) {
    for (const key of new Set([route.keyword, ...route.aliases].map(routeKey))) owners.set(key, [...(owners.get(key) ?? []), route]);
  }
  const clashes: KeyClash[] = [];
  for (const code of codes) {
    const route = table.get(code);
    for (const word of route ? [route.keyword, ...route.aliases] : []) {
      const owner = owners.get(routeKey(word))?.find((r) => r.code !== code);
      if (owner) clashes.push({ code, word, owner });
    }
  }
  return clashes;
}

/**
 * The registry's keys. One hash tag for all of them: a change writes the table, the versions, the history
 * and the audit log in one transaction, which a Redis Cluster allows only within one slot.
 */
export function routeKeys(prefix: string) {
  const tag = `{${prefix}:routes}`;
  return {
    table: tag,
    version: `${tag}:version`,
    seeded: `${tag}:seeded`,
    routeVersions: `${tag}:versions`,
    audit: `${tag}:audit`,
    history: (code: string) => `${tag}:history:${code}`,
  };
}

let seededCodes: ReadonlySet<string> | undefined;
/** The official regions (and the national desk): deleting one only deactivates it. */
export function isSeededCode(code: string): boolean {
  seededCodes ??= new Set(seedRoutes().map((r) => r.code));
  return seededCodes.has(code) || code === NATIONAL_CODE;
}

export class RouteRegistry {
  private current: RouteIndex = buildRouteIndex([]);
  private timer: NodeJS.Timeout | undefined;
  private subscriber: RedisClient | undefined;
  private writer: RedisClient | undefined;
  private writeQueue: Promise<unknown> = Promise.resolve();
  private readonly keys: ReturnType<typeof routeKeys>;
  readonly channel: string;

  constructor(private readonly redis: RedisClient, prefix: string, private readonly logger: Logger) {
    this.keys = routeKeys(prefix);
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
    this.writer?.disconnect();
  }

  index(): RouteIndex {
    return this.current;
  }

  private async seedIfEmpty(): Promise<void> {
    // SET NX elects one seeder when several processes start on an empty Redis at once.
    if ((await this.redis.set(this.keys.seeded, '1', 'NX')) !== 'OK') return;
    if ((await this.redis.hlen(this.keys.table)) > 0) return;
    const routes = seedRoutes();
    await this.redis.multi()
      .hset(this.keys.table, Object.fromEntries(routes.map((r) => [r.code, JSON.stringify(r)])))
      .incr(this.keys.version)
      .exec();
    this.logger.info({ routes: routes.length }, 'seeded the route table from idn-area-data');
  }

  /** Re-read the table when its version moved. Errors keep the last good table. */
  async refresh(): Promise<void> {
    try {
      const version = Number(await this.redis.get(this.keys.version) ?? 0);
      if (version !== this.current.version) await this.reload();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'route table refresh failed; keeping the last one');
    }
  }

  private async reload(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const [[, version], [, raw]] = (await this.redis.multi().get(this.keys.version).hgetall(this.keys.table).exec()) as [[null, string | null], [null, Record<string, string>]];
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
    await this.apply(routes.map((route) => ({ code: route.code, route })), { actor: 'system', action: 'route.save' });
    return this.current.version;
  }

  /** Per-route versions (a route never changed since the seed is at version 1). */
  async versions(codes: string[]): Promise<Map<string, number>> {
    const raw = codes.length ? await this.redis.hmget(this.keys.routeVersions, ...codes) : [];
    return new Map(codes.map((code, i) => [code, Number(raw[i] ?? 1)]));
  }

  /** The route as it was at `version` (null when that version removed it). */
  async snapshot(code: string, version: number): Promise<Route | null> {
    const raw = await this.redis.hget(this.keys.history(code), String(version));
    if (raw === null) {
      // A route never changed has no history yet: its version 1 is what the table holds.
      const current = this.current.routes.get(code);
      if (version === 1 && current && (await this.versions([code])).get(code) === 1) return current;
      throw new RouteVersionNotFoundError(`route ${code} has no version ${version}`);
    }
    return raw === 'null' ? null : Route.parse(JSON.parse(raw));
  }

  /**
   * Apply changes atomically: every route's keywords must stay unique across the table (RouteConflictError
   * otherwise), each changed route gets a new version with its snapshot, and each change an audit entry.
   * Unchanged routes are skipped. Writes in this process are serialised; other processes are fenced off
   * by WATCH on the table version, and a lost race is simply retried on the fresh table.
   */
  async apply(changes: RouteChange[], meta: ChangeMeta): Promise<AppliedChange[]> {
    const run = this.writeQueue.then(() => this.applyOnce(changes, meta));
    this.writeQueue = run.catch(() => {});
    return run;
  }

  private async applyOnce(changes: RouteChange[], meta: ChangeMeta): Promise<AppliedChange[]> {
    this.writer ??= this.redis.duplicate();
    const conn = this.writer;
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      await conn.watch(this.keys.version);
      const [raw, versions] = await Promise.all([conn.hgetall(this.keys.table), conn.hgetall(this.keys.routeVersions)]);
      const table = new Map(Object.entries(raw).map(([code, json]) => [code, Route.parse(JSON.parse(json))]));
      const applied: AppliedChange[] = [];
      for (const change of changes) {
        const before = table.get(change.code) ?? null;
        const after = change.route ? Route.parse({ ...change.route, code: change.code }) : null;
        if (JSON.stringify(before) === JSON.stringify(after)) continue;
        const previous = Number(versions[change.code] ?? (before ? 1 : 0));
        versions[change.code] = String(previous + 1);
        applied.push({ code: change.code, version: previous + 1, before, after });
        if (after) table.set(change.code, after);
        else table.delete(change.code);
      }
      const clash = findKeyClashes(table, applied.map((a) => a.code))[0];
      if (clash || applied.length === 0) {
        await conn.unwatch();
        if (clash) throw new RouteConflictError(clash.code, clash.word, clash.owner);
        return [];
      }
      const tx = conn.multi();
      const at = new Date().toISOString();
      for (const change of applied) {
        if (change.after) tx.hset(this.keys.table, change.code, JSON.stringify(change.after));
        else tx.hdel(this.keys.table, change.code);
        tx.hset(this.keys.routeVersions, change.code, String(change.version));
        // The version before keeps its snapshot too (a seeded route's first change records the seed).
        if (change.version > 1) tx.hsetnx(this.keys.history(change.code), String(change.version - 1), JSON.stringify(change.before));
        tx.hset(this.keys.history(change.code), String(change.version), JSON.stringify(change.after));
        tx.lpush(this.keys.audit, JSON.stringify(this.auditEntry(meta, change, at)));
      }
      tx.incr(this.keys.version);
      const result = await tx.exec();
      if (result === null) continue;
      const failed = result.find(([err]) => err);
      if (failed) throw failed[0]!;
      await this.redis.publish(this.channel, String(result.at(-1)![1]));
      await this.reload();
      return applied;
    }
    throw new Error('the route table is changing too often right now; retry');
  }

  private auditEntry(meta: ChangeMeta, change: AppliedChange, at: string): AuditEntry {
    const secretChanged = change.before?.destination?.secret !== change.after?.destination?.secret;
    const details = secretChanged && change.after?.destination ? { ...meta.details, secretChanged: true } : meta.details;
    return {
      id: ulid(), at, actor: meta.actor, action: meta.action, target: change.code, version: change.version,
      before: change.before && publicRoute(change.before), after: change.after && publicRoute(change.after),
      ...(details ? { details } : {}),
    };
  }

  /** Record an action that is not a route change (a dead-letter replay). */
  async audit(entry: Omit<AuditEntry, 'id' | 'at'>): Promise<AuditEntry> {
    const full: AuditEntry = { id: ulid(), at: new Date().toISOString(), ...entry };
    await this.redis.lpush(this.keys.audit, JSON.stringify(full));
    return full;
  }

  /** Newest first; `target` narrows to one route or dead letter. */
  async auditLog(options: { offset: number; limit: number; target?: string }): Promise<{ total: number; items: AuditEntry[] }> {
    const { offset, limit, target } = options;
    if (!target) {
      const [[, total], [, raw]] = (await this.redis.multi().llen(this.keys.audit).lrange(this.keys.audit, offset, offset + limit - 1).exec()) as [[null, number], [null, string[]]];
      return { total, items: raw.map((json) => JSON.parse(json) as AuditEntry) };
    }
    const all = (await this.redis.lrange(this.keys.audit, 0, -1)).map((json) => JSON.parse(json) as AuditEntry).filter((e) => e.target === target);
    return { total: all.length, items: all.slice(offset, offset + limit) };
  }
}
