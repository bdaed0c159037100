/**
 * Delivery: POST each signed complaint to its agency. A `complaints` job delivers its batch concurrently and
 * records the deliveries in batches; a `deliver` job delivers one complaint (a retry, a replay, a sweep).
 * 2xx delivered; 4xx other than 408/429 is permanent; anything else is retried with backoff. Permanent or
 * exhausted → dead letters, never dropped.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { Pool } from 'undici';
import type { Complaint } from '../src/complaint.js';
import { clockAtDelivery, recordChange, type ClockSettings } from '../src/clocks.js';
import type { Config } from '../src/config.js';
import { activeRoute, type RouteIndex } from '../src/keyword.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import { NATIONAL_CODE, type Route } from '../src/route.js';
import { sign } from '../src/signed-http.js';
import type { RouteRegistry } from '../src/route-registry.js';
import { claimedComplaint, type Claimed, type Delivered, type StatusStore } from '../src/status.js';
import { deadLetter } from './dead-letters.js';
import { deliverJobId, deliverJobOptions, JOB, pipelineTag, type BatchJob, type DeliverJob, type DeliveryJob, type EscalateJob, type Queues } from './topology.js';

export type Target =
  | { kind: 'webhook'; url: string; secret: string; owner: string }
  | { kind: 'outbox'; file: string };

/** The route's own webhook, else the nearest ancestor's, else the national desk's, else the local outbox. */
export function targetFor(route: Route, index: RouteIndex, config: Config): Target {
  for (let r: Route | undefined = route; r; r = r.parent ? index.routes.get(r.parent) : undefined) {
    if (r.destination) return { kind: 'webhook', url: r.destination.url, secret: r.destination.secret, owner: r.code };
  }
  if (config.NATIONAL_WEBHOOK_URL && config.WEBHOOK_SECRET) {
    return { kind: 'webhook', url: config.NATIONAL_WEBHOOK_URL, secret: config.WEBHOOK_SECRET, owner: 'national' };
  }
  return { kind: 'outbox', file: join(config.PINTU_DATA_DIR, 'outbox.jsonl') };
}

/** A citizen who asked for anonymity is not identified to the agency. */
export function forAgency(complaint: Complaint): Complaint {
  if (!complaint.reporter.anonymous) return complaint;
  const { anonymous, confidential } = complaint.reporter;
  return { ...complaint, reporter: { anonymous, confidential } };
}

/**
 * The delivery body: the complaint as intake kept it (parsed only to withhold an anonymous citizen's identity), its
 * route, and for a re-routed complaint where it came from and why.
 */
function deliveryBody(claimed: Claimed, route: Route): string {
  const complaint = claimed.anonymous === false ? claimed.doc : JSON.stringify(forAgency(claimedComplaint(claimed)));
  const rerouted = claimed.reroutedFrom ? `,"reroutedFrom":${JSON.stringify(claimed.reroutedFrom)}` : '';
  return `{"complaint":${complaint},"route":${JSON.stringify({ code: route.code, name: route.name, level: route.level, keyword: route.keyword })}${rerouted}}`;
}

export class PermanentFailure extends Error {}

export interface DeliveryDeps { queues: Queues; routes: RouteRegistry; status: StatusStore; metrics: Metrics; config: Config; logger: Logger; clocks: ClockSettings }

type Attempt = { ok: true; delivered: Delivered; route: Route } | { ok: false; permanent: boolean; reason: string; route: Route };

/** Requests to agencies in flight per process at most: a batch's complaints share them with every other job's. */
const MAX_REQUESTS = 64;

/** At most `max` at once; the rest wait their turn. */
class Limit {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.max) await new Promise<void>((ok) => this.waiting.push(ok));
    this.running++;
    try { return await work(); } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}

export function deliveryProcessor(deps: DeliveryDeps) {
  const { config } = deps;
  const requests = new Limit(MAX_REQUESTS);
  const prefix = pipelineTag(config.PINTU_PREFIX);

  /** POST to a webhook (its answer's reference, if any), or append to the local outbox when no webhook is set. */
  const send = (target: Target, body: string, idempotencyKey: string) => requests.run(async () => {
    if (target.kind === 'webhook') return post(target, body, idempotencyKey, config.DELIVERY_TIMEOUT_MS);
    await mkdir(config.PINTU_DATA_DIR, { recursive: true });
    await appendFile(target.file, `{"idempotencyKey":${JSON.stringify(idempotencyKey)},"deliveredAt":"${new Date().toISOString()}","body":${body}}\n`);
    return null;
  });

  async function attempt(claimed: Claimed): Promise<Attempt> {
    const index = deps.routes.index();
    const route = activeRoute(claimed.routeCode, index);
    const target = targetFor(route, index, config);
    let reference: string | null = null;
    try {
      reference = await send(target, deliveryBody(claimed, route), claimed.complaintId);
    } catch (err) {
      return { ok: false, permanent: err instanceof PermanentFailure, reason: (err as Error).message, route };
    }
    const deliveredAt = new Date();
    deps.metrics.deliveryLatency.observe({ channel: claimed.channel }, (deliveredAt.getTime() - Date.parse(claimed.receivedAt)) / 1000);
    deps.metrics.deliveries.inc({ outcome: 'delivered', level: route.level });
    // The agency that has it now: its first-response clock starts, and the delivery is counted for it.
    const change = recordChange(prefix, clockAtDelivery(deliveredAt, route.code, deps.clocks));
    return { ok: true, route, delivered: { trackingId: claimed.trackingId, hop: claimed.hop, routeCode: route.code, routeName: route.name, deliveredAt: deliveredAt.toISOString(), reference, change } };
  }

  /**
   * A batch: every complaint tried once, concurrently; each failure goes on as its own `deliver` job or a dead
   * letter; the deliveries are recorded together at the end (a worker killed before that delivers them again
   * when the job is run again: the same Idempotency-Key, which agencies ignore).
   */
  async function deliverBatch(job: Job<BatchJob>) {
    const claimed = await deps.status.claim(job.data.trackingIds);
    const delivered: Delivered[] = [];
    let retrying = 0;
    let deadLettered = 0;
    await Promise.all(claimed.map(async (c) => {
      const result = await attempt(c);
      if (result.ok) return void delivered.push(result.delivered);
      if (result.permanent || config.DELIVERY_ATTEMPTS <= 1) {
        deadLettered++;
        deps.metrics.deliveries.inc({ outcome: 'dead_letter', level: result.route.level });
        return deadLetter(deps, claimedComplaint(c), result.route.code, c.hop, result.reason, 1);
      }
      retrying++;
      deps.metrics.deliveries.inc({ outcome: 'retry', level: result.route.level });
      const data: DeliverJob = { trackingId: c.trackingId, hop: c.hop, priorAttempts: 1 };
      await deps.queues.delivery.add(JOB.deliver, data, deliverJobOptions(config, deliverJobId(c.trackingId, c.hop), true));
    }));
    await deps.status.delivered(delivered);
    return { delivered: delivered.length, retrying, deadLettered, skipped: job.data.trackingIds.length - claimed.length };
  }

  /** One complaint: BullMQ retries it with backoff; the last failed attempt makes it a dead letter. */
  async function deliverOne(job: Job<DeliverJob>) {
    const claimed = await deps.status.claimOne(job.data.trackingId, job.data.hop);
    if (!claimed) return { skipped: 'delivered already, moved on, or no such complaint' };
    const result = await attempt(claimed);
    if (result.ok) {
      await deps.status.delivered([result.delivered]);
      return { delivered: result.route.code };
    }
    const attempts = job.attemptsMade + 1;
    const final = result.permanent || attempts >= (job.opts.attempts ?? 1);
    deps.metrics.deliveries.inc({ outcome: final ? 'dead_letter' : 'retry', level: result.route.level });
    if (!final) throw new Error(result.reason);
    await deadLetter(deps, claimedComplaint(claimed), result.route.code, claimed.hop, result.reason, attempts + (job.data.priorAttempts ?? 0));
    return { deadLettered: true, reason: result.reason };
  }

  /**
   * An overdue complaint, to the nearest agency above the one that has it (its own webhook's owner): signed with that
   * route's secret, Idempotency-Key `<complaint id>:escalation:<stage>`, retried and dead-lettered like a delivery.
   */
  async function escalate(job: Job<EscalateJob>) {
    const { trackingId, stage, hop, due } = job.data;
    const [record, complaint] = await Promise.all([deps.status.get(trackingId), deps.status.complaint(trackingId)]);
    if (!record || !complaint || record.hop !== hop) return { skipped: 'moved on to another agency' };
    const index = deps.routes.index();
    const route = activeRoute(record.routeCode ?? NATIONAL_CODE, index);
    const above = escalationTarget(route, index, config);
    if (!above) {
      deps.metrics.escalations.inc({ stage, outcome: 'none_above' });
      return { skipped: 'no agency above' };
    }
    const overdueSince = new Date(due).toISOString();
    const body = JSON.stringify({
      escalation: { stage, deadline: overdueSince, overdueSince, from: { code: route.code, name: route.name } },
      complaint: forAgency(complaint), route: { code: route.code, name: route.name, level: route.level, keyword: route.keyword },
    });
    try {
      await send(above.target, body, `${complaint.id}:escalation:${stage}`);
    } catch (err) {
      const attempts = job.attemptsMade + 1;
      const final = err instanceof PermanentFailure || attempts >= (job.opts.attempts ?? 1);
      deps.metrics.escalations.inc({ stage, outcome: final ? 'dead_letter' : 'retry' });
      if (!final) throw err;
      await deadLetter(deps, complaint, above.route.code, hop, (err as Error).message, attempts, { stage, due });
      return { deadLettered: true };
    }
    await deps.status.escalated(trackingId, { stage, to: { code: above.route.code, name: above.route.name }, at: new Date().toISOString() });
    deps.metrics.escalations.inc({ stage, outcome: 'delivered' });
    return { escalatedTo: above.route.code };
  }

  return async (job: Job<DeliveryJob>) => {
    if ('trackingIds' in job.data) return deliverBatch(job as Job<BatchJob>);
    if (job.name === JOB.escalate) return escalate(job as Job<EscalateJob>);
    return deliverOne(job as Job<DeliverJob>);
  };
}

/** The nearest route above `route` whose complaints reach another agency than `route`'s own (its webhook's owner). */
export function escalationTarget(route: Route, index: RouteIndex, config: Config): { route: Route; target: Target } | null {
  const ownerOf = (target: Target) => (target.kind === 'webhook' ? target.owner : 'outbox');
  const own = ownerOf(targetFor(route, index, config));
  for (let r = route.parent ? index.routes.get(route.parent) : undefined; r; r = r.parent ? index.routes.get(r.parent) : undefined) {
    const target = targetFor(r, index, config);
    if (ownerOf(target) !== own) return { route: r, target };
  }
  return null;
}

/** An agency's answer is read for its ticket number only when it is small JSON. */
const MAX_ANSWER_BYTES = 4096;

/** `{"reference": "..."}` in a 2xx answer: the agency's own ticket number for the complaint. */
function referenceIn(answer: string): string | null {
  if (!answer) return null;
  try {
    const reference = (JSON.parse(answer) as { reference?: unknown }).reference;
    return typeof reference === 'string' || typeof reference === 'number' ? String(reference).slice(0, 100) : null;
  } catch {
    return null;
  }
}

/** Kept-alive connections per agency origin: one agency receives many complaints in a row. */
const pools = new Map<string, Pool>();
const poolFor = (origin: string) => {
  let pool = pools.get(origin);
  if (!pool) pools.set(origin, (pool = new Pool(origin, { connections: MAX_REQUESTS })));
  return pool;
};

/**
 * undici's request API rather than node:http or fetch: a third less client CPU per delivery than node:http's
 * ClientRequest (BENCHMARKS.md), and fetch's Request/Response objects cost more still.
 */
async function post(target: Extract<Target, { kind: 'webhook' }>, body: string, idempotencyKey: string, timeoutMs: number): Promise<string | null> {
  const url = new URL(target.url);
  let status: number;
  let answer = '';
  try {
    const response = await poolFor(url.origin).request({
      path: url.pathname + url.search,
      method: 'POST',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      headers: {
        'content-type': 'application/json',
        'idempotency-key': idempotencyKey,
        'x-pintu-signature': sign(body, target.secret),
        'user-agent': 'Pintu/1 (SP4N-LAPOR! intake gateway)',
      },
      body,
    });
    status = response.statusCode;
    const small = Number(response.headers['content-length'] ?? 0) <= MAX_ANSWER_BYTES;
    if (small && String(response.headers['content-type'] ?? '').includes('json')) answer = await response.body.text();
    else await response.body.dump();
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') throw new Error(`agency did not answer within ${timeoutMs} ms`);
    throw err;
  }
  if (status >= 200 && status < 300) return referenceIn(answer);
  const message = `agency answered HTTP ${status}`;
  throw status >= 400 && status < 500 && status !== 408 && status !== 429 ? new PermanentFailure(message) : new Error(message);
}
