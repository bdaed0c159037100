/** Dead letters: complaints whose delivery failed for good, kept until an admin replays them. */
import type { Config } from '../src/config.js';
import { deliveryJobOptions, type Queues } from './topology.js';

/**
 * Send a dead letter through delivery again. It keeps its complaint id (the agency's Idempotency-Key)
 * and tracking number; the letter is removed only once the new delivery job is queued.
 */
export async function replayDeadLetter(queues: Queues, config: Config, jobId: string): Promise<boolean> {
  const letter = await queues.deadLetters.getJob(jobId);
  if (!letter) return false;
  const { complaint, routeCode } = letter.data;
  await queues.delivery.add('deliver', { complaint, routeCode }, { ...deliveryJobOptions(config), jobId: `d-${complaint.id}-replay-${Date.now()}` });
  await letter.remove();
  return true;
}
