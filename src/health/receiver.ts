// The health role's UDP receiver: verifies each datagram (size, HMAC, shape), refuses
// replays, and hands accepted heartbeats on. Nothing a packet carries can throw out of here:
// every refusal is counted by reason and logged at debug level (a flood must not flood the log).
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { HeartbeatRefused, MAX_HEARTBEAT_BYTES, openHeartbeat } from '../amphora/heartbeat.ts';
import type { Heartbeat, RefusalReason } from '../amphora/heartbeat.ts';

export type DropReason = RefusalReason | 'replayed' | 'stale' | 'handler_failed';

export interface ReceiverCounters {
  received: number;
  accepted: number;
  dropped: Record<DropReason, number>;
}

export interface ReceiverOptions {
  listen: { host: string; port: number };
  key: string;
  log: Logger;
  /** Datagrams larger than this are dropped unread. */
  maxBytes?: number;
  /**
   * How old (or how far ahead of this clock) a packet may be when no newer one from its
   * amphora has been seen (after this receiver starts); later, `seq` alone decides.
   */
  maxAgeMs?: number;
  now?: () => number;
}

export type HeartbeatHandler = (beat: Heartbeat, receivedAt: number) => void | Promise<void>;

export class HeartbeatReceiver {
  readonly counters: ReceiverCounters = {
    received: 0, accepted: 0,
    dropped: { oversized: 0, unsigned: 0, bad_signature: 0, malformed: 0, replayed: 0, stale: 0, handler_failed: 0 },
  };
  private readonly lastSeq = new Map<string, number>();
  private socket: Socket | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: ReceiverOptions, private readonly handler: HeartbeatHandler) {
    this.now = opts.now ?? Date.now;
  }

  async start(): Promise<{ host: string; port: number }> {
    const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
    socket.on('message', (msg) => void this.receive(msg));
    socket.on('error', (err) => this.opts.log.error({ event: 'health.receiver.error', error: err.message }));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.listen.port, this.opts.listen.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    return this.address()!;
  }

  address(): { host: string; port: number } | undefined {
    const a = this.socket?.address() as AddressInfo | undefined;
    return a && { host: a.address, port: a.port };
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((r) => socket.close(() => r()));
  }

  /** One datagram: verify, check freshness, hand on. Public so tests can feed packets directly. */
  async receive(packet: Buffer): Promise<boolean> {
    this.counters.received++;
    const receivedAt = this.now();
    let beat: Heartbeat;
    try {
      if (packet.length > (this.opts.maxBytes ?? MAX_HEARTBEAT_BYTES)) throw new HeartbeatRefused('oversized', `${packet.length} bytes`);
      beat = openHeartbeat(packet, this.opts.key);
    } catch (err) {
      const reason = err instanceof HeartbeatRefused ? err.reason : 'malformed';
      return this.drop(reason, (err as Error).message);
    }
    const last = this.lastSeq.get(beat.amphora_id);
    if (last !== undefined && beat.seq <= last) return this.drop('replayed', beat.amphora_id);
    const maxAge = this.opts.maxAgeMs ?? 10_000;
    if (last === undefined && Math.abs(receivedAt - beat.sent_at) > maxAge) return this.drop('stale', beat.amphora_id);
    this.lastSeq.set(beat.amphora_id, beat.seq);
    this.counters.accepted++;
    try {
      await this.handler(beat, receivedAt);
    } catch (err) {
      this.drop('handler_failed', (err as Error).message);
    }
    return true;
  }

  /** Forgets an amphora (deleted): its id will not come back, and the map stays bounded. */
  forget(amphoraId: string): void {
    this.lastSeq.delete(amphoraId);
  }

  private drop(reason: DropReason, detail: string): false {
    this.counters.dropped[reason]++;
    this.opts.log.debug({ event: 'health.heartbeat.dropped', reason, detail });
    return false;
  }
}
