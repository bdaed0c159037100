/** Just the parts of the untyped `smpp` package (0.5.1) that Pintu and its SMSC simulator use. */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  /** A decoded PDU: header fields plus whatever mandatory parameters and TLVs the command carries. */
  export interface PDU {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [field: string]: any;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): PDU;
  }

  export const PDU: {
    new (command: string, options?: Record<string, unknown>): PDU;
    fromBuffer(buffer: Buffer): PDU;
  };

  export interface Session extends EventEmitter {
    socket: Socket;
    paused: boolean;
    /** The last sequence number it used, and the callbacks waiting for responses by sequence number. */
    sequence: number;
    _callbacks: Record<number, (resp: PDU) => void>;
    send(pdu: PDU, responseCallback?: (resp: PDU) => void, sendCallback?: (pdu: PDU) => void): boolean;
    pause(): void;
    resume(): void;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    bind_transceiver(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    bind_receiver(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    bind_transmitter(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    enquire_link(options?: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    unbind(options?: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    submit_sm(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
    deliver_sm(options: Record<string, unknown>, responseCallback?: (resp: PDU) => void): boolean;
  }

  export interface Server extends NetServer {
    sessions: Session[];
  }

  export interface CommandDefinition { id: number; params?: Record<string, { type: unknown; filter?: unknown; default?: unknown }>; tlvMap?: Record<string, string> }
  export interface TlvDefinition { id: number; type: unknown; filter?: unknown; multiple?: boolean }

  export function connect(options: { url: string; auto_enquire_link_period?: number; connectTimeout?: number; rejectUnauthorized?: boolean }, listener?: () => void): Session;
  export function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
  export function addCommand(command: string, options: CommandDefinition): void;
  export function addTLV(tag: string, options: TlvDefinition): void;

  export const commands: Record<string, CommandDefinition>;
  export const tlvs: Record<string, TlvDefinition>;
  export const types: Record<string, unknown>;
  export const errors: Record<string, number>;

  const smpp: {
    PDU: typeof PDU;
    connect: typeof connect;
    createServer: typeof createServer;
    addCommand: typeof addCommand;
    addTLV: typeof addTLV;
    commands: typeof commands;
    tlvs: typeof tlvs;
    types: typeof types;
    errors: typeof errors;
  };
  export default smpp;
}
