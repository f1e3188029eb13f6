// The local compute driver: an amphora is an HAProxy master-worker process on this host, run
// by the agent `fulcrum up` embeds (src/amphora/embedded.ts: the controller's CA and client
// certificate in <dataDir>/pki, the agent's certificate and its amphorae under <dataDir>/agent).
// The controller still talks to that agent over mutual TLS, exactly as it would to an agent on
// another host, so the embedded default exercises the path a multi-host deployment uses.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AgentClient } from '../../amphora/client.ts';
import { AGENT_CERT_FILE } from '../../amphora/pki.ts';
import type { AgentInfo } from '../../amphora/protocol.ts';
import { STATS_SOCKET } from '../../amphora/protocol.ts';
import { startEmbeddedAgent } from '../../amphora/embedded.ts';
import type { EmbeddedAgent } from '../../amphora/embedded.ts';
import type { AmphoraPlacement, Compute } from './compute.ts';
import type { HeartbeatOptions } from '../../amphora/agent/heartbeat.ts';

export interface LocalComputeOptions {
  dataDir: string;
  /** The embedded agent listens on 127.0.0.1 at this port; 0 picks a free one. */
  port: number;
  haproxyBin: string;
  log: Logger;
  /** Where the agent sends heartbeats (the health role); none without it. */
  heartbeat?: HeartbeatOptions;
}

/** Unix socket paths longer than this are refused by the kernel (sun_path is 108 bytes). */
const SUN_PATH_MAX = 107;
/** Where embedded.ts keeps the agent's state and certificate, under the data dir. */
const AGENT_STATE = join('agent', 'state');
const AGENT_PKI = join('agent', 'pki');

export class LocalCompute implements Compute {
  readonly name = 'local';
  private infoCache: Promise<AgentInfo> | undefined;

  private constructor(
    /** The embedded agent (its amphorae, reload counters) — tests and shutdown use it. */
    readonly agent: EmbeddedAgent,
    private readonly certExpiration: string,
  ) {}

  /** Opens (or creates) the PKI under the data dir and starts the agent, which adopts the HAProxy processes it finds. */
  static async start(opts: LocalComputeOptions): Promise<LocalCompute> {
    checkSocketPaths(opts.dataDir);
    const agent = await listenAgent(opts);
    const cert = readFileSync(join(opts.dataDir, AGENT_PKI, AGENT_CERT_FILE), 'utf8');
    const compute = new LocalCompute(agent, new Date(new X509Certificate(cert).validTo).toISOString());
    const info = await compute.info();
    if (info.haproxy_version === 'unavailable') {
      opts.log.warn({ event: 'compute.haproxy_missing', haproxy: opts.haproxyBin }, 'HAProxy is not installed: amphora load balancers will go to ERROR');
    }
    opts.log.info({ event: 'compute.local_started', agent_url: agent.url, haproxy_version: info.haproxy_version, maxconn_budget: info.maxconn_budget });
    return compute;
  }

  place(amphoraId: string): AmphoraPlacement {
    return { computeId: amphoraId, lbNetworkIp: '127.0.0.1', certExpiration: this.certExpiration };
  }

  agentFor(_computeId?: string): AgentClient {
    return this.agent.client;
  }

  info(_computeId?: string): Promise<AgentInfo> {
    this.infoCache ??= this.agent.client.info().catch((err) => {
      this.infoCache = undefined;
      throw err;
    });
    return this.infoCache;
  }

  async delete(computeId: string): Promise<void> {
    await this.agent.client.remove(computeId);
  }

  /** Stops every amphora on this host (tests; `fulcrum up` leaves them running for the next start to adopt). */
  async deleteAll(): Promise<void> {
    for (const a of await this.agent.agent.list()) await this.agent.agent.remove(a.amphora_id);
  }

  /** Stops the agent's API; HAProxy keeps serving, and the next start adopts it. */
  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * Only this process dials the embedded agent, so when its port is taken (another
 * `fulcrum up` on this host) any free port serves as well as the configured one.
 */
async function listenAgent(opts: LocalComputeOptions): Promise<EmbeddedAgent> {
  const start = (port: number) => startEmbeddedAgent({
    dataDir: opts.dataDir, port, haproxyBin: opts.haproxyBin, log: opts.log.child({ role: 'agent' }), heartbeat: opts.heartbeat,
  });
  try {
    return await start(opts.port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.port === 0) throw err;
    opts.log.warn({ event: 'compute.agent_port_taken', port: opts.port }, 'agent port in use; listening on a free port instead');
    return start(0);
  }
}

/** HAProxy's sockets live under the data dir; a path the kernel refuses would fail every amphora. */
function checkSocketPaths(dataDir: string): void {
  const longest = join(dataDir, AGENT_STATE, 'amphorae', '0'.repeat(36), 'conf', STATS_SOCKET);
  if (Buffer.byteLength(longest) > SUN_PATH_MAX) {
    throw new Error(`data dir ${dataDir} is too long for HAProxy's unix sockets (${longest} exceeds ${SUN_PATH_MAX} bytes); choose a shorter --data-dir`);
  }
}
