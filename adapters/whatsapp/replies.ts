/**
 * The WhatsApp reply sender: answers and notifications through the Cloud API, within the shared rate limit.
 * WhatsApp takes free text only within 24 hours of the citizen's last message (kept by store.ts when it arrives,
 * whichever gateway took it); a notification later goes out as the approved template. Answers to a message the
 * citizen has just sent are always free text.
 */
import { STATUS_LABELS } from '../../src/replies.js';
import type { Status } from '../../src/lifecycle.js';
import { RateLimited, Undeliverable, type Reply, type ReplyAttempt, type ReplySender } from '../../queues/replies.js';
import { classifyFailure, replyKind, templateParameters, type WhatsAppFailure, type WhatsAppSender } from './client.js';
import type { WhatsAppConfig } from './config.js';
import type { WhatsAppMetrics } from './metrics.js';
import type { WhatsAppStore } from './store.js';

export interface WhatsAppSenderDeps {
  client: WhatsAppSender;
  config: Pick<WhatsAppConfig, 'WHATSAPP_TEMPLATE_STATUS' | 'WHATSAPP_TEMPLATE_LANGUAGE' | 'WHATSAPP_TEMPLATE_STATUS_PARAMS' | 'WHATSAPP_REPLIES_PER_SECOND'>;
  store: WhatsAppStore;
  metrics: WhatsAppMetrics;
}

const updatedAt = new Intl.DateTimeFormat('id-ID', { timeZone: 'Asia/Jakarta', dateStyle: 'medium', timeStyle: 'short' });

/** The template's values from a notification's parts: the status as citizens read it on the status page. */
function templateValues(params: Record<string, string>) {
  return {
    trackingId: params.trackingId,
    status: STATUS_LABELS[params.status as Status] ?? params.status,
    note: params.note,
    region: params.agency,
    // The notification is sent moments after the update: its sending time stands for the update's.
    updatedAt: `${updatedAt.format(new Date())} WIB`,
  };
}

/** A failed send in the terms the reply outbox acts on. */
function replyError(failure: WhatsAppFailure, err: unknown): Error {
  switch (failure.kind) {
    // Every gateway waits; the reply is not charged an attempt.
    case 'rate-limited': return failure.scope === 'number' ? new RateLimited(failure.retryAfterMs) : new Error(`WhatsApp pair rate limit: retry this reply later (code ${failure.code})`);
    case 'transient': return err as Error;
    // Will be refused again: not retried.
    case 'rejected': return new Undeliverable(`${failure.reason}: ${failure.message}`);
  }
}

export function whatsAppSender(deps: WhatsAppSenderDeps): ReplySender {
  const { client, config, store, metrics } = deps;

  const classified = (err: unknown): WhatsAppFailure => {
    const failure = classifyFailure(err);
    metrics.apiFailures.inc({ kind: failure.kind });
    return failure;
  };

  async function sendTemplate(reply: Reply & { params: Record<string, string> }, attempt: ReplyAttempt): Promise<void> {
    if (!config.WHATSAPP_TEMPLATE_STATUS) throw new Undeliverable('the citizen\'s 24-hour window is closed and WHATSAPP_TEMPLATE_STATUS is not set');
    try {
      await client.sendTemplate(reply.to, {
        name: config.WHATSAPP_TEMPLATE_STATUS,
        language: config.WHATSAPP_TEMPLATE_LANGUAGE,
        parameters: templateParameters(config.WHATSAPP_TEMPLATE_STATUS_PARAMS, templateValues(reply.params)),
      }, { callbackData: attempt.id });
    } catch (err) {
      throw replyError(classified(err), err);
    }
    metrics.sent.inc({ type: 'template' });
  }

  return {
    channel: 'whatsapp',
    perSecond: config.WHATSAPP_REPLIES_PER_SECOND,
    ready: () => true,
    async send(reply: Reply, attempt: ReplyAttempt): Promise<void> {
      // Only a notification has params; only a notification can come after the window.
      const notification = reply.params ? { ...reply, params: reply.params } : null;
      if (notification && replyKind(await store.lastMessageAt(reply.to)) === 'template') return sendTemplate(notification, attempt);
      // Should WhatsApp accept it and report it failed outside the window later, its status names this reply: keep what to send instead.
      if (notification) await store.sendingAsText({ id: attempt.id, reply });
      try {
        await client.sendText(reply.to, reply.text, { callbackData: attempt.id, ...(reply.extras?.inReplyTo && { inReplyTo: reply.extras.inReplyTo }) });
      } catch (err) {
        const failure = classified(err);
        if (!notification || failure.kind !== 'rejected' || failure.reason !== 'outside-window') throw replyError(failure, err);
        // WhatsApp says the window is closed, whatever we saw: later notifications go as the template straight away.
        await store.windowClosed(reply.to);
        return sendTemplate(notification, attempt);
      }
      metrics.sent.inc({ type: 'text' });
    },
  };
}
