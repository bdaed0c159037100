/**
 * Held for review: complaints a channel kept but did not send on (a sender over the flood cap).
 * Nothing consumes this queue by itself; a reviewer releases a job into intake or removes it.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import type { ComplaintDraft } from '../src/complaint.js';
import type { Accepted, Intake } from './intake.js';
import { bullPrefix, jobIdFor, QUEUE_NAMES } from './topology.js';

export interface HeldComplaint {
  draft: ComplaintDraft;
  /** The channel's dedup key: a release is recognised by intake like the original message. */
  dedupKey: string;
  reason: string;
  heldAt: string;
}

export function createHeldQueue(connection: ConnectionOptions, prefix: string): Queue<HeldComplaint> {
  return new Queue<HeldComplaint>(QUEUE_NAMES.held, { connection, prefix: bullPrefix(prefix, QUEUE_NAMES.held) });
}

/** Keep a complaint for review; a repeat of the same message is the same held job. Resolves once it is in Redis. */
export async function holdForReview(queue: Queue<HeldComplaint>, draft: ComplaintDraft, dedupKey: string, reason: string): Promise<{ jobId: string }> {
  const jobId = jobIdFor(draft.channel, dedupKey);
  await queue.add('held', { draft, dedupKey, reason, heldAt: new Date().toISOString() }, { jobId, removeOnComplete: false, removeOnFail: false });
  return { jobId };
}

/** Send a held complaint on: intake first, then the held job goes (a crash in between re-releases the same complaint). */
export async function releaseHeld(queue: Queue<HeldComplaint>, intake: Intake, jobId: string): Promise<(Accepted & { held: HeldComplaint }) | null> {
  const job = await queue.getJob(jobId);
  if (!job) return null;
  const accepted = await intake.accept(job.data.draft, job.data.dedupKey);
  await job.remove();
  return { ...accepted, held: job.data };
}
