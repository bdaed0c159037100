import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, lazyChildLogger } from '../src/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(chunk.toString()); done(); } });
  return { logger: createLogger('info', stream), lines };
}

describe('logs', () => {
  it('are JSON and never carry a reporter identity, a phone number or a secret', () => {
    const { logger, lines } = capture();
    logger.info({ complaint: { trackingId: 'ABCD2345', reporter: { name: 'Siti Aminah', phone: '+6281234567890', email: 'siti@example.org', anonymous: false } } }, 'accepted');
    logger.info({ from: '+6281234567890', msisdn: '6281234567890', source_addr: '081234567890' }, 'sms in');
    logger.info({ route: { code: '33.75', name: 'Kota Pekalongan', destination: { url: 'https://agency.example', secret: 'super-secret-value' } } }, 'route changed');
    const text = lines.join('');
    for (const secret of ['Siti', '81234567890', 'siti@example.org', 'super-secret-value']) expect(text).not.toContain(secret);
    // What operators need stays readable.
    expect(text).toContain('ABCD2345');
    expect(text).toContain('Kota Pekalongan');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('make a request logger only when the request logs, with its request id and the same redaction', () => {
    const { logger, lines } = capture();
    const parent = logger.child({ role: 'serve' });
    let children = 0;
    const counting = Object.assign(Object.create(parent), { child: (...args: Parameters<typeof parent.child>) => { children++; return parent.child(...args); } });
    const quiet = lazyChildLogger(counting, { reqId: 'req-1' }, {});
    quiet.debug({ phone: '+6281234567890' }, 'below the level');
    expect(quiet.level).toBe('info');
    expect(children).toBe(0);
    expect(lines).toEqual([]);

    const loud = lazyChildLogger(counting, { reqId: 'req-2' }, {});
    loud.error({ phone: '+6281234567890', complaint: { trackingId: 'ABCD2345' } }, 'could not queue');
    loud.warn('again');
    expect(children).toBe(1);
    const [first, second] = lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({ level: 50, role: 'serve', reqId: 'req-2', phone: '[redacted]', complaint: { trackingId: 'ABCD2345' }, msg: 'could not queue' });
    expect(second).toMatchObject({ level: 40, reqId: 'req-2', msg: 'again' });

    // A request logger with its own level (a route's logLevel) follows it, not the parent's.
    const verbose = lazyChildLogger(counting, { reqId: 'req-3' }, { level: 'debug' });
    expect(verbose.level).toBe('debug');
    verbose.debug('route detail');
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ level: 20, reqId: 'req-3', msg: 'route detail' });
    const terse = lazyChildLogger(counting, { reqId: 'req-4' }, { level: 'error' });
    terse.warn('below this route');
    expect(lines).toHaveLength(3);
  });
});
