/**
 * Stopping in bounded time. Every step of a shutdown shares one deadline; a step still running when its
 * time is up is named in the log and left behind, and the next step runs. Nothing accepted is lost by
 * that: a job whose worker stops mid-way is in Redis and runs again on another worker (or this one,
 * restarted). Client libraries can hang on close (BullMQ waits for an ioredis 'end' event that a
 * connection in some states never emits, and its forced close returns the same pending promise).
 */
import type { FastifyInstance } from 'fastify';
import type { StartedSession } from './channel.js';
import type { Logger } from './logger.js';
import type { Pintu } from './pintu.js';

/** A step that starts after the deadline still gets this long: enough to close sockets that answer. */
const LATE_STEP_MS = 1000;

export class Shutdown {
  private readonly deadline: number;

  constructor(budgetMs: number, private readonly logger: Logger) {
    this.deadline = Date.now() + budgetMs;
  }

  /** The step's time: what is left of the deadline, at least LATE_STEP_MS. */
  private timeLeft(): number {
    return Math.max(LATE_STEP_MS, this.deadline - Date.now());
  }

  /** Run one step within its time. Resolves true when it finished, false when it failed or overran. */
  async step(name: string, run: () => Promise<unknown>): Promise<boolean> {
    const waitMs = this.timeLeft();
    let timer: NodeJS.Timeout | undefined;
    const overran = new Promise<'overran'>((ok) => { timer = setTimeout(() => ok('overran'), waitMs); });
    const outcome = await Promise.race([
      run().then(() => 'done' as const, (err: unknown) => err as Error),
      overran,
    ]);
    clearTimeout(timer);
    if (outcome === 'done') return true;
    if (outcome === 'overran') this.logger.warn({ step: name, waitedMs: waitMs }, 'shutdown: a step did not finish in time; going on without it');
    else this.logger.warn({ step: name, err: outcome.message }, 'shutdown: a step failed; going on');
    return false;
  }
}

/** What a running gateway process holds, in the order it is stopped: intake first, then channels, then workers. */
export interface Running {
  app: FastifyInstance | null;
  sessions: StartedSession[];
  pintu: Pintu;
}

export async function stopGateway({ app, sessions, pintu }: Running, shutdown: Shutdown): Promise<void> {
  if (app) await shutdown.step('HTTP server', () => app.close());
  await Promise.all(sessions.map(({ channel, session }) => shutdown.step(`${channel} channel`, () => session.stop())));
  await pintu.close(shutdown);
}
