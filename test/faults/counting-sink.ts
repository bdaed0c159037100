/**
 * The agency at the end of every fault scenario: a real HTTP server that keeps each complaint once by its
 * Idempotency-Key (what the delivery contract asks of agencies), counts every delivery, checks every
 * signature, and can be switched down (not listening) or failing (500).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sign } from '../../src/signed-http.js';

export type SinkMode = 'up' | 'failing' | 'down';

/** Which citizen message a delivered complaint came from: the marker the scenario put in its text. */
export const MARKER = /FT-[a-z0-9]+-\d+/i;
export const marker = (tag: string, n: number) => `FT-${tag}-${n}`;

export interface Tally {
  /** Citizen messages the scenario sent (and the channel acknowledged). */
  sent: number;
  /** Distinct complaints the agency keeps (distinct Idempotency-Keys) for those messages. */
  received: number;
  /** Distinct citizen messages among them. */
  unique: number;
  lost: number;
  /** Complaints beyond one per citizen message: the same message kept under two complaint ids. */
  duplicated: number;
  /** Deliveries of a complaint the agency already had (same Idempotency-Key; at-least-once, ignored by the agency). */
  redelivered: number;
  /** Complaints whose text carried no marker of this scenario (should never happen). */
  strays: number;
  badSignatures: number;
}

interface Kept { marker: string | null; deliveries: number }

export class CountingSink {
  mode: SinkMode = 'up';
  /** An agency that is slow: each request is worked on (kept, or refused) only after this long… */
  delayMs = 0;
  /** …plus up to this much more, at random (requests finish out of order). */
  jitterMs = 0;
  /** Deliveries answered 2xx, and answered 500 while failing. */
  deliveries = 0;
  refused = 0;
  badSignatures = 0;
  readonly kept = new Map<string, Kept>();
  private port = 0;

  private constructor(private readonly server: Server, readonly secret: string) {}

  static async start(secret: string): Promise<CountingSink> {
    let sink: CountingSink | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => setTimeout(() => sink!.receive(req.headers, Buffer.concat(chunks).toString('utf8'), (status) => res.writeHead(status, { 'content-type': 'application/json' }).end(`{"ok":${status < 300}}`)), sink!.delayMs + Math.random() * sink!.jitterMs));
    });
    sink = new CountingSink(server, secret);
    await sink.listen();
    return sink;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/lapor`;
  }

  private listen(): Promise<void> {
    return new Promise((ok, fail) => {
      this.server.once('error', fail);
      this.server.listen(this.port, '127.0.0.1', () => {
        this.server.off('error', fail);
        this.port = (this.server.address() as AddressInfo).port;
        ok();
      });
    });
  }

  private receive(headers: Record<string, string | string[] | undefined>, rawBody: string, answer: (status: number) => void): void {
    if (this.mode === 'failing') {
      this.refused++;
      return answer(500);
    }
    if (headers['x-pintu-signature'] !== sign(rawBody, this.secret)) {
      this.badSignatures++;
      return answer(401);
    }
    const key = String(headers['idempotency-key'] ?? '');
    const complaint = JSON.parse(rawBody).complaint as { id: string; text: string };
    if (complaint.id !== key) this.badSignatures++;
    this.deliveries++;
    const kept = this.kept.get(key) ?? { marker: MARKER.exec(complaint.text)?.[0] ?? null, deliveries: 0 };
    kept.deliveries++;
    this.kept.set(key, kept);
    answer(200);
  }

  /** Up (answering 200), failing (answering 500), or down (not listening: connections refused). */
  async setMode(mode: SinkMode): Promise<void> {
    const wasDown = this.mode === 'down';
    this.mode = mode;
    if (mode === 'down' && !wasDown) {
      await new Promise<void>((ok) => { this.server.close(() => ok()); this.server.closeAllConnections(); });
    } else if (mode !== 'down' && wasDown) {
      await this.listen();
    }
  }

  /** Messages of `sent` that reached the agency, counted by Idempotency-Key. */
  tally(sent: Iterable<string>): Tally {
    const expected = new Set(sent);
    const keysByMarker = new Map<string, number>();
    let strays = 0;
    let deliveries = 0;
    for (const { marker: m, deliveries: n } of this.kept.values()) {
      deliveries += n;
      if (!m || !expected.has(m)) { strays++; continue; }
      keysByMarker.set(m, (keysByMarker.get(m) ?? 0) + 1);
    }
    const received = [...keysByMarker.values()].reduce((a, b) => a + b, 0);
    const unique = keysByMarker.size;
    return {
      sent: expected.size, received, unique, lost: expected.size - unique, duplicated: received - unique,
      redelivered: deliveries - this.kept.size, strays, badSignatures: this.badSignatures,
    };
  }

  /** Markers of `sent` that never arrived (for the failure message). */
  missing(sent: Iterable<string>): string[] {
    const arrived = new Set([...this.kept.values()].map((k) => k.marker));
    return [...sent].filter((m) => !arrived.has(m));
  }

  async close(): Promise<void> {
    if (this.mode === 'down') return;
    this.server.closeAllConnections();
    await new Promise<void>((ok) => this.server.close(() => ok()));
  }
}
