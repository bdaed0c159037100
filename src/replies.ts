/** What citizens are told back on their channel, in Indonesian. One place, so every channel says the same. */
import type { Complaint } from './complaint.js';
import type { Status, StatusRecord } from './status.js';

export const FORMAT_HELP = 'Format: NamaKota (spasi) Isi Aduan. Contoh: PekalonganKota jalan rusak di depan pasar. Cek status: CEK <nomor lacak>';

export function acceptedReply(complaint: Complaint): string {
  const where = complaint.region.level === 'national' ? 'Desk Nasional SP4N-LAPOR!' : complaint.region.name;
  return `Aduan Anda diterima. No. lacak: ${complaint.trackingId}. Diteruskan ke ${where}. Cek status: CEK ${complaint.trackingId}`;
}

const STATUS_WORDS: Record<Status, string> = {
  received: 'diterima, menunggu diteruskan',
  routed: 'sedang diteruskan',
  delivered: 'sudah diterima instansi',
  failed: 'gagal diteruskan, sedang ditangani petugas',
};

export function statusReply(record: StatusRecord | null, trackingId: string): string {
  if (!record) return `Nomor lacak ${trackingId} tidak ditemukan. Periksa kembali nomor Anda.`;
  const where = record.routeName ? ` ke ${record.routeName}` : '';
  return `Aduan ${record.trackingId}: ${STATUS_WORDS[record.status]}${where}.`;
}

/** `CEK <trackingId>` (also "cek", "STATUS"), or null when the message is not a status request. */
export function statusRequest(text: string): string | null {
  const m = /^\s*(?:cek|status)\s+#?([0-9A-Za-z-]{8,10})\s*$/i.exec(text);
  return m ? m[1]!.replace(/-/g, '').toUpperCase() : null;
}
