/** Pintu's own encoders of the PDUs it writes per message give node-smpp's bytes (pdu-cases.json). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { responseBytes, smpp, submitSmBytes, type SubmitSm } from './smpp.js';

interface PduCases {
  responses: Array<{ label: string; command: string; status: number; sequence: number }>;
  submits: Array<{ label: string; sequence: number; pdu: Omit<SubmitSm, 'short_message'> & { short_message: string } }>;
}
const cases: PduCases = JSON.parse(readFileSync(new URL('./pdu-cases.json', import.meta.url), 'utf8'));

describe('responses to MO', () => {
  it.each(cases.responses)('$label', ({ command, status, sequence }) => {
    const request = new smpp.PDU(command, { sequence_number: sequence });
    const expected = request.response({ command_status: status }).toBuffer();
    expect(responseBytes(smpp.commands[command]!.id, status, sequence).toString('hex')).toBe(expected.toString('hex'));
  });
});

describe('submit_sm', () => {
  it.each(cases.submits)('$label', ({ sequence, pdu }) => {
    const fields = { ...pdu, short_message: Buffer.from(pdu.short_message, 'hex') };
    const expected = new smpp.PDU('submit_sm', { ...fields, sequence_number: sequence }).toBuffer();
    const ours = submitSmBytes(fields, sequence);
    expect(ours.toString('hex')).toBe(expected.toString('hex'));
    // And node-smpp reads it back as the same message.
    expect(smpp.PDU.fromBuffer(ours)).toMatchObject({ command: 'submit_sm', sequence_number: sequence, destination_addr: pdu.destination_addr, data_coding: pdu.data_coding });
  });
});
