/**
 * A complaint as `GET requests` shows it. The gateway's stages and the agency's statuses become the spec's
 * open or closed; the agency's latest note is the status note. Never the reporter: the view has no field
 * for them, and a confidential complaint shows neither its text nor where or what it shows.
 */
import type { ServiceRequestView } from './format.js';
import { findService, GENERAL_SERVICE_CODE } from './services.js';

/** The gateway's stages, then the statuses an agency reports (LAPOR! V3's admin actions and outcomes). */
export const COMPLAINT_STATUSES = [
  'received', 'routed', 'delivered', 'failed',
  'diverifikasi', 'didisposisi', 'ditindaklanjuti', 'selesai', 'ditunda', 'bukan_wewenang', 'diarsipkan',
] as const;
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];

const AGENCY_STATUSES: ReadonlySet<ComplaintStatus> = new Set(['diverifikasi', 'didisposisi', 'ditindaklanjuti', 'selesai', 'ditunda', 'bukan_wewenang', 'diarsipkan']);

/**
 * Closed = nothing more will happen: done, not this agency's authority (LAPOR! forwards those as new
 * complaints), or archived. Postponed is open; so is a failed delivery, which the gateway retries and an
 * admin resolves.
 */
const CLOSED: ReadonlySet<ComplaintStatus> = new Set(['selesai', 'bukan_wewenang', 'diarsipkan']);

export interface TimelineEntry { status: ComplaintStatus; note?: string; at: string }

/** What the view needs of a complaint; the gateway adapts its record to this. */
export interface ComplaintStatusRecord {
  trackingId: string;
  status: ComplaintStatus;
  /** The agency the complaint went to; null before it is routed. */
  routeName: string | null;
  receivedAt: string;
  timeline: readonly TimelineEntry[];
  /** The complaint text (without the region keyword). */
  description: string;
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
  const agencyNote = entries.findLast((e) => AGENCY_STATUSES.has(e.status) && e.note?.trim())?.note!.trim() ?? null;
  const service = (record.serviceCode && findService(record.serviceCode)) || findService(GENERAL_SERVICE_CODE)!;
  const shown = !record.confidential;
  const location = shown ? record.location : undefined;
  return {
    service_request_id: record.trackingId,
    status: CLOSED.has(record.status) ? 'closed' : 'open',
    status_notes: agencyNote,
    service_name: service.name,
    service_code: service.code,
    description: shown ? clip(record.description) : null,
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
