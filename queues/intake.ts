/** The producer every channel calls: a normalized complaint in, durably queued (or an error) out. */
import { newComplaintId, type Complaint, type ComplaintDraft } from '../src/complaint.js';
import type { Config } from '../src/config.js';
import type { Metrics } from '../src/metrics.js';
import type { StatusStore } from '../src/status.js';
import type { TrackingNumbers } from '../src/tracking.js';
import { intakeJobOptions, jobIdFor, unkeyedJobId, type Queues } from './topology.js';

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
    // Not parsed again here: every channel's normalize() is property-tested to produce schema-valid drafts
    // (test/properties*.test.ts), and the router parses each job it takes. Parsing twice on the way in cost
    // a tenth of a web complaint's CPU.
    const complaint: Complaint = { version: 1, id: newComplaintId(), trackingId: await this.tracking.take(), ...draft };
    const options = intakeJobOptions(this.config);
    if (dedupKey === null) {
      // Nothing to compare, so one Redis call: the job is the complaint's status record until the router writes one.
      await this.queues.intake.add('complaint', complaint, { ...options, jobId: unkeyedJobId(complaint.trackingId) });
      this.counted(complaint);
      return { complaint, duplicate: false };
    }
    const jobId = jobIdFor(complaint.channel, dedupKey);
    // One round trip for both (the connection auto-pipelines): the job, and the status record citizens can look up at once.
    const [job, record] = await Promise.allSettled([
      this.queues.intake.add('complaint', complaint, { ...options, jobId }),
      this.status.received(complaint),
    ]);
    if (job.status === 'rejected') {
      if (record.status === 'fulfilled') await this.status.release(complaint.trackingId).catch(() => {});
      throw job.reason;
    }
    const stored = (await this.queues.intake.getJob(jobId))?.data;
    if (stored && stored.id !== complaint.id) {
      await this.status.release(complaint.trackingId);
      this.metrics.duplicates.inc({ channel: complaint.channel });
      return { complaint: stored, duplicate: true };
    }
    this.counted(complaint);
    return { complaint, duplicate: false };
  }

  private counted(complaint: Complaint): void {
    this.metrics.complaints.inc({ channel: complaint.channel, level: complaint.region.level, match_type: complaint.region.matchType });
  }
}
