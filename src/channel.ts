/** The contract every channel adapter (adapters/<channel>/) follows. */
import type { FastifyPluginAsync } from 'fastify';
import type { Pintu } from './pintu.js';

export interface ChannelSession { stop(): Promise<void> }

/**
 * A command of the channel's own, run as `pintu <channel name> ARGS…` (the core CLI knows no channel: it finds the
 * command by the channel's name). For operator tasks that need no running gateway, e.g. making a client's key.
 */
export interface ChannelCommand {
  /** What follows `pintu <channel name>`, and what it does: one line of the CLI's usage. */
  usage: string;
  /** Returns the exit code; throws with a one-line message on wrong arguments. */
  run(args: string[]): Promise<number> | number;
}

export interface ChannelAdapter {
  name: string;
  /** HTTP routes of the channel, registered as an encapsulated fastify plugin. */
  http?: FastifyPluginAsync<{ pintu: Pintu }>;
  /** Long-lived sessions (SMPP binds, pollers); absent configuration → the channel says so and stays off. */
  start?(pintu: Pintu): Promise<ChannelSession | null>;
  command?: ChannelCommand;
}

/** A running channel session with its channel's name, so a shutdown can say which one it waits for. */
export interface StartedSession { channel: string; session: ChannelSession }

/** Start the channels' long-lived sessions, one after the other; channels without one are skipped. */
export async function startSessions(channels: ChannelAdapter[], pintu: Pintu): Promise<StartedSession[]> {
  const sessions: StartedSession[] = [];
  for (const channel of channels) {
    const session = await channel.start?.(pintu);
    if (session) sessions.push({ channel: channel.name, session });
  }
  return sessions;
}
