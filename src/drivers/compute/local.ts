// The local compute driver: an amphora is an HAProxy master-worker process on this host, run
// by the agent `fulcrum up` embeds. The controller still talks to that agent over mutual TLS
// with certificates of its own CA, exactly as it would to an agent on another host, so the
// embedded default exercises the same path a multi-host deployment uses.
//
//   <dataDir>/pki/         the CA, the controller's client certificate, the agent's server certificate
//   <dataDir>/amphorae/    one directory per amphora (see src/amphora/agent/files.ts)
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AgentClient } from '../../amphora/client.ts';
import { agentCredentials, controllerCredentials } from '../../amphora/pki.ts';
import type { TlsCredentials } from '../../amphora/pki.ts';
import type { AgentInfo } from '../../amphora/protocol.ts';
import { STATS_SOCKET } from '../../amphora/protocol.ts';
import { startAgent } from '../../amphora/agent/server.ts';
import type { RunningAgent } from '../../amphora/agent/server.ts';
import type { AmphoraPlacement, Compute } from './compute.ts';

export interface LocalComputeOptions {
  dataDir: string;
  /** Where the embedded agent listens; port 0 picks a free one. */
  listen: { host: string; port: number };
  haproxyBin: string;
  log: Logger;
}

/** Unix socket paths longer than this are refused by the kernel (sun_path is 108 bytes). */
const SUN_PATH_MAX = 107;
const WILDCARD = new Set(['0.0.0.0', '::', '']);

export class LocalCompute implements Compute {
  readonly name = 'local';
  private infoCache: Promise<AgentInfo> | undefined;

  private constructor(
    /** The embedded agent (its amphorae, reload counters) — tests and shutdown use it. */
    readonly agent: RunningAgent,
    private readonly client: AgentClient,
    private readonly address: string,
    private readonly certExpiration: string,
  ) {}

  /** Opens (or creates) the PKI under the data dir and starts the agent, which adopts the HAProxy processes it finds. */
  static async start(opts: LocalComputeOptions): Promise<LocalCompute> {
    checkSocketPaths(opts.dataDir);
    const pkiDir = join(opts.dataDir, 'pki');
    const controller = controllerCredentials(pkiDir);
    // The controller dials the agent on loopback even when it listens on every address.
    const address = WILDCARD.has(opts.listen.host) ? '127.0.0.1' : opts.listen.host;
    const tls = agentCredentials(pkiDir, address, [address]);
    const agent = await listenAgent(opts, tls);
    const url = `https://${address.includes(':') ? `[${address}]` : address}:${agent.port}`;
    const client = new AgentClient({ url, ca: controller.ca, cert: controller.cert, key: controller.key, retries: 2 });
    const compute = new LocalCompute(agent, client, address, new Date(new X509Certificate(tls.cert).validTo).toISOString());
    const info = await compute.info();
    if (info.haproxy_version === 'unavailable') {
      opts.log.warn({ event: 'compute.haproxy_missing', haproxy: opts.haproxyBin }, 'HAProxy is not installed: amphora load balancers will go to ERROR');
    }
    opts.log.info({ event: 'compute.local_started', agent_url: url, haproxy_version: info.haproxy_version, maxconn_budget: info.maxconn_budget });
    return compute;
  }

  place(amphoraId: string): AmphoraPlacement {
    return { computeId: amphoraId, lbNetworkIp: this.address, certExpiration: this.certExpiration };
  }

  agentFor(_computeId?: string): AgentClient {
    return this.client;
  }

  info(_computeId?: string): Promise<AgentInfo> {
    this.infoCache ??= this.client.info().catch((err) => {
      this.infoCache = undefined;
      throw err;
    });
    return this.infoCache;
  }

  async delete(computeId: string): Promise<void> {
    await this.client.remove(computeId);
  }

  /** Stops every amphora on this host (tests; `fulcrum up` leaves them running for the next start to adopt). */
  async deleteAll(): Promise<void> {
    for (const a of await this.agent.agent.list()) await this.agent.agent.remove(a.amphora_id);
  }

  /** Stops the agent's API; HAProxy keeps serving, and the next start adopts it. */
  async close(): Promise<void> {
    this.client.close();
    await this.agent.close();
  }
}

/**
 * Only this process dials the embedded agent, so when its port is taken (another
 * `fulcrum up` on this host) any free port serves as well as the configured one.
 */
async function listenAgent(opts: LocalComputeOptions, tls: TlsCredentials): Promise<RunningAgent> {
  const start = (port: number) => startAgent({
    listen: { host: opts.listen.host, port }, stateDir: opts.dataDir, haproxyBin: opts.haproxyBin,
    log: opts.log.child({ role: 'agent' }), tls,
  });
  try {
    return await start(opts.listen.port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || opts.listen.port === 0) throw err;
    opts.log.warn({ event: 'compute.agent_port_taken', port: opts.listen.port }, 'agent port in use; listening on a free port instead');
    return start(0);
  }
}

/** HAProxy's sockets live under the data dir; a path the kernel refuses would fail every amphora. */
function checkSocketPaths(dataDir: string): void {
  const longest = join(dataDir, 'amphorae', '0'.repeat(36), 'conf', STATS_SOCKET);
  if (Buffer.byteLength(longest) > SUN_PATH_MAX) {
    throw new Error(`data dir ${dataDir} is too long for HAProxy's unix sockets (${longest} exceeds ${SUN_PATH_MAX} bytes); choose a shorter --data-dir`);
  }
}
