/** X channel metrics, registered once per running core (the HTTP routes and the session share them). */
import { Counter, Gauge } from 'prom-client';
import { channelMetrics, type Metrics } from '../../src/metrics.js';
import type { RateBudget } from './client.js';

function create(registry: Metrics['registry']) {
  return {
    budgetRemaining: new Gauge({
      name: 'pintu_twitter_rate_limit_remaining', help: 'Calls left in the current X rate-limit window',
      labelNames: ['endpoint'] as const, registers: [registry],
    }),
    budgetReset: new Gauge({
      name: 'pintu_twitter_rate_limit_reset_seconds', help: 'When the current X rate-limit window resets (unix time)',
      labelNames: ['endpoint'] as const, registers: [registry],
    }),
    apiFailures: new Counter({
      name: 'pintu_twitter_api_failures_total', help: 'Failed X API calls by kind (rate-limited, transient, rejected)',
      labelNames: ['endpoint', 'kind'] as const, registers: [registry],
    }),
    pollerLeader: new Gauge({
      name: 'pintu_twitter_poller_leader', help: '1 when this process is the elected mentions poller', registers: [registry],
    }),
    webhookRejected: new Counter({
      name: 'pintu_twitter_webhook_rejected_total', help: 'Webhook events refused: bad signature, or a malformed tweet event',
      labelNames: ['reason'] as const, registers: [registry],
    }),
  };
}

export type TwitterMetrics = ReturnType<typeof create> & { recordBudget(endpoint: string, budget: RateBudget | undefined): void };

export const twitterMetrics = (metrics: Metrics): TwitterMetrics => channelMetrics(metrics, 'twitter', (registry) => {
  const gauges = create(registry);
  return {
    ...gauges,
    recordBudget(endpoint: string, budget: RateBudget | undefined) {
      if (!budget) return;
      gauges.budgetRemaining.set({ endpoint }, budget.remaining);
      gauges.budgetReset.set({ endpoint }, budget.reset);
    },
  };
});
