/** The contract every channel adapter (adapters/<channel>/) follows. */
import type { FastifyPluginAsync } from 'fastify';
import type { Pintu } from './pintu.js';

export interface ChannelSession { stop(): Promise<void> }

export interface ChannelAdapter {
  name: string;
  /** HTTP routes of the channel, registered as an encapsulated fastify plugin. */
  http?: FastifyPluginAsync<{ pintu: Pintu }>;
  /** Long-lived sessions (SMPP binds, pollers); absent configuration → the channel says so and stays off. */
  start?(pintu: Pintu): Promise<ChannelSession | null>;
}
