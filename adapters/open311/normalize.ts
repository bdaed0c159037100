/**
 * An Open311 `POST requests` → Complaint draft. Pure: no I/O, the route index is passed in.
 * `jurisdiction_id`, when given, names the region and the description stays whole; without it the
 * description's first words are read as on SMS ("PekalonganKota jalan rusak").
 */
import { createHash } from 'node:crypto';
import type { ComplaintDraft, Region } from '../../src/complaint.js';
import { resolveMessage, type RouteIndex } from '../../src/keyword.js';
import { toE164 } from '../../src/phone.js';
import { failure, type Open311Failure } from './format.js';
import { jurisdictionRegion, type ServiceRequest } from './request.js';
import { ATTRIBUTES, findService, unknownService, type Service } from './services.js';

export interface Open311Context {
  index: RouteIndex;
  receivedAt: string;
  /** Where the client wrote to, e.g. `/open311/v2/requests.json`. */
  address: string;
}

export type Open311Outcome =
  | {
    ok: true;
    draft: ComplaintDraft;
    /** The request's identity for the intake's dedup window: see requestHash(). */
    dedupKey: string;
    service: Service;
  }
  | ({ ok: false } & Open311Failure);

/**
 * The spec has no idempotency key, and clients resend a POST whose answer they did not get. A repeat is
 * the same app sending the same request: the client's name and every field it sent (after trimming), the
 * device and account ids and the attribute answers included, hashed. Within the intake's dedup window a
 * repeat gets the first complaint's tracking number. The same report sent twice on purpose is one complaint.
 * The dedup key is `<client name>:<hash>`.
 */
function requestHash(request: ServiceRequest): string {
  // The parsed request has a fixed field order and sorted attributes, so equal requests serialize equally.
  const { apiClient: _client, ...fields } = request;
  return createHash('sha256').update(JSON.stringify(fields)).digest('hex');
}

/** Media types by file extension; media_url may also be a page (the spec allows it), which says nothing. */
const MEDIA_TYPES: Record<string, string> = {
  jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', gif: 'image/gif', webp: 'image/webp', heic: 'image/heic',
  mp4: 'video/mp4', mov: 'video/quicktime', webm: 'video/webm', pdf: 'application/pdf',
};

function mediaType(url: string): string {
  const extension = /\.([a-z0-9]{2,5})$/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  return (extension && MEDIA_TYPES[extension]) || 'application/octet-stream';
}

/** The yes/no answers to the service's questions; an unknown question or answer is named. */
function answers(attributes: Record<string, string[]>): { anonymous: boolean; confidential: boolean } | string[] {
  const problems: string[] = [];
  const chosen: Record<string, boolean> = {};
  for (const [code, values] of Object.entries(attributes)) {
    const attribute = ATTRIBUTES.find((a) => a.code === code);
    if (!attribute) {
      problems.push(`attribute[${code}] is not a question of this service (see GET services/{service_code})`);
      continue;
    }
    const keys = attribute.values.map((v) => v.key);
    const value = values[0]?.trim().toLowerCase() ?? '';
    if (values.length !== 1 || !keys.includes(value)) {
      problems.push(`attribute[${code}] must be one of ${keys.join(', ')}`);
      continue;
    }
    chosen[code] = value === 'ya';
  }
  return problems.length > 0 ? problems : { anonymous: chosen.anonim ?? false, confidential: chosen.rahasia ?? false };
}

export function normalizeServiceRequest(request: ServiceRequest, ctx: Open311Context): Open311Outcome {
  const service = findService(request.service_code);
  if (!service) return unknownService(request.service_code);
  const jurisdiction = jurisdictionRegion(request.jurisdiction_id, ctx.index);
  if (!jurisdiction.ok) return jurisdiction;
  const flags = answers(request.attributes);
  if (Array.isArray(flags)) return failure(400, ...flags);

  let region: Region;
  let text = request.description;
  if (jurisdiction.value) {
    region = jurisdiction.value;
  } else {
    const resolution = resolveMessage(request.description, ctx.index);
    if (!resolution.complaintText) return failure(400, 'description: tuliskan isi aduan setelah nama daerah (write the complaint after the region name)');
    text = resolution.complaintText;
    const { matched } = resolution;
    region = { keyword: resolution.keyword, code: matched.code, name: matched.name, level: matched.level, matchType: resolution.matchType };
  }

  const name = [request.first_name, request.last_name].filter(Boolean).join(' ');
  const phone = request.phone ? toE164(request.phone)! : undefined;
  const hasPoint = request.lat !== undefined && request.long !== undefined;
  const hash = requestHash(request);
  return {
    ok: true,
    service,
    dedupKey: `${request.apiClient}:${hash}`,
    draft: {
      channel: 'open311',
      receivedAt: ctx.receivedAt,
      text,
      rawText: request.description,
      region,
      reporter: {
        ...(name && { name }),
        ...(phone && { phone }),
        ...(request.email && { email: request.email }),
        ...flags,
      },
      source: {
        messageId: hash.slice(0, 32),
        address: ctx.address,
        // Never the device or account id: extras reach the agency even when the reporter is anonymous.
        extras: { apiClient: request.apiClient, serviceCode: service.code, ...(request.address_id && { addressId: request.address_id }) },
      },
      attachments: request.media_url ? [{ url: request.media_url, mediaType: mediaType(request.media_url) }] : [],
      ...((hasPoint || request.address_string) && {
        location: {
          ...(hasPoint && { lat: request.lat, lon: request.long }),
          ...(request.address_string && { address: request.address_string }),
        },
      }),
    },
  };
}
