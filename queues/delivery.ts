/**
 * Delivery worker: POST the signed complaint to the agency. 2xx delivered; 4xx other than 408/429 is
 * permanent; anything else retries with backoff. Permanent or exhausted → dead letters, never dropped.
 */
import { createHmac } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import type { Complaint } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import { activeRoute, type RouteIndex } from '../src/keyword.js';
import type { Logger } from '../src/logger.js';
import type { Metrics } from '../src/metrics.js';
import type { Route } from '../src/route.js';
import type { RouteRegistry } from '../src/route-registry.js';
import type { StatusStore } from '../src/status.js';
import { deadLetter } from './dead-letters.js';
import type { DeliveryJob, Queues } from './topology.js';

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

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** A citizen who asked for anonymity is not identified to the agency. */
export function forAgency(complaint: Complaint): Complaint {
  if (!complaint.reporter.anonymous) return complaint;
  const { anonymous, confidential } = complaint.reporter;
  return { ...complaint, reporter: { anonymous, confidential } };
}

export class PermanentFailure extends Error {}

export function deliveryProcessor(deps: { queues: Queues; routes: RouteRegistry; status: StatusStore; metrics: Metrics; config: Config; logger: Logger }) {
  const { config } = deps;
  return async (job: Job<DeliveryJob>) => {
    const { complaint } = job.data;
    const index = deps.routes.index();
    const route = activeRoute(job.data.routeCode, index);
    const target = targetFor(route, index, config);
    const body = JSON.stringify({ complaint: forAgency(complaint), route: { code: route.code, name: route.name, level: route.level, keyword: route.keyword } });
    try {
      if (target.kind === 'outbox') {
        await mkdir(config.PINTU_DATA_DIR, { recursive: true });
        await appendFile(target.file, `${JSON.stringify({ idempotencyKey: complaint.id, deliveredAt: new Date().toISOString(), body: JSON.parse(body) })}\n`);
      } else {
        await post(target, body, complaint.id, config.DELIVERY_TIMEOUT_MS);
      }
    } catch (err) {
      const attempts = job.attemptsMade + 1;
      const final = err instanceof PermanentFailure || attempts >= (job.opts.attempts ?? 1);
      const reason = (err as Error).message;
      deps.metrics.deliveries.inc({ outcome: final ? 'dead_letter' : 'retry', level: route.level });
      if (!final) throw err;
      await deadLetter(deps, complaint, route.code, reason, attempts);
      return { deadLettered: true, reason };
    }
    const deliveredAt = new Date();
    await deps.status.advance(complaint, 'delivered', { deliveredAt: deliveredAt.toISOString(), routeCode: route.code, routeName: route.name });
    deps.metrics.deliveries.inc({ outcome: 'delivered', level: route.level });
    deps.metrics.deliveryLatency.observe({ channel: complaint.channel }, (deliveredAt.getTime() - Date.parse(complaint.receivedAt)) / 1000);
    return { delivered: target.kind === 'webhook' ? target.owner : 'outbox' };
  };
}

/** Kept-alive connections per scheme: one agency receives many complaints in a row. */
const AGENTS = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 64 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };

/** node:http rather than fetch: a third of fetch's cost per delivery was Request/Response/AbortSignal objects. */
function post(target: Extract<Target, { kind: 'webhook' }>, body: string, idempotencyKey: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const url = new URL(target.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      agent: AGENTS[url.protocol as keyof typeof AGENTS],
      timeout: timeoutMs,
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'idempotency-key': idempotencyKey,
        'x-pintu-signature': sign(body, target.secret),
        'user-agent': 'Pintu/1 (SP4N-LAPOR! intake gateway)',
      },
    }, (res) => {
      res.resume();
      res.once('error', reject);
      res.once('end', () => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) return resolve();
        const message = `agency answered HTTP ${status}`;
        reject(status >= 400 && status < 500 && status !== 408 && status !== 429 ? new PermanentFailure(message) : new Error(message));
      });
    });
    req.once('timeout', () => req.destroy(new Error(`agency did not answer within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}
