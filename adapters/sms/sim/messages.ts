/**
 * deliver_sm parameters as real handsets and SMSCs send MO: single messages in each coding, long
 * messages split with an 8-bit or 16-bit UDH reference or with SAR TLVs (in any order), message_payload,
 * and delivery receipts. Pure builders shared by the simulator, its CLI, the tests and the benchmark.
 */
import { encodeGsm, encodeUcs2, udhFor } from '../codec.js';
import { ESM } from '../smpp.js';

export type MoParams = Record<string, unknown>;
export type MoCoding = 'gsm' | 'ia5' | 'latin1' | 'ucs2';
export type ConcatScheme = 'udh8' | 'udh16' | 'sar';

const DATA_CODING: Record<MoCoding, number> = { gsm: 0x00, ia5: 0x01, latin1: 0x03, ucs2: 0x08 };

export function encodeMo(text: string, coding: MoCoding): Buffer {
  if (coding === 'ucs2') return encodeUcs2(text);
  if (coding === 'gsm') {
    const septets = encodeGsm(text);
    if (!septets) throw new Error(`not GSM 03.38 text: ${JSON.stringify(text)}`);
    return septets;
  }
  return Buffer.from(text, 'latin1');
}

/** The coding a handset would pick: GSM 03.38 when it can, else UCS-2. */
export const autoCoding = (text: string): MoCoding => (encodeGsm(text) ? 'gsm' : 'ucs2');

const address = (from: string, to: string) => ({ source_addr_ton: 1, source_addr_npi: 1, source_addr: from, dest_addr_ton: 0, dest_addr_npi: 0, destination_addr: to });

export function singleMo(from: string, to: string, text: string, coding: MoCoding = autoCoding(text), options: { payload?: boolean } = {}): MoParams {
  const octets = encodeMo(text, coding);
  return { ...address(from, to), data_coding: DATA_CODING[coding], ...(options.payload ? { message_payload: octets } : { short_message: octets }) };
}

export interface ConcatOptions {
  scheme: ConcatScheme;
  ref: number;
  /** Octets of text per part (defaults: 153 GSM, 134 UCS-2). */
  partOctets?: number;
  coding?: MoCoding;
  /** Part numbers (1-based) in sending order; default in order. Omit a number to lose that part. */
  order?: number[];
}

/** A long message as its parts (the text split by octets, as a handset does). */
export function concatenatedMo(from: string, to: string, text: string, options: ConcatOptions): MoParams[] {
  const coding = options.coding ?? autoCoding(text);
  const octets = encodeMo(text, coding);
  const size = options.partOctets ?? (coding === 'ucs2' ? 134 : 153);
  const bodies: Buffer[] = [];
  for (let i = 0; i < octets.length; i += size) bodies.push(octets.subarray(i, i + size));
  const total = bodies.length;
  const order = options.order ?? bodies.map((_, i) => i + 1);
  return order.map((seq) => {
    const body = bodies[seq - 1]!;
    const base = { ...address(from, to), data_coding: DATA_CODING[coding] };
    if (options.scheme === 'sar') return { ...base, short_message: body, sar_msg_ref_num: options.ref, sar_total_segments: total, sar_segment_seqnum: seq };
    return { ...base, esm_class: ESM.UDHI, short_message: Buffer.concat([udhFor({ scheme: options.scheme, ref: options.ref, total, seq }), body]) };
  });
}

/** An SMSC delivery receipt for an MT we sent (esm_class 0x04): never a complaint. */
export function receiptMo(from: string, to: string, messageId: string): MoParams {
  const text = `id:${messageId} sub:001 dlvrd:001 submit date:2601011200 done date:2601011201 stat:DELIVRD err:000 text:`;
  return { ...address(from, to), esm_class: 0x04, data_coding: 0, short_message: Buffer.from(text, 'latin1'), receipted_message_id: messageId, message_state: 2 };
}
