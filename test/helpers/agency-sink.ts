/** A real HTTP "agency" that records what Pintu delivers and answers as scripted. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface Delivery { headers: IncomingHttpHeaders; rawBody: string; body: any; status: number }

export interface AgencySink {
  url: string;
  received: Delivery[];
  /** performance.now() of the last request received. */
  lastReceivedAt: number;
  /** Status codes to answer, in order; after they run out, `fallback`. */
  script: number[];
  fallback: number;
  /** Milliseconds to wait before answering (an agency that is slow, not down). */
  delayMs: number;
  /** The JSON to answer a delivery with (an agency's ticket number, say); default `{"ok": …}`. */
  answer?: (delivery: Delivery) => unknown;
  /** When set, a GET is answered 200 text/plain with this text (the reply body Kannel's get-url sends back as an SMS). */
  replyText?: (query: URLSearchParams) => string;
  close(): Promise<void>;
}

export async function startAgencySink(script: number[] = [], fallback = 200): Promise<AgencySink> {
  const sink: AgencySink = { url: '', received: [], lastReceivedAt: 0, script: [...script], fallback, delayMs: 0, close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      sink.lastReceivedAt = performance.now();
      const rawBody = Buffer.concat(chunks).toString('utf8');
      if (req.method === 'GET' && sink.replyText) {
        const query = new URL(req.url ?? '/', 'http://sink').searchParams;
        sink.received.push({ headers: req.headers, rawBody: '', body: Object.fromEntries(query), status: 200 });
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(sink.replyText(query));
        return;
      }
      const status = sink.script.length ? sink.script.shift()! : sink.fallback;
      let body: unknown;
      try { body = JSON.parse(rawBody); } catch { body = undefined; }
      const delivery = { headers: req.headers, rawBody, body, status };
      sink.received.push(delivery);
      const answer = JSON.stringify(sink.answer?.(delivery) ?? { ok: status < 300 });
      setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(answer), sink.delayMs);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  sink.url = `http://127.0.0.1:${port}/lapor`;
  sink.close = () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); });
  return sink;
}
