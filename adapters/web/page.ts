/** The citizen's complaint page: server-rendered Indonesian HTML that works without JavaScript. */
import type { RouteIndex } from '../../src/keyword.js';
import { STATUS_LABELS } from '../../src/replies.js';
import type { StatusRecord, TimelineEntry } from '../../src/status.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
h1{font-size:1.6rem}label{display:block;margin-top:1rem;font-weight:600}input[type=text],input[type=tel],input[type=email],select,textarea{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
textarea{min-height:9rem}.check{font-weight:400}.error{color:#b00020;font-weight:600;margin:.25rem 0 0}.invalid{border:2px solid #b00020}
button{margin-top:1.5rem;padding:.6rem 1.4rem;font:inherit;background:#b71c1c;color:#fff;border:0;border-radius:4px;cursor:pointer}
ol#timeline{padding-left:1.2rem}ol#timeline li{margin:.5rem 0}.note{color:#333}.tracking{font-size:2rem;font-family:monospace;letter-spacing:.2rem;background:#f3f3f3;padding:.5rem 1rem;display:inline-block}.hint{color:#555;font-size:.9rem}`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}
<p class="hint">SP4N-LAPOR! — juga melalui SMS ke 1708 (format: <code>NamaKota (spasi) Isi Aduan</code>) dan X @lapor1708.</p></body></html>`;
}

let regionOptionsCache: { version: number; routes: number; html: string } | undefined;

/** Provinces as groups, each with a "whole province" option and its kabupaten/kota. */
function regionOptions(index: RouteIndex, selected: string | undefined): string {
  if (!regionOptionsCache || regionOptionsCache.version !== index.version || regionOptionsCache.routes !== index.routes.size) {
    const routes = [...index.routes.values()].filter((r) => r.active);
    const provinces = routes.filter((r) => r.level === 'province').sort((a, b) => a.name.localeCompare(b.name));
    const groups = provinces.map((p) => {
      const children = routes.filter((r) => r.parent === p.code).sort((a, b) => a.name.localeCompare(b.name));
      const options = [p, ...children].map((r) => `<option value="${escapeHtml(r.code)}">${escapeHtml(r.code === p.code ? `${r.name} (seluruh provinsi)` : r.name)}</option>`);
      return `<optgroup label="${escapeHtml(p.name)}">${options.join('')}</optgroup>`;
    });
    regionOptionsCache = { version: index.version, routes: index.routes.size, html: groups.join('') };
  }
  const html = `<option value="">— Pilih daerah, atau tulis nama daerah di awal aduan —</option>${regionOptionsCache.html}`;
  return selected ? html.replace(`value="${escapeHtml(selected)}"`, `value="${escapeHtml(selected)}" selected`) : html;
}

export interface FormState {
  values: Partial<Record<'text' | 'region' | 'name' | 'phone' | 'email' | 'anonymous' | 'confidential', string | boolean>>;
  errors: Record<string, string>;
  submissionId: string;
}

export function renderForm(index: RouteIndex, state: FormState): string {
  const { values, errors } = state;
  const field = (name: string) => (errors[name] ? ` class="invalid" aria-invalid="true" aria-describedby="${name}-error"` : '');
  const error = (name: string) => (errors[name] ? `<p class="error" id="${name}-error" role="alert">${escapeHtml(errors[name])}</p>` : '');
  const checked = (name: 'anonymous' | 'confidential') => (values[name] === true || values[name] === 'on' ? ' checked' : '');
  const summary = Object.keys(errors).length ? '<p class="error" role="alert">Periksa kembali isian yang ditandai.</p>' : '';
  return layout('Sampaikan Aduan — SP4N-LAPOR!', `<h1>Sampaikan Aduan Pelayanan Publik</h1>
<p>Aduan Anda diteruskan ke instansi yang berwenang di daerah Anda. Anda akan menerima nomor lacak.</p>${summary}
<form method="post" action="/" novalidate>
<input type="hidden" name="submissionId" value="${escapeHtml(state.submissionId)}">
<label for="region">Daerah</label><select id="region" name="region"${field('region')}>${regionOptions(index, values.region as string | undefined)}</select>${error('region')}
<label for="text">Isi aduan</label><textarea id="text" name="text" maxlength="4000" required${field('text')}>${escapeHtml(values.text)}</textarea>${error('text')}
<label for="name">Nama (opsional)</label><input type="text" id="name" name="name" value="${escapeHtml(values.name)}" autocomplete="name"${field('name')}>${error('name')}
<label for="phone">Nomor HP (opsional)</label><input type="tel" id="phone" name="phone" value="${escapeHtml(values.phone)}" autocomplete="tel"${field('phone')}>${error('phone')}
<label for="email">Email (opsional)</label><input type="email" id="email" name="email" value="${escapeHtml(values.email)}" autocomplete="email"${field('email')}>${error('email')}
<label class="check"><input type="checkbox" name="anonymous"${checked('anonymous')}> Anonim — identitas saya tidak diberikan kepada instansi</label>
<label class="check"><input type="checkbox" name="confidential"${checked('confidential')}> Rahasia — isi aduan tidak dipublikasikan</label>
<button type="submit">Kirim Aduan</button>
</form>`);
}

/** A time as Jakarta reads it ("2 Des 2026 14.05 WIB"). */
const shownAt = (iso: string) => `${new Date(iso).toLocaleString('id-ID', { timeZone: 'Asia/Jakarta', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit' })} WIB`;

/** The citizen's status page: the tracking number, where the complaint is, and everything that happened to it. */
export function renderStatus(record: StatusRecord, timeline: readonly TimelineEntry[], statusUrl: string): string {
  const entries = [{ at: record.receivedAt, status: 'received' as const }, ...timeline].map((e: TimelineEntry) => {
    const who = e.to ? `${e.agency?.name ?? ''} → ${e.to.name}` : e.agency?.name ?? '';
    return `<li><time datetime="${escapeHtml(e.at)}">${escapeHtml(shownAt(e.at))}</time> — <strong class="status">${escapeHtml(STATUS_LABELS[e.status])}</strong>${who ? ` (${escapeHtml(who)})` : ''}${e.note ? `<br><span class="note">${escapeHtml(e.note)}</span>` : ''}</li>`;
  });
  return layout(`Aduan ${record.trackingId} — SP4N-LAPOR!`, `<h1>Status aduan Anda</h1>
<p>Nomor lacak Anda:</p><p class="tracking" id="tracking-id">${escapeHtml(record.trackingId)}</p>
<p>Status: <strong id="current-status">${escapeHtml(STATUS_LABELS[record.status])}</strong>${record.routeName ? ` — ${escapeHtml(record.routeName)}` : ''}.
Simpan nomor ini untuk memantau tindak lanjut (<a href="${escapeHtml(statusUrl)}">data status</a>, atau SMS <code>CEK ${escapeHtml(record.trackingId)}</code> ke 1708).</p>
<h2>Riwayat</h2><ol id="timeline">${entries.join('')}</ol>
<p><a href="/">Sampaikan aduan lain</a></p>`);
}

export function renderUnavailable(): string {
  return layout('Sedang gangguan — SP4N-LAPOR!', `<h1>Maaf, layanan sedang gangguan</h1>
<p>Aduan Anda belum tersimpan. Silakan kirim ulang beberapa saat lagi.</p><p><a href="/">Kembali</a></p>`);
}
