/** WhatsApp channel metrics, registered once per running core (the webhook and the reply sender share them). */
import { Counter } from 'prom-client';
import { channelMetrics, type Metrics } from '../../src/metrics.js';

function create(registry: Metrics['registry']) {
  return {
    statuses: new Counter({
      name: 'pintu_whatsapp_statuses_total', help: 'Delivery reports WhatsApp sent on our messages (sent, delivered, read, failed, other)',
      labelNames: ['status'] as const, registers: [registry],
    }),
    failedReplies: new Counter({
      name: 'pintu_whatsapp_failed_replies_total', help: 'Our messages WhatsApp reported failed, by failure class (outside-window, undeliverable, …)',
      labelNames: ['reason'] as const, registers: [registry],
    }),
    sent: new Counter({
      name: 'pintu_whatsapp_messages_sent_total', help: 'Messages the Cloud API accepted from us: free text, or the template outside the 24-hour window',
      labelNames: ['type'] as const, registers: [registry],
    }),
    apiFailures: new Counter({
      name: 'pintu_whatsapp_api_failures_total', help: 'Failed sends to the Cloud API by kind (rate-limited, transient, rejected)',
      labelNames: ['kind'] as const, registers: [registry],
    }),
    webhookRejected: new Counter({
      name: 'pintu_whatsapp_webhook_rejected_total', help: 'Webhook deliveries refused (signature, not-json, not-whatsapp) or messages in them that could not be read (unreadable)',
      labelNames: ['reason'] as const, registers: [registry],
    }),
  };
}

export type WhatsAppMetrics = ReturnType<typeof create>;

export const whatsAppMetrics = (metrics: Metrics): WhatsAppMetrics => channelMetrics(metrics, 'whatsapp', create);
