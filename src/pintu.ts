/** The running core every process role shares: config, Redis, routes, records, metrics, queues, intake, replies. */
import { clockSettings, type ClockSettings } from './clocks.js';
import type { Config } from './config.js';
import { loadHolidays } from './holidays.js';
import type { Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { connectRedis, warnIfNotDurable, type RedisClient } from './redis.js';
import { RouteRegistry } from './route-registry.js';
import { Shutdown } from './shutdown.js';
import { StatusStore } from './status.js';
import { TrackingNumbers } from './tracking.js';
import { Intake } from '../queues/intake.js';
import { ReplyOutbox } from '../queues/replies.js';
import { createQueues, type Queues } from '../queues/topology.js';
import { startWorkers, type Workers } from '../queues/workers.js';

export interface Pintu {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  redisUrl: string;
  metrics: Metrics;
  routes: RouteRegistry;
  status: StatusStore;
  queues: Queues;
  intake: Intake;
  replies: ReplyOutbox;
  /** The deadline clocks' durations and working-day calendar. */
  clocks: ClockSettings;
  workers: Workers | null;
  startWorkers(): Workers;
  /** Let in-flight jobs finish within the shutdown's time, then close the connections. */
  close(shutdown?: Shutdown): Promise<void>;
}

export async function createPintu(config: Config, logger: Logger, redisUrl: string): Promise<Pintu> {
  const redis = connectRedis(redisUrl, 'producer');
  const workerRedis = connectRedis(redisUrl, 'worker');
  for (const conn of [redis, workerRedis]) conn.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
  await workerRedis.ping();
  await warnIfNotDurable(workerRedis, logger);
  const clocks = clockSettings(config, loadHolidays(config.HOLIDAYS_FILE).calendar);
  const metrics = createMetrics();
  const routes = new RouteRegistry(workerRedis, config.PINTU_PREFIX, logger);
  await routes.start();
  const queues = createQueues(redis, config.PINTU_PREFIX, logger);
  const status = new StatusStore(redis, config.PINTU_PREFIX);
  const replies = new ReplyOutbox(redis, config.PINTU_PREFIX, logger, (channel, how) => metrics.replies.inc({ channel, how }));
  replies.start();
  const intake = new Intake(redis, routes, queues.delivery, new TrackingNumbers(redis, config.PINTU_PREFIX), replies, metrics, config);
  const pintu: Pintu = {
    config, logger, redis, redisUrl, metrics, routes, status, queues, intake, replies, clocks,
    workers: null,
    startWorkers() {
      pintu.workers = startWorkers({ connection: workerRedis, routes, status: new StatusStore(workerRedis, config.PINTU_PREFIX), metrics, config, logger, clocks });
      return pintu.workers;
    },
    async close(shutdown = new Shutdown(config.SHUTDOWN_TIMEOUT_MS, logger)) {
      const { workers } = pintu;
      if (workers) await shutdown.step('delivery worker (in-flight jobs)', () => workers.close());
      await shutdown.step('replies', () => replies.close());
      await routes.stop();
      await shutdown.step('queues', () => queues.close());
      redis.disconnect();
      workerRedis.disconnect();
    },
  };
  return pintu;
}
