/**
 * The Open311 service catalogue: the kinds of report LAPOR! knows (pengaduan, aspirasi, permintaan
 * informasi), the same in every jurisdiction. A jurisdiction is a region (code or keyword); its listing
 * says where its reports go. Each service asks two optional questions that the spec has no field for:
 * anonymity and confidentiality.
 */
import type { Region } from '../../src/complaint.js';
import { failure, type Parsed, type ServiceAttribute, type ServiceDefinition, type ServiceListEntry } from './format.js';

export interface Service {
  code: string;
  name: string;
  description: string;
  group: string;
  keywords: string[];
  /** What happens next, told to the client when a request is made and whenever it is looked up. */
  notice: string;
}

export const GENERAL_SERVICE_CODE = 'pengaduan-umum';

const FOLLOW_UP = 'Admin memverifikasi dan meneruskannya ke instansi yang berwenang paling lambat 3 hari kerja; instansi menindaklanjuti paling lambat 5 hari kerja.';

export const SERVICES: readonly Service[] = [
  {
    code: GENERAL_SERVICE_CODE,
    name: 'Pengaduan umum',
    description: 'Pengaduan tentang pelayanan publik: layanan yang lambat, buruk atau tidak diberikan, pungutan liar, fasilitas umum yang rusak.',
    group: 'pengaduan',
    keywords: ['pengaduan', 'aduan', 'keluhan', 'pelayanan publik', 'jalan rusak', 'pungli'],
    notice: `Aduan Anda kami terima. ${FOLLOW_UP}`,
  },
  {
    code: 'aspirasi',
    name: 'Aspirasi',
    description: 'Saran, usul atau masukan untuk perbaikan pelayanan publik.',
    group: 'aspirasi',
    keywords: ['aspirasi', 'saran', 'usul', 'masukan'],
    notice: `Aspirasi Anda kami terima. ${FOLLOW_UP}`,
  },
  {
    code: 'permintaan-informasi',
    name: 'Permintaan informasi',
    description: 'Pertanyaan atau permintaan informasi tentang pelayanan publik.',
    group: 'permintaan-informasi',
    keywords: ['informasi', 'pertanyaan', 'tanya'],
    notice: `Permintaan informasi Anda kami terima. ${FOLLOW_UP}`,
  },
];

const YES_NO = [{ key: 'ya', name: 'Ya' }, { key: 'tidak', name: 'Tidak' }];

/** The questions every service asks; the answers become the reporter's anonymous and confidential flags. */
export const ATTRIBUTES: readonly ServiceAttribute[] = [
  {
    variable: true, code: 'anonim', datatype: 'singlevaluelist', required: false, datatype_description: null, order: 1,
    description: 'Sembunyikan identitas pelapor dari instansi yang menangani (anonim)?', values: YES_NO,
  },
  {
    variable: true, code: 'rahasia', datatype: 'singlevaluelist', required: false, datatype_description: null, order: 2,
    description: 'Rahasiakan isi laporan dari publik?', values: YES_NO,
  },
];

export function findService(code: string): Service | null {
  return SERVICES.find((s) => s.code === code) ?? null;
}

export const unknownService = (code: string) =>
  failure(404, `service_code "${code.slice(0, 64)}" was not found (the codes are listed by GET services)`);

/** `GET services` for a jurisdiction (or for all of them). */
export function serviceList(region: Region | null): ServiceListEntry[] {
  const destination = region ? ` Laporan diteruskan ke ${region.name}.` : '';
  return SERVICES.map((s) => ({
    service_code: s.code,
    service_name: s.name,
    description: s.description + destination,
    metadata: true,
    type: 'realtime',
    keywords: s.keywords.join(', '),
    group: s.group,
  }));
}

/** `GET services/{service_code}`. */
export function serviceDefinition(code: string): Parsed<ServiceDefinition> {
  const service = findService(code);
  if (!service) return unknownService(code);
  return { ok: true, value: { service_code: service.code, attributes: [...ATTRIBUTES] } };
}
