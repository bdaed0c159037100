/**
 * An SMSC simulator on real TCP, built on the same `smpp` package: accepts binds, answers
 * enquire_link and submit_sm (reassembling concatenated MT replies), and delivers MO with a real
 * SMSC's at-least-once behaviour — a deliver_sm not answered 0 (or not answered at all) is sent again.
 * Switches let a test mute enquire_link or submit_sm answers, or drop every link.
 */
import type { AddressInfo } from 'node:net';
import { decodeText, splitUdh, validConcatenation } from '../codec.js';
import { smpp, ESM, STATUS, type PDU, type Server, type Session } from '../smpp.js';
import type { MoParams } from './messages.js';

export interface SmscOptions {
  port?: number;
  host?: string;
  /** When set, binds must carry these credentials. */
  systemId?: string;
  password?: string;
  /** Wait before retransmitting a deliver_sm that was refused or not answered. */
  retryDelayMs?: number;
  respTimeoutMs?: number;
  maxAttempts?: number;
  log?: (line: string) => void;
}

export interface MtMessage { from: string; to: string; text: string; dataCoding: number; parts: number; at: string }

/** An ESME's answer to one deliver_sm: its command_status, none in time, or none because its link went down first. */
export type Answer = number | 'timeout' | 'link-lost';

export interface DeliveryResult {
  /** The answer to every attempt, in order. */
  attempts: Answer[];
  ok: boolean;
  /** From the last send to its successful answer. */
  ackMs: number;
}

interface Bound { session: Session; systemId: string; bind: string }

export class Smsc {
  readonly mt: MtMessage[] = [];
  readonly bound: Bound[] = [];
  /** Every bind accepted since start (reconnects show up here). */
  binds = 0;
  enquireLinks = 0;
  unbinds = 0;
  /** The ESME's answer to every deliver_sm attempt, in order. */
  readonly answers: Answer[] = [];
  /** Called with each answer as it is recorded, in the same tick (a test can act at an exact point of a burst). */
  onAnswer: ((answer: Answer) => void) | null = null;
  private paused: Promise<void> | null = null;
  private resumePaused: (() => void) | null = null;
  answerEnquireLink = true;
  /** Off: submit_sm are taken (counted in `submits`) but never answered, like an SMSC that stalls. */
  answerSubmits = true;

  submits = 0;
  private readonly mtParts = new Map<string, Map<number, Buffer>>();
  /** deliver_sm waiting for an answer, per session: a closed link sends them again at once, as an SMSC does. */
  private readonly unanswered = new Map<Session, Set<() => void>>();
  private messageIds = 0;
  private rr = 0;

  private constructor(private readonly server: Server, private readonly options: SmscOptions) {}

  static async start(options: SmscOptions = {}): Promise<Smsc> {
    let smsc: Smsc | undefined;
    const server = smpp.createServer({}, (session) => smsc!.accept(session));
    smsc = new Smsc(server, options);
    await new Promise<void>((ok, fail) => { server.once('error', fail); server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => ok()); });
    return smsc;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `smpp://${this.options.systemId ?? 'pintu'}:${this.options.password ?? 'secret'}@127.0.0.1:${this.port}`;
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  private accept(session: Session): void {
    session.on('error', () => {});
    session.on('close', () => {
      const i = this.bound.findIndex((b) => b.session === session);
      if (i >= 0) this.bound.splice(i, 1);
      for (const lost of this.unanswered.get(session) ?? []) lost();
      this.unanswered.delete(session);
    });
    session.on('pdu', (pdu: PDU) => {
      if (pdu.isResponse()) return;
      switch (pdu.command) {
        case 'bind_transceiver':
        case 'bind_receiver':
        case 'bind_transmitter': {
          const { systemId, password } = this.options;
          if ((systemId && pdu.system_id !== systemId) || (password && pdu.password !== password)) {
            session.send(pdu.response({ command_status: STATUS.INVALID_PASSWORD }));
            return;
          }
          const bind = pdu.command.slice('bind_'.length);
          this.bound.push({ session, systemId: pdu.system_id, bind });
          this.binds++;
          session.send(pdu.response({ system_id: 'smsc-sim' }));
          this.log(`bind ${bind} from ${pdu.system_id}`);
          return;
        }
        case 'enquire_link':
          this.enquireLinks++;
          if (this.answerEnquireLink) session.send(pdu.response());
          return;
        case 'submit_sm':
          this.submits++;
          if (!this.answerSubmits) return;
          session.send(pdu.response({ message_id: `sim-${++this.messageIds}` }));
          this.receiveMt(pdu);
          return;
        case 'unbind':
          this.unbinds++;
          this.log('unbind');
          session.send(pdu.response());
          session.close();
          return;
        default:
          session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number, command_status: STATUS.INVALID_COMMAND }));
      }
    });
  }

  private receiveMt(pdu: PDU): void {
    const octets: Buffer = pdu.message_payload ?? pdu.short_message ?? Buffer.alloc(0);
    const { body, concat } = (pdu.esm_class ?? 0) & ESM.UDHI ? splitUdh(octets) : { body: octets, concat: null };
    let whole = body;
    let parts = 1;
    if (validConcatenation(concat)) {
      const key = `${pdu.destination_addr}|${concat.ref}|${concat.total}`;
      const got = this.mtParts.get(key) ?? new Map<number, Buffer>();
      this.mtParts.set(key, got.set(concat.seq, body));
      if (got.size < concat.total) return;
      this.mtParts.delete(key);
      whole = Buffer.concat([...got.entries()].sort(([a], [b]) => a - b).map(([, b]) => b));
      parts = concat.total;
    }
    const message: MtMessage = { from: pdu.source_addr, to: pdu.destination_addr, text: decodeText(whole, pdu.data_coding ?? 0).text, dataCoding: pdu.data_coding ?? 0, parts, at: new Date().toISOString() };
    this.mt.push(message);
    this.log(`MT ${message.from} → ${message.to} (${parts} part${parts > 1 ? 's' : ''}, dc ${message.dataCoding}): ${message.text}`);
  }

  /** A bound session that takes MO (receiver or transceiver), waiting for one to bind. */
  private async moSession(deadline: number): Promise<Session | null> {
    for (;;) {
      const candidates = this.bound.filter((b) => b.bind !== 'transmitter' && b.session.socket.writable);
      if (candidates.length) return candidates[this.rr++ % candidates.length]!.session;
      if (Date.now() > deadline) return null;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private sendOnce(session: Session, params: MoParams, timeoutMs: number): Promise<Answer> {
    return new Promise((ok) => {
      const waiting = this.unanswered.get(session) ?? new Set<() => void>();
      this.unanswered.set(session, waiting);
      const answer = (status: Answer) => { clearTimeout(timer); waiting.delete(lost); ok(status); };
      const lost = () => answer('link-lost');
      const timer = setTimeout(() => answer('timeout'), timeoutMs);
      waiting.add(lost);
      const sent = session.send(new smpp.PDU('deliver_sm', params), (resp) => answer(resp.command_status));
      if (!sent) lost();
    });
  }

  /** Hold every new deliver_sm attempt (retries included) until resume(); those already sent are answered as usual. */
  pause(): void {
    this.paused ??= new Promise((ok) => { this.resumePaused = ok; });
  }

  resume(): void {
    this.resumePaused?.();
    this.paused = this.resumePaused = null;
  }

  /** Deliver one MO PDU until the ESME answers 0 (or the attempts run out). */
  async deliver(params: MoParams): Promise<DeliveryResult> {
    const { retryDelayMs = 200, respTimeoutMs = 5000, maxAttempts = 50 } = this.options;
    const attempts: DeliveryResult['attempts'] = [];
    while (attempts.length < maxAttempts) {
      if (this.paused) await this.paused;
      const session = await this.moSession(Date.now() + respTimeoutMs);
      const started = performance.now();
      const status = session ? await this.sendOnce(session, params, respTimeoutMs) : 'timeout';
      attempts.push(status);
      this.answers.push(status);
      this.onAnswer?.(status);
      if (status === STATUS.OK) return { attempts, ok: true, ackMs: performance.now() - started };
      await new Promise((r) => setTimeout(r, retryDelayMs));
    }
    return { attempts, ok: false, ackMs: NaN };
  }

  /** Deliver PDUs one after another (the parts of a long message, in the order given). */
  async deliverAll(list: MoParams[]): Promise<DeliveryResult[]> {
    const results: DeliveryResult[] = [];
    for (const params of list) results.push(await this.deliver(params));
    return results;
  }

  /** Deliver many with at most `window` unanswered at once (as an SMSC's window does). */
  async burst(list: MoParams[], window: number): Promise<DeliveryResult[]> {
    const results: DeliveryResult[] = new Array(list.length);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(window, list.length) }, async () => {
      while (next < list.length) {
        const i = next++;
        results[i] = await this.deliver(list[i]!);
      }
    }));
    return results;
  }

  /** Ask every bound ESME enquire_link; their answers' statuses. */
  async enquireLinkAll(timeoutMs = 2000): Promise<Array<number | 'timeout'>> {
    return Promise.all(this.bound.map(({ session }) => new Promise<number | 'timeout'>((ok) => {
      const timer = setTimeout(() => ok('timeout'), timeoutMs);
      session.send(new smpp.PDU('enquire_link', {}), (resp) => { clearTimeout(timer); ok(resp.command_status); });
    })));
  }

  /**
   * Write raw bytes (a broken or hostile PDU) on an MO link. Resolves to the response that carries the
   * bytes' sequence number (a generic_nack included), or what happened instead.
   */
  async sendRaw(octets: Buffer, timeoutMs = 2000): Promise<PDU | 'timeout' | 'link-lost'> {
    const session = await this.moSession(Date.now() + timeoutMs);
    if (!session) return 'link-lost';
    const sequence = octets.length >= 16 ? octets.readUInt32BE(12) : null;
    return new Promise((ok) => {
      const done = (result: PDU | 'timeout' | 'link-lost') => { clearTimeout(timer); session.off('pdu', onPdu); session.off('close', onClose); ok(result); };
      const onPdu = (pdu: PDU) => { if (pdu.isResponse() && pdu.sequence_number === sequence) done(pdu); };
      const onClose = () => done('link-lost');
      const timer = setTimeout(() => done('timeout'), timeoutMs);
      session.on('pdu', onPdu);
      session.once('close', onClose);
      session.socket.write(octets);
    });
  }

  /** Send bytes that are no PDU (a length over the limit): node-smpp on the other side stops parsing. */
  sendGarbage(): void {
    for (const { session } of this.bound) session.socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
  }

  /**
   * Stop reading every link: whatever the ESME answers stays unread. Releasing with `drop` cuts the links without
   * reading it (the unread answers are lost, the messages sent again); otherwise reading resumes.
   */
  holdAnswers(): void {
    for (const { session } of this.bound) { session.pause(); session.socket.pause(); }
  }

  releaseAnswers(drop: boolean): void {
    if (drop) return this.dropLinks();
    for (const { session } of this.bound) { session.socket.resume(); session.resume(); }
  }

  /** Cut every link, as a network failure or SMSC restart would. */
  dropLinks(): void {
    for (const { session } of [...this.bound]) session.destroy();
  }

  async close(): Promise<void> {
    this.dropLinks();
    for (const session of this.server.sessions) session.destroy();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}
