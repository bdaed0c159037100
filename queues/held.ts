/**
 * Held for review: complaints a channel kept but did not send on (a sender over the flood cap).
 * Nothing consumes this queue by itself; an admin releases a job into intake (admin API) or removes it.
 */
import { createHash } from 'node:crypto';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { ComplaintDraft } from '../src/complaint.js';
import type { Intake, Outcome } from './intake.js';
import type { Logger } from '../src/logger.js';
import { bullPrefix, logQueueErrors, QUEUE_NAMES } from './topology.js';

export interface HeldComplaint {
  draft: ComplaintDraft;
  /** The channel's dedup key: a release is recognised by intake like the original message. */
  dedupKey: string;
  reason: string;
  heldAt: string;
}

export function createHeldQueue(connection: ConnectionOptions, prefix: string, logger?: Logger): Queue<HeldComplaint> {
  const held = new Queue<HeldComplaint>(QUEUE_NAMES.held, { connection, prefix: bullPrefix(prefix, QUEUE_NAMES.held) });
  logQueueErrors(held as Queue, logger);
  return held;
}

/** The held job of a message: a repeat of the same message is the same job. */
export const heldJobId = (channel: string, dedupKey: string) => `h-${channel}-${createHash('sha256').update(dedupKey).digest('hex').slice(0, 32)}`;

/** Keep a complaint for review. Resolves once it is in Redis. */
export async function holdForReview(queue: Queue<HeldComplaint>, draft: ComplaintDraft, dedupKey: string, reason: string): Promise<{ jobId: string }> {
  const jobId = heldJobId(draft.channel, dedupKey);
  await queue.add('held', { draft, dedupKey, reason, heldAt: new Date().toISOString() }, { jobId, removeOnComplete: false, removeOnFail: false });
  return { jobId };
}

/** Send a held complaint on, past the flood cap: intake first, then the held job goes (a crash in between releases the same complaint, which intake recognises). */
export async function releaseHeld(queue: Queue<HeldComplaint>, intake: Intake, jobId: string): Promise<(Outcome & { held: HeldComplaint }) | null> {
  const job = await queue.getJob(jobId);
  if (!job) return null;
  const outcome = await intake.submit({ channel: job.data.draft.channel, dedupKey: job.data.dedupKey, draft: job.data.draft });
  await job.remove();
  return { ...outcome, held: job.data };
}
