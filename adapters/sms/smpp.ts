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
