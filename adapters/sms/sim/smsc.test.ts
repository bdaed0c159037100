/** The SMSC simulator's own behaviour that the fault suite relies on, against bare ESMEs over real TCP. */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../../test/helpers/gateway.js';
import { smpp, STATUS, type PDU, type Session } from '../smpp.js';
import { singleMo } from './messages.js';
import { Smsc } from './smsc.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

/** A bare transceiver; `onPdu` decides what it does with each request the SMSC sends. */
async function esme(smsc: Smsc, onPdu: (session: Session, pdu: PDU) => void): Promise<Session> {
  const session = smpp.connect({ url: `smpp://127.0.0.1:${smsc.port}` });
  session.on('error', () => {});
  session.on('pdu', (pdu: PDU) => { if (!pdu.isResponse()) onPdu(session, pdu); });
  await new Promise<void>((ok) => session.on('connect', () => session.bind_transceiver({ system_id: 'pintu', password: 'secret' }, () => ok())));
  cleanups.push(() => session.destroy());
  return session;
}

async function simulator(): Promise<Smsc> {
  // Timeouts far longer than the test: what is asserted must come from the link going down.
  const smsc = await Smsc.start({ respTimeoutMs: 120_000, retryDelayMs: 10 });
  cleanups.push(() => smsc.close());
  return smsc;
}

describe('SMSC simulator', () => {
  it('sends an unanswered deliver_sm again as soon as the link that had it goes down', async () => {
    const smsc = await simulator();
    const unanswered: PDU[] = [];
    const silent = await esme(smsc, (_session, pdu) => unanswered.push(pdu));
    const delivery = smsc.deliver(singleMo('081234567890', '1708', 'PekalonganKota jalan rusak'));
    await eventually(() => unanswered.length === 1);
    await esme(smsc, (session, pdu) => session.send(pdu.response()));
    silent.destroy();
    const result = await delivery;
    expect(result.attempts).toEqual(['link-lost', STATUS.OK]);
  });

  it('writes raw bytes and returns the answer that carries their sequence number', async () => {
    const smsc = await simulator();
    await esme(smsc, (session, pdu) => session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number, command_status: STATUS.INVALID_COMMAND })));
    const unknownCommand = Buffer.from('00000010' + '000000ff' + '00000000' + '0000abcd', 'hex');
    const answer = await smsc.sendRaw(unknownCommand);
    expect(answer).not.toBeTypeOf('string');
    expect([(answer as PDU).command, (answer as PDU).command_status, (answer as PDU).sequence_number]).toEqual(['generic_nack', STATUS.INVALID_COMMAND, 0xabcd]);
  });
});
