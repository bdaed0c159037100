/** Dead letters: complaints whose delivery failed for good, kept until an admin replays them. */
import type { Complaint } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/logger.js';
import type { StatusStore } from '../src/status.js';
import { deliverJobOptions, JOB, type DeadLetter, type Queues } from './topology.js';

/**
 * Keep a complaint that could not be delivered as a dead letter, and say so in its record.
 * One letter per complaint: its id is the job id, so doing this twice keeps one.
 */
export async function deadLetter(
  deps: { queues: Queues; status: StatusStore; logger: Logger },
  complaint: Complaint, routeCode: string, hop: number, reason: string, attempts: number, escalation?: DeadLetter['escalation'],
): Promise<void> {
  const failedAt = new Date().toISOString();
  const jobId = `dl-${complaint.id}${hop ? `-h${hop}` : ''}${escalation ? `-esc-${escalation.stage}` : ''}`;
  await deps.queues.deadLetters.add('dead-letter', { complaint, routeCode, hop, reason, attempts, failedAt, ...(escalation && { escalation }) }, { jobId, removeOnComplete: false, removeOnFail: false });
  // A failed escalation leaves the complaint as it is: it was delivered; only the agency above was not told.
  if (!escalation) await deps.status.failed(complaint.trackingId, hop, failedAt, reason);
  deps.logger.error({ complaintId: complaint.id, route: routeCode, hop, attempts, reason, escalation: escalation?.stage }, escalation ? 'escalation moved to dead letters' : 'complaint moved to dead letters');
}

/**
 * Send a dead letter through delivery again. It keeps its complaint id (the agency's Idempotency-Key)
 * and tracking number; the letter is removed only once the new delivery job is queued.
 */
export async function replayDeadLetter(queues: Queues, config: Config, jobId: string): Promise<boolean> {
  const letter = await queues.deadLetters.getJob(jobId);
  if (!letter) return false;
  const { trackingId } = letter.data.complaint;
  const hop = letter.data.hop ?? 0;
  const { escalation } = letter.data;
  if (escalation) await queues.delivery.add(JOB.escalate, { trackingId, hop, ...escalation }, deliverJobOptions(config, `e-${trackingId}-h${hop}-${escalation.stage}-replay-${Date.now()}`, false));
  else await queues.delivery.add(JOB.deliver, { trackingId, hop }, deliverJobOptions(config, `d-${trackingId}-h${hop}-replay-${Date.now()}`, false));
  await letter.remove();
  return true;
}
