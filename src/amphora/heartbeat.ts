// The heartbeat an agent sends for each of its amphorae to the health role(s), over UDP:
//
//   datagram = deflate-raw(JSON Heartbeat) ‖ HMAC-SHA256(key, compressed bytes) (32 bytes)
//
// The MAC is checked before anything is decompressed or parsed, so an unsigned or forged
// packet costs one HMAC. Inflation is bounded (a small signed packet cannot expand into a
// large allocation). `seq` grows with every packet of one amphora, across agent restarts
// (it starts from the clock), so the receiver refuses replays; `sent_at` bounds how old a
// packet may be when the receiver has no sequence number yet (its own restart).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export const HEARTBEAT_VERSION = 1;
const MAC_BYTES = 32;
/** Largest datagram the receiver reads; UDP over IPv4 carries at most 65,507 bytes. */
export const MAX_HEARTBEAT_BYTES = 65_507;
/** Largest JSON a datagram may inflate to. */
export const MAX_HEARTBEAT_JSON = 4 * 1024 * 1024;

/** A listener as HAProxy's frontend row shows it, with its raw counters. */
export interface ListenerBeat {
  /** OPEN (accepting), FULL (at maxconn), STOP. */
  status: string;
  bytes_in: number;
  bytes_out: number;
  active_connections: number;
  total_connections: number;
  request_errors: number;
}

/** A backend (`<pool_id>:<listener_id>`): UP/DOWN, and each server's status text (`UP`, `DOWN 1/2`, `MAINT`, `DRAIN`, `no check`). */
export interface PoolBeat {
  status: string;
  members: Record<string, string>;
}

export interface Heartbeat {
  v: number;
  amphora_id: string;
  /** Strictly increasing per amphora. */
  seq: number;
  /** Milliseconds since the epoch at the agent. */
  sent_at: number;
  /** The configuration generation the amphora serves. */
  generation: number;
  /** false when the amphora's HAProxy master is gone (killed, crashed). */
  haproxy_up: boolean;
  /**
   * Identifies the HAProxy worker whose counters these are (master pid + reload count):
   * counters restart from zero when it changes, and the receiver adds rather than subtracts.
   */
  epoch: string;
  listeners: Record<string, ListenerBeat>;
  pools: Record<string, PoolBeat>;
}

export function signHeartbeat(beat: Heartbeat, key: string | Buffer): Buffer {
  const body = deflateRawSync(Buffer.from(JSON.stringify(beat)));
  const mac = createHmac('sha256', key).update(body).digest();
  return Buffer.concat([body, mac]);
}

export type RefusalReason = 'oversized' | 'unsigned' | 'bad_signature' | 'malformed';

export class HeartbeatRefused extends Error {
  constructor(readonly reason: RefusalReason, message: string) {
    super(message);
  }
}

/** Checks the MAC, then inflates and validates the body. Throws HeartbeatRefused. */
export function openHeartbeat(packet: Buffer, key: string | Buffer): Heartbeat {
  if (packet.length > MAX_HEARTBEAT_BYTES) throw new HeartbeatRefused('oversized', `${packet.length} bytes`);
  if (packet.length <= MAC_BYTES) throw new HeartbeatRefused('unsigned', 'too short to carry a signature');
  const body = packet.subarray(0, packet.length - MAC_BYTES);
  const mac = packet.subarray(packet.length - MAC_BYTES);
  const expected = createHmac('sha256', key).update(body).digest();
  if (!timingSafeEqual(mac, expected)) throw new HeartbeatRefused('bad_signature', 'HMAC does not match');
  let beat: unknown;
  try {
    beat = JSON.parse(inflateRawSync(body, { maxOutputLength: MAX_HEARTBEAT_JSON }).toString('utf8'));
  } catch (err) {
    const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new HeartbeatRefused(tooBig ? 'oversized' : 'malformed', (err as Error).message);
  }
  const problem = shapeProblem(beat);
  if (problem) throw new HeartbeatRefused('malformed', problem);
  return beat as Heartbeat;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const COUNTERS = ['bytes_in', 'bytes_out', 'active_connections', 'total_connections', 'request_errors'] as const;

/** A signed packet is still checked: a key shared by many agents is not a guarantee of shape. */
function shapeProblem(b: unknown): string | undefined {
  if (!isObject(b)) return 'not an object';
  if (b.v !== HEARTBEAT_VERSION) return `version ${String(b.v)}`;
  if (typeof b.amphora_id !== 'string' || b.amphora_id.length === 0 || b.amphora_id.length > 64) return 'amphora_id';
  if (!Number.isSafeInteger(b.seq) || !isCount(b.seq)) return 'seq';
  if (!isCount(b.sent_at) || !Number.isSafeInteger(b.generation)) return 'sent_at/generation';
  if (typeof b.haproxy_up !== 'boolean' || typeof b.epoch !== 'string') return 'haproxy_up/epoch';
  if (!isObject(b.listeners) || !isObject(b.pools)) return 'listeners/pools';
  for (const [id, l] of Object.entries(b.listeners)) {
    if (!isObject(l) || typeof l.status !== 'string' || !COUNTERS.every((c) => isCount(l[c]))) return `listener ${id}`;
  }
  for (const [id, p] of Object.entries(b.pools)) {
    if (!isObject(p) || typeof p.status !== 'string' || !isObject(p.members)) return `pool ${id}`;
    if (!Object.values(p.members).every((m) => typeof m === 'string')) return `pool ${id} members`;
  }
  return undefined;
}
