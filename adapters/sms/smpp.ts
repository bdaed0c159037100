/**
 * The `smpp` package, with message octets left raw. Its own decoding is lossy (unknown GSM octets
 * become spaces, IA5 is read as GSM, a UDH is assumed for any data_coding) and cannot be configured
 * per SMSC, so short_message and message_payload arrive as Buffers and `codec.ts` reads them.
 * Importing this module is what guarantees that; the ESME and the simulator both import it.
 */
import smpp from 'smpp';

for (const command of ['deliver_sm', 'submit_sm']) {
  const definition = smpp.commands[command]!;
  smpp.addCommand(command, { ...definition, params: { ...definition.params, short_message: { type: smpp.types.buffer } } });
}
smpp.addTLV('message_payload', { id: smpp.tlvs.message_payload!.id, type: smpp.tlvs.message_payload!.type });

export { smpp };
import type { PDU, Session } from 'smpp';
export type { PDU, Session, Server } from 'smpp';

/** Command statuses we answer with or react to. */
export const STATUS = {
  OK: 0x0000,
  /** "Temporary application error": the SMSC keeps the message and retries. */
  RX_T_APPN: 0x0064,
  RX_P_APPN: 0x0065,
  THROTTLED: 0x0058,
  INVALID_COMMAND: 0x0003,
  SYSTEM_ERROR: 0x0008,
  BIND_FAILED: 0x000d,
  INVALID_PASSWORD: 0x000e,
} as const;

/** esm_class bits. */
export const ESM = {
  UDHI: 0x40,
  /** Message type bits 2–5: 0x04 SMSC delivery receipt, 0x08 SME ack, 0x10 user ack, 0x20 intermediate notification. */
  TYPE_MASK: 0x3c,
} as const;

/**
 * The two PDUs Pintu writes per message, encoded directly: every deliver_sm (data_sm) is answered, and every reply
 * is a submit_sm. node-smpp's generic encoder walks its parameter tables per PDU (a tenth of the gateway's CPU per
 * SMS in a profile); these write the same bytes (test: pdu-cases.json) for the fields Pintu sets.
 */
const HEADER = 16;

/** A response: header only when refusing (as node-smpp writes it), else an empty message_id. */
export function responseBytes(requestCommandId: number, status: number, sequence: number): Buffer {
  const length = status === STATUS.OK ? HEADER + 1 : HEADER;
  const buffer = Buffer.alloc(length);
  buffer.writeUInt32BE(length, 0);
  buffer.writeUInt32BE((requestCommandId | 0x80000000) >>> 0, 4);
  buffer.writeUInt32BE(status, 8);
  buffer.writeUInt32BE(sequence, 12);
  return buffer;
}

export interface SubmitSm {
  source_addr_ton: number;
  source_addr_npi: number;
  source_addr: string;
  dest_addr_ton: number;
  dest_addr_npi: number;
  destination_addr: string;
  esm_class: number;
  data_coding: number;
  short_message: Buffer;
}

const SUBMIT_SM = 0x00000004;

/** submit_sm with no optional parameters; the addresses are digits (ASCII). */
export function submitSmBytes(pdu: SubmitSm, sequence: number): Buffer {
  // service_type "" + ton/npi/source + ton/npi/destination + esm/protocol/priority + two empty times + 4 flags + sm_length
  const length = HEADER + 1 + 2 + pdu.source_addr.length + 1 + 2 + pdu.destination_addr.length + 1 + 3 + 2 + 4 + 1 + pdu.short_message.length;
  const b = Buffer.alloc(length);
  b.writeUInt32BE(length, 0);
  b.writeUInt32BE(SUBMIT_SM, 4);
  b.writeUInt32BE(sequence, 12);
  let at = HEADER + 1;
  b[at++] = pdu.source_addr_ton;
  b[at++] = pdu.source_addr_npi;
  at += b.write(pdu.source_addr, at, 'ascii') + 1;
  b[at++] = pdu.dest_addr_ton;
  b[at++] = pdu.dest_addr_npi;
  at += b.write(pdu.destination_addr, at, 'ascii') + 1;
  b[at++] = pdu.esm_class;
  at += 2 + 2; // protocol_id, priority_flag, schedule_delivery_time "", validity_period ""
  at += 2; // registered_delivery, replace_if_present_flag
  b[at++] = pdu.data_coding;
  at++; // sm_default_msg_id
  b[at++] = pdu.short_message.length;
  pdu.short_message.copy(b, at);
  return b;
}

/** Send a request's bytes on a node-smpp session the way Session.send does: its next sequence number, its callback table. */
export function sendRequestBytes(session: Session, encode: (sequence: number) => Buffer, onResponse: (resp: PDU) => void): boolean {
  if (!session.socket.writable) return false;
  if (session.sequence === 0x7fffffff) session.sequence = 0;
  const sequence = ++session.sequence;
  session._callbacks[sequence] = onResponse;
  session.socket.write(encode(sequence));
  return true;
}
