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
