/** The producer every channel calls: a normalized complaint in, durably queued (or an error) out. */
import { Complaint, newComplaintId, type ComplaintDraft } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import type { Metrics } from '../src/metrics.js';
import type { StatusStore } from '../src/status.js';
import type { TrackingNumbers } from '../src/tracking.js';
import { intakeJobOptions, jobIdFor, type Queues } from './topology.js';

export interface Accepted { complaint: Complaint; duplicate: boolean }

export class Intake {
  constructor(
    private readonly queues: Queues,
    private readonly status: StatusStore,
    private readonly tracking: TrackingNumbers,
    private readonly metrics: Metrics,
    private readonly config: Config,
  ) {}

  /**
   * Queue a complaint under its channel's dedup key. A repeat of a key already accepted inside the
   * dedup window returns the first complaint (same id and tracking number) instead of a new one.
   * `null` means the channel has no key (a web post without Idempotency-Key): nothing to compare.
   * Resolves only once the complaint is in Redis; rejects when it could not be kept.
   */
  async accept(draft: ComplaintDraft, dedupKey: string | null): Promise<Accepted> {
    const complaint = Complaint.parse({ ...draft, version: 1, id: newComplaintId(), trackingId: await this.tracking.take() });
    const jobId = dedupKey === null ? `${complaint.channel}-${complaint.id}` : jobIdFor(complaint.channel, dedupKey);
    // One round trip for both (the connection auto-pipelines): the job, and the status record citizens can look up at once.
    const [job, record] = await Promise.allSettled([
      this.queues.intake.add('complaint', complaint, { ...intakeJobOptions(this.config), jobId }),
      this.status.received(complaint),
    ]);
    if (job.status === 'rejected') {
      if (record.status === 'fulfilled') await this.status.release(complaint.trackingId).catch(() => {});
      throw job.reason;
    }
    const stored = dedupKey === null ? complaint : (await this.queues.intake.getJob(jobId))?.data;
    if (stored && stored.id !== complaint.id) {
      await this.status.release(complaint.trackingId);
      this.metrics.duplicates.inc({ channel: complaint.channel });
      return { complaint: stored, duplicate: true };
    }
    this.metrics.complaints.inc({ channel: complaint.channel, level: complaint.region.level, match_type: complaint.region.matchType });
    return { complaint, duplicate: false };
  }
}
