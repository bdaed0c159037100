/**
 * One SMPP bind to the operator's SMSC, kept up: bind, answer the SMSC's enquire_link, send our own
 * with a watchdog, and on close / error / failed bind / silent link reconnect with capped exponential
 * backoff and jitter — each time with a fresh `smpp.connect()`, because a node-smpp session cannot
 * be reused and stops reading silently after a parse error.
 */
import type { Logger } from '../../src/logger.js';
import { responseBytes, sendRequestBytes, smpp, STATUS, submitSmBytes, type PDU, type Session, type SubmitSm } from './smpp.js';
import type { SmppEndpoint } from './config.js';

export type BindType = 'transceiver' | 'receiver' | 'transmitter';

export interface LinkOptions {
  endpoint: SmppEndpoint;
  bind: BindType;
  systemType: string;
  enquireLinkMs: number;
  /** No enquire_link_resp (or bind_resp) within this → the link is dead: reconnect. */
  responseTimeoutMs: number;
  reconnectMaxMs: number;
  /** Unanswered deliver_sm above which the socket is not read (TCP pushes back on the SMSC). */
  maxInFlight: number;
  logger: Logger;
  /** Handle one MO PDU (deliver_sm / data_sm); resolves to the command_status to answer with. */
  onMessage?: (pdu: PDU) => Promise<number>;
}

interface Connection {
  session: Session;
  /** Writes are being gathered for one system call (see corked()). */
  corked: boolean;
  bound: boolean;
  inFlight: number;
  /** Bind timeout, then the enquire_link interval and its watchdog. */
  timers: Set<NodeJS.Timeout>;
  /** Our requests still waiting for their response: failed at once when the link goes, not at their timeout. */
  pending: Set<(err: Error) => void>;
}

const RECONNECT_MIN_MS = 250;

function clearTimers(conn: Connection): void {
  for (const t of conn.timers) clearTimeout(t);
  conn.timers.clear();
}

/**
 * The session, with its socket corked until the event loop turns: the answers to one intake batch (and the replies
 * sent with them) are resolved together, and go out in one write instead of one system call each.
 */
function corked(conn: Connection): Session {
  if (!conn.corked) {
    conn.corked = true;
    conn.session.socket.cork();
    setImmediate(() => {
      conn.corked = false;
      conn.session.socket.uncork();
    });
  }
  return conn.session;
}

function failPending(conn: Connection, reason: string): void {
  for (const fail of conn.pending) fail(new Error(`smpp link closed (${reason}) before the response`));
  conn.pending.clear();
}

export class SmppLink {
  private current: Connection | null = null;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  /** Binds made since start, and times reading paused at the in-flight bound (reconnects and backpressure are visible). */
  binds = 0;
  pauses = 0;

  constructor(private readonly options: LinkOptions) {}

  get bound(): boolean {
    return !!this.current?.bound;
  }

  start(): void {
    this.connect();
  }

  private get log() {
    return this.options.logger;
  }

  private connect(): void {
    const { endpoint, bind } = this.options;
    const session = smpp.connect({ url: endpoint.url });
    const conn: Connection = { session, corked: false, bound: false, inFlight: 0, timers: new Set(), pending: new Set() };
    this.current = conn;
    const bindTimeout = setTimeout(() => this.drop(conn, 'no bind_resp in time'), this.options.responseTimeoutMs + 5000);
    conn.timers.add(bindTimeout);
    session.on(endpoint.tls ? 'secureConnect' : 'connect', () => {
      const bindFn = bind === 'transceiver' ? session.bind_transceiver : bind === 'receiver' ? session.bind_receiver : session.bind_transmitter;
      bindFn.call(session, { system_id: endpoint.systemId, password: endpoint.password, system_type: this.options.systemType }, (resp) => {
        if (resp.command_status !== STATUS.OK) return this.drop(conn, `bind refused with status 0x${resp.command_status.toString(16)}`);
        conn.bound = true;
        this.attempt = 0;
        this.binds++;
        clearTimeout(bindTimeout);
        conn.timers.delete(bindTimeout);
        conn.timers.add(setInterval(() => this.enquireLink(conn), this.options.enquireLinkMs));
        this.log.info({ bind, smsc: endpoint.url }, 'smpp bound');
      });
    });
    session.on('pdu', (pdu: PDU) => this.onPdu(conn, pdu));
    // node-smpp stops reading after a parse error and reports it here: the session is done for.
    session.on('error', (err: Error) => this.drop(conn, `socket error: ${err.message}`));
    session.on('close', () => this.drop(conn, 'connection closed'));
  }

  private enquireLink(conn: Connection): void {
    const watchdog = setTimeout(() => this.drop(conn, 'no enquire_link_resp in time'), this.options.responseTimeoutMs);
    conn.timers.add(watchdog);
    conn.session.enquire_link({}, () => { clearTimeout(watchdog); conn.timers.delete(watchdog); });
  }

  private onPdu(conn: Connection, pdu: PDU): void {
    if (pdu.isResponse()) return;
    const { session } = conn;
    switch (pdu.command) {
      case 'enquire_link':
        session.send(pdu.response());
        return;
      case 'deliver_sm':
      case 'data_sm':
        void this.answerMessage(conn, pdu);
        return;
      case 'unbind':
        session.send(pdu.response());
        this.drop(conn, 'the SMSC unbound');
        return;
      case 'alert_notification':
        return;
      default:
        session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number, command_status: STATUS.INVALID_COMMAND }));
    }
  }

  /** At-least-once: the resp goes out only after the handler kept the message (or refuses it). */
  private async answerMessage(conn: Connection, pdu: PDU): Promise<void> {
    const { session } = conn;
    conn.inFlight++;
    if (conn.inFlight >= this.options.maxInFlight && !session.paused) {
      session.pause();
      this.pauses++;
    }
    let status: number;
    try {
      status = this.options.onMessage ? await this.options.onMessage(pdu) : STATUS.RX_T_APPN;
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'mo message not kept; answering 0x64 so the SMSC retries');
      status = STATUS.RX_T_APPN;
    }
    corked(conn).socket.write(responseBytes(pdu.command_id, status, pdu.sequence_number));
    conn.inFlight--;
    if (session.paused && conn.inFlight < this.options.maxInFlight && conn === this.current) session.resume();
  }

  /** Send a submit_sm on the bound session and wait for its response. */
  async submit(pdu: SubmitSm, timeoutMs = this.options.responseTimeoutMs): Promise<PDU> {
    const conn = this.current;
    if (!conn?.bound || this.stopping) throw new Error(this.stopping ? 'smpp link is stopping' : 'smpp link is not bound');
    return new Promise((ok, fail) => {
      const settle = () => { clearTimeout(timer); conn.pending.delete(failNow); };
      const failNow = (err: Error) => { settle(); fail(err); };
      const timer = setTimeout(() => failNow(new Error(`no submit_sm_resp within ${timeoutMs} ms`)), timeoutMs);
      conn.pending.add(failNow);
      const sent = sendRequestBytes(corked(conn), (sequence) => submitSmBytes(pdu, sequence), (resp) => { settle(); ok(resp); });
      if (!sent) failNow(new Error('smpp socket is not writable'));
    });
  }

  private drop(conn: Connection, reason: string): void {
    clearTimers(conn);
    conn.session.destroy();
    failPending(conn, reason);
    if (conn !== this.current) return;
    this.current = null;
    if (this.stopping) return;
    // Capped exponential backoff with jitter, so many gateways do not reconnect in step.
    const ceiling = Math.min(this.options.reconnectMaxMs, RECONNECT_MIN_MS * 2 ** this.attempt++);
    const delay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    this.log.warn({ reason, bind: this.options.bind, retryInMs: delay }, 'smpp link down; reconnecting');
    this.reconnectTimer = setTimeout(() => { this.reconnectTimer = null; this.connect(); }, delay);
  }

  /** Let in-flight messages be answered, unbind, close. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const conn = this.current;
    if (!conn) return;
    clearTimers(conn);
    const deadline = Date.now() + 5000;
    while (conn.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (conn.bound) {
      await new Promise<void>((ok) => {
        const timer = setTimeout(ok, 2000);
        const sent = conn.session.unbind({}, () => { clearTimeout(timer); ok(); });
        if (!sent) { clearTimeout(timer); ok(); }
      });
    }
    await new Promise<void>((ok) => { conn.session.close(ok); setTimeout(ok, 1000).unref(); });
    this.current = null;
    conn.session.destroy();
    failPending(conn, 'stopped');
  }
}
