/**
 * deliver_sm / data_sm → a message for `receiveSms`: receipts counted and acknowledged, text decoded
 * from short_message or message_payload, long SMS parts (UDH 8/16-bit, SAR TLVs) kept in Redis until
 * complete — or delivered partial once their time is up. Every path resolves only when what it
 * acknowledges is in Redis; a rejection makes the link answer 0x64.
 */
import { Counter } from 'prom-client';
import type { Metrics } from '../../src/metrics.js';
import { toE164 } from '../../src/phone.js';
import { cleanText, decodeText, splitUdh, validConcatenation, type Concatenation } from './codec.js';
import { messageDedupKey, messageIdFor, receiveSms, type InboundDeps } from './inbound.js';
import { assembleText, Reassembly, type Group } from './reassembly.js';
import { ESM, STATUS, type PDU } from './smpp.js';

const INVALID_SOURCE_ADDRESS = 0x000a;

export interface MoDeps extends InboundDeps { reassembly: Reassembly }

/** MO PDUs by kind: message, part, receipt, invalid. */
export function moCounter(metrics: Metrics): Counter<'kind'> {
  const name = 'pintu_sms_mo_pdus_total';
  return (metrics.registry.getSingleMetric(name) as Counter<'kind'> | undefined)
    ?? new Counter({ name, help: 'SMPP MO PDUs by kind (receipts are acknowledged, never complaints)', labelNames: ['kind'], registers: [metrics.registry] });
}

function sarConcatenation(pdu: PDU): Concatenation | null {
  if (pdu.sar_msg_ref_num === undefined) return null;
  return { scheme: 'sar', ref: pdu.sar_msg_ref_num, total: pdu.sar_total_segments ?? 0, seq: pdu.sar_segment_seqnum ?? 0 };
}

/** A group (complete, or partial when its time is up) becomes one message; then its parts are finished. */
export async function deliverGroup(deps: MoDeps, group: Group, partial: boolean): Promise<void> {
  const joined = assembleText(group, deps.config.SMPP_DC0);
  const dedupKey = `smpp:concat:${group.key}:${group.groupId}`;
  await receiveSms(deps, {
    from: group.from,
    to: group.to,
    text: joined.text,
    messageId: messageIdFor(dedupKey),
    receivedAt: new Date().toISOString(),
    extras: { transport: 'smpp', encoding: joined.encoding, parts: group.total, ...(joined.flags.length && { flags: joined.flags }), ...(partial && { partial: true, missingParts: joined.missing }) },
  }, dedupKey, 'smpp');
  await deps.reassembly.finish(group);
}

export function moHandler(deps: MoDeps): (pdu: PDU) => Promise<number> {
  const counted = moCounter(deps.pintu.metrics);
  return async (pdu) => {
    const esmClass: number = pdu.esm_class ?? 0;
    if (esmClass & ESM.TYPE_MASK) {
      counted.inc({ kind: 'receipt' });
      return STATUS.OK;
    }
    const from = String(pdu.source_addr ?? '');
    // An SMSC that leaves destination_addr empty is delivering to our own shortcode.
    const to = String(pdu.destination_addr ?? '') || deps.config.SMPP_SHORTCODE;
    const phone = toE164(from);
    if (!phone) {
      counted.inc({ kind: 'invalid' });
      return INVALID_SOURCE_ADDRESS;
    }
    const payload: Buffer = pdu.message_payload?.length ? pdu.message_payload : (pdu.short_message ?? Buffer.alloc(0));
    const dataCoding: number = pdu.data_coding ?? 0;
    const udh = esmClass & ESM.UDHI ? splitUdh(payload) : { body: payload, concat: null, flags: [] };
    const concat = validConcatenation(udh.concat) ? udh.concat : sarConcatenation(pdu);

    if (validConcatenation(concat)) {
      const key = Reassembly.groupKey(phone, to, concat);
      const added = await deps.reassembly.add(key, { from, to }, concat, { dataCoding, octets: udh.body });
      counted.inc({ kind: 'part' });
      if (added.state === 'complete') await deliverGroup(deps, added, false);
      return STATUS.OK;
    }

    const decoded = decodeText(udh.body, dataCoding, deps.config.SMPP_DC0);
    const flags = [...udh.flags, ...decoded.flags];
    const dedupKey = messageDedupKey('smpp', phone, to, cleanText(decoded.text));
    counted.inc({ kind: 'message' });
    const result = await receiveSms(deps, {
      from, to, text: decoded.text,
      messageId: messageIdFor(dedupKey),
      receivedAt: new Date().toISOString(),
      extras: { transport: 'smpp', encoding: decoded.encoding, ...(flags.length && { flags }) },
    }, dedupKey, 'smpp');
    return result.outcome === 'invalid' ? INVALID_SOURCE_ADDRESS : STATUS.OK;
  };
}

/** Deliver the groups whose time is up, partial; one that fails comes back after its lease. */
export function startPartialSweeper(deps: MoDeps, timeoutMs: number): { stop(): void } {
  const leaseMs = Math.max(10_000, timeoutMs);
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      for (const group of await deps.reassembly.claimDue(leaseMs)) {
        await deliverGroup(deps, group, true);
        deps.pintu.logger.warn({ parts: group.total, received: group.parts.length }, 'long sms incomplete after the timeout: delivered partial');
      }
    } catch (err) {
      deps.pintu.logger.warn({ err: (err as Error).message }, 'partial sms sweep failed; will retry');
    } finally {
      running = false;
    }
  }, Math.min(30_000, Math.max(100, timeoutMs / 4)));
  return { stop: () => clearInterval(timer) };
}
