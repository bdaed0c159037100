/** What citizens are told back on their channel, in Indonesian. One place, so every channel says the same. */
import type { Complaint } from './complaint.js';
import { ambiguousCandidates, type RouteIndex } from './keyword.js';
import type { AgencyStatus, Status } from './lifecycle.js';
import type { AgencyRef, StatusRecord, StatusStore, TimelineEntry } from './status.js';

export const FORMAT_HELP = 'Format: NamaKota (spasi) Isi Aduan. Contoh: PekalonganKota jalan rusak di depan pasar. Cek status: CEK <nomor lacak>';

/**
 * The acceptance reply: the tracking number and where the complaint went. When the region was ambiguous or
 * missing, it also says how to name it next time, so the next complaint goes straight to the right agency.
 */
export function acceptedReply(complaint: Complaint, index?: RouteIndex): string {
  const where = complaint.region.level === 'national' ? 'Desk Nasional SP4N-LAPOR!' : complaint.region.name;
  return `Aduan Anda diterima. No. lacak: ${complaint.trackingId}. Diteruskan ke ${where}. Cek status: CEK ${complaint.trackingId}${index ? teaching(complaint, index) : ''}`;
}

function teaching(complaint: Complaint, index: RouteIndex): string {
  const { matchType, keyword } = complaint.region;
  if (matchType === 'none') return '. Lain kali awali dengan nama daerah, mis. PekalonganKota jalan rusak';
  if (matchType !== 'ambiguous' || !keyword) return '';
  const keywords = ambiguousCandidates(keyword, index).map((r) => r.keyword);
  return keywords.length > 1 ? `. Lain kali tulis ${keywords.slice(0, -1).join(', ')} atau ${keywords.at(-1)}` : '';
}

/** Each status as a heading on the citizen's status page. */
export const STATUS_LABELS: Record<Status, string> = {
  received: 'Diterima', routed: 'Sedang diteruskan', delivered: 'Diterima instansi', failed: 'Gagal diteruskan (ditangani petugas)',
  diverifikasi: 'Diverifikasi', didisposisi: 'Didisposisi', ditindaklanjuti: 'Ditindaklanjuti', selesai: 'Selesai',
  ditunda: 'Ditunda', bukan_wewenang: 'Bukan wewenang — dialihkan', diarsipkan: 'Diarsipkan',
};

/** Each status as a citizen reads it, with the agency that has the complaint. */
function statusWords(status: Status, agency: string | null): string {
  const by = agency ? ` oleh ${agency}` : '';
  switch (status) {
    case 'received': return 'diterima, menunggu diteruskan';
    case 'routed': return `sedang diteruskan${agency ? ` ke ${agency}` : ''}`;
    case 'delivered': return `sudah diterima instansi${agency ? ` ke ${agency}` : ''}`;
    case 'failed': return 'gagal diteruskan, sedang ditangani petugas';
    case 'diverifikasi': return `sudah diverifikasi${by}`;
    case 'didisposisi': return `sudah didisposisi${by}`;
    case 'ditindaklanjuti': return `sedang ditindaklanjuti${by}`;
    case 'selesai': return `dinyatakan selesai${by}`;
    case 'ditunda': return `ditunda${by}`;
    case 'bukan_wewenang': return `dinyatakan bukan wewenang${by}`;
    case 'diarsipkan': return `diarsipkan${by}`;
  }
}

/** A note as far as `max` characters go, without splitting a character ("..." keeps an SMS in GSM 03.38). */
function cut(note: string, max: number): string {
  const chars = [...note.trim()];
  return chars.length <= max ? chars.join('') : `${chars.slice(0, max - 3).join('').trimEnd()}...`;
}

/** The answer to `CEK <nomor>`: the status now, with the start of the agency's latest note. */
export function statusReply(record: StatusRecord | null, trackingId: string, timeline: readonly TimelineEntry[] = []): string {
  if (!record) return `Nomor lacak ${trackingId} tidak ditemukan. Periksa kembali nomor Anda.`;
  const note = timeline.at(-1)?.note;
  return `Aduan ${record.trackingId}: ${statusWords(record.status, record.routeName)}.${note ? ` Catatan: ${cut(note, 60)}` : ''}`;
}

/** The answer to `CEK <nomor>`, read from the complaint's record and timeline. */
export async function statusAnswer(status: StatusStore, trackingId: string): Promise<string> {
  const [record, timeline] = await Promise.all([status.get(trackingId), status.timeline(trackingId)]);
  return statusReply(record, trackingId, timeline);
}

export interface UpdateNotice {
  trackingId: string;
  status: AgencyStatus;
  agency: AgencyRef;
  note?: string;
  /** Where a bukan_wewenang sent the complaint. */
  to?: AgencyRef;
}

/** Notes in notifications are cut to this; the channel cuts the whole text further to what it can carry. */
const NOTE_MAX = 300;

/**
 * What the citizen is told when the agency moves their complaint on. Where everyone can read the answer (X) and the
 * complaint is confidential, only that something changed and how to look it up.
 */
export function updateNotice(notice: UpdateNotice, options: { public: boolean; confidential: boolean; statusPage: string | null }): string {
  const { trackingId, status, agency, note, to } = notice;
  if (options.public && options.confidential) {
    return `LAPOR! ${trackingId}: ada kabar baru tentang aduan Anda. Cek status: SMS CEK ${trackingId} ke 1708${options.statusPage ? ` atau ${options.statusPage}` : ''}`;
  }
  const what = status === 'bukan_wewenang' && to
    ? `dialihkan ke ${to.name} karena bukan wewenang ${agency.name}`
    : statusWords(status, agency.name);
  return `LAPOR! ${trackingId}: aduan Anda ${what}.${note ? ` Catatan: ${cut(note, NOTE_MAX)}` : ''}`;
}

/** `CEK <trackingId>` (also "cek", "STATUS"), or null when the message is not a status request. */
export function statusRequest(text: string): string | null {
  const m = /^\s*(?:cek|status)\s+#?([0-9A-Za-z-]{8,10})\s*$/i.exec(text);
  return m ? m[1]!.replace(/-/g, '').toUpperCase() : null;
}
