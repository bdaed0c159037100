/**
 * A complaint as `GET requests` shows it. The gateway's stages and the agency's statuses (src/lifecycle.ts) become
 * the spec's open or closed; the agency's latest note is the status note. Never the reporter: the view has no field
 * for them, and a confidential complaint shows neither its text nor where or what it shows.
 */
import type { Complaint } from '../../src/complaint.js';
import { AGENCY_STATUSES, isFinal, type Status } from '../../src/lifecycle.js';
import type { StatusRecord, TimelineEntry } from '../../src/status.js';
import type { ServiceRequestView } from './format.js';
import { findService, GENERAL_SERVICE_CODE } from './services.js';

const FROM_AGENCY: ReadonlySet<Status> = new Set(AGENCY_STATUSES);

export interface ComplaintStatusRecord {
  trackingId: string;
  status: Status;
  /** The agency the complaint is with; null before it is routed. */
  routeName: string | null;
  receivedAt: string;
  timeline: ReadonlyArray<Pick<TimelineEntry, 'status' | 'note' | 'at'>>;
  /** The complaint text (without the region keyword); null when the record no longer holds the complaint. */
  description: string | null;
  location?: { lat?: number; lon?: number; address?: string };
  /** Only a link is shown (a channel's media reference cannot be fetched by an Open311 client). */
  attachments?: ReadonlyArray<{ url: string } | { ref: string }>;
  /** The Open311 service it was made for; complaints from other channels (null) show as the general service. */
  serviceCode: string | null;
  /** The reporter asked that the content not be published (rahasia). */
  confidential: boolean;
  /** When the agency is due to have followed it up, if known. */
  expectedAt?: string | null;
}

/** The spec limits a description to 4,000 characters; an SMS complaint can be longer. */
const MAX_DESCRIPTION = 4000;

function clip(text: string): string {
  return text.length <= MAX_DESCRIPTION ? text : text.slice(0, MAX_DESCRIPTION).replace(/[\uD800-\uDBFF]$/, '');
}

const time = (at: string) => Date.parse(at);

export function serviceRequestView(record: ComplaintStatusRecord): ServiceRequestView {
  const entries = [...record.timeline].sort((a, b) => time(a.at) - time(b.at));
  const agencyNote = entries.findLast((e) => FROM_AGENCY.has(e.status) && e.note?.trim())?.note!.trim() ?? null;
  const service = (record.serviceCode && findService(record.serviceCode)) || findService(GENERAL_SERVICE_CODE)!;
  const shown = !record.confidential;
  const location = shown ? record.location : undefined;
  return {
    service_request_id: record.trackingId,
    // Closed once final (selesai, diarsipkan): nothing more will happen. A bukan_wewenang sends the complaint on to
    // the next agency, so it stays open there; a failed delivery is retried and resolved by an admin.
    status: isFinal(record.status) ? 'closed' : 'open',
    status_notes: agencyNote,
    service_name: service.name,
    service_code: service.code,
    description: shown && record.description !== null ? clip(record.description) : null,
    agency_responsible: record.routeName,
    service_notice: service.notice,
    requested_datetime: record.receivedAt,
    updated_datetime: entries.at(-1)?.at ?? record.receivedAt,
    expected_datetime: record.expectedAt ?? null,
    address: location?.address ?? null,
    lat: location?.lat ?? null,
    long: location?.lon ?? null,
    media_url: (shown && record.attachments?.map((a) => ('url' in a ? a.url : null)).find(Boolean)) || null,
  };
}

/** A complaint's record, timeline and (if still kept) the complaint itself, as the view reads them. */
export function complaintStatusRecord(record: StatusRecord, timeline: readonly TimelineEntry[], complaint: Complaint | null): ComplaintStatusRecord {
  const serviceCode = complaint?.channel === 'open311' ? complaint.source.extras.serviceCode : null;
  // The follow-up deadline (src/clocks.ts) is when the agency is expected to have acted; the first-response one is
  // not, and a paused clock (ditunda) has no due time until the agency answers again.
  const { stage, pausedAt, due: dueAt } = record.clock;
  const due = stage === 'followUp' && pausedAt === null ? dueAt : null;
  return {
    trackingId: record.trackingId,
    status: record.status,
    routeName: record.routeName,
    receivedAt: record.receivedAt,
    timeline,
    description: complaint?.text ?? null,
    ...(complaint?.location && { location: complaint.location }),
    attachments: complaint?.attachments ?? [],
    serviceCode: typeof serviceCode === 'string' ? serviceCode : null,
    confidential: record.confidential,
    expectedAt: due === null ? null : new Date(due).toISOString(),
  };
}
