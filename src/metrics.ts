/** Prometheus metrics (prom-client): what regional monitoring and on-call need to see. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pintu_' });
  return {
    registry,
    complaints: new Counter({
      name: 'pintu_complaints_total', help: 'Complaints accepted at intake',
      labelNames: ['channel', 'level', 'match_type'] as const, registers: [registry],
    }),
    duplicates: new Counter({
      name: 'pintu_duplicate_messages_total', help: 'Messages recognised as a repeat of an accepted complaint',
      labelNames: ['channel'] as const, registers: [registry],
    }),
    rejected: new Counter({
      name: 'pintu_rejected_messages_total', help: 'Messages that did not become a complaint (help reply, invalid input)',
      labelNames: ['channel', 'reason'] as const, registers: [registry],
    }),
    deliveries: new Counter({
      name: 'pintu_deliveries_total', help: 'Delivery attempts by outcome',
      labelNames: ['outcome', 'level'] as const, registers: [registry],
    }),
    deliveryLatency: new Histogram({
      name: 'pintu_delivery_latency_seconds', help: 'From receipt to the agency answering 2xx',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60, 300, 1800, 3600, 21600, 86400],
      labelNames: ['channel'] as const, registers: [registry],
    }),
    replies: new Counter({
      name: 'pintu_replies_sent_total', help: 'Replies sent to citizens: at once by the receiving process, or through the reply queue',
      labelNames: ['channel', 'how'] as const, registers: [registry],
    }),
    intakeBatch: new Histogram({
      name: 'pintu_intake_batch_messages', help: 'Citizen messages written by one intake transaction (grows with load)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 256], registers: [registry],
    }),
    responseHours: new Histogram({
      name: 'pintu_response_hours', help: 'Time agencies took for a stage (first response, follow-up), in hours on its clock (working hours for working-day deadlines)',
      buckets: [0.5, 1, 2, 4, 8, 16, 24, 48, 72, 120, 240, 480], labelNames: ['stage', 'level'] as const, registers: [registry],
    }),
    overdue: new Gauge({
      name: 'pintu_overdue_complaints', help: 'Complaints past a deadline now, by the level of the region that has them',
      labelNames: ['level'] as const, registers: [registry],
    }),
    escalations: new Counter({
      name: 'pintu_escalations_total', help: 'Overdue complaints escalated to the agency above, by stage and outcome',
      labelNames: ['stage', 'outcome'] as const, registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'pintu_queue_jobs', help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'] as const, registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const channelSets = new WeakMap<Metrics['registry'], Map<string, unknown>>();

/**
 * A channel's own metrics (`pintu_<channel>_*`), made once per core's registry: the channel's HTTP routes and its
 * session ask for them separately, and prom-client refuses a name registered twice.
 */
export function channelMetrics<T>(metrics: Metrics, channel: string, create: (registry: Metrics['registry']) => T): T {
  let sets = channelSets.get(metrics.registry);
  if (!sets) channelSets.set(metrics.registry, (sets = new Map()));
  if (!sets.has(channel)) sets.set(channel, create(metrics.registry));
  return sets.get(channel) as T;
}
