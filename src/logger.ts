/** pino JSON logs; citizens' identities and secrets never reach them. */
import { pino, type Logger } from 'pino';

/** Paths redacted wherever they appear (complaints, requests, jobs); `reporter` holds names. */
const REDACT_PATHS = [
  'phone', 'email', 'secret', 'password', 'token', 'from', 'msisdn', 'source_addr',
  '*.phone', '*.email', '*.secret', '*.password', '*.token', '*.from', '*.msisdn', '*.source_addr',
  '*.*.phone', '*.*.email', '*.*.secret', '*.*.from', '*.*.msisdn', '*.*.source_addr',
  'req.headers.authorization', 'req.headers.cookie', 'req.headers["x-pintu-signature"]',
  'reporter', '*.reporter', '*.*.reporter',
];

export type { Logger };

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'pintu' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger, made only when the request logs something. Most requests log nothing at the
 * production level, and a redacting pino child per request was a measurable share of a web complaint's CPU.
 */
class LazyChildLogger {
  private real: Logger | undefined;
  constructor(private readonly parent: Logger, private readonly bindings: pino.Bindings, private readonly options: pino.ChildLoggerOptions) {}
  private get logger(): Logger { return (this.real ??= this.parent.child(this.bindings, this.options)); }
  private write(level: Level, args: unknown[]): void {
    if (this.isLevelEnabled(level)) (this.logger[level] as (...a: unknown[]) => void)(...args);
  }
  /** As the child would have it: its own level (e.g. a route's `logLevel`) when given, else the parent's. */
  get level(): string { return this.real?.level ?? this.options.level ?? this.parent.level; }
  set level(level: string) { this.logger.level = level; }
  isLevelEnabled(level: string): boolean {
    if (this.real || !this.options.level) return (this.real ?? this.parent).isLevelEnabled(level);
    const { values } = this.parent.levels;
    return values[level]! >= values[this.options.level]!;
  }
  child(bindings: pino.Bindings, options?: pino.ChildLoggerOptions): Logger { return this.logger.child(bindings, options); }
  silent(): void {}
  fatal(...args: unknown[]): void { this.write('fatal', args); }
  error(...args: unknown[]): void { this.write('error', args); }
  warn(...args: unknown[]): void { this.write('warn', args); }
  info(...args: unknown[]): void { this.write('info', args); }
  debug(...args: unknown[]): void { this.write('debug', args); }
  trace(...args: unknown[]): void { this.write('trace', args); }
}

export function lazyChildLogger(parent: Logger, bindings: pino.Bindings, options: pino.ChildLoggerOptions): Logger {
  return new LazyChildLogger(parent, bindings, options) as unknown as Logger;
}
