// What the renderer needs besides the load balancer's graph: facts about the amphora that
// will run the configuration (addresses, run-directory paths, its file-descriptor budget).
// The worker or the agent fills it; the renderer never looks these up itself.

/**
 * Paths as HAProxy should read them. The agent runs HAProxy in the bundle's directory, so
 * relative paths (`unix@haproxy.sock`, `haproxy.state`, `certs`) keep a bundle host-neutral.
 */
export interface AmphoraPaths {
  /** HAProxy's admin socket: the agent's runtime API and statistics source. */
  statsSocket: string;
  /** `show servers state` is saved here before each reload and read back by the new worker. */
  serverStateFile: string;
  /** Rendered as `pidfile` only when set; the agent passes `-p` itself. */
  pidFile?: string | null;
  /** Where the bundle writes certificate files; see certPaths for the names inside it. */
  certDir: string;
}

export interface PeerContext {
  /** This amphora's peer name (HAProxy `localpeer`). */
  localName: string;
  port: number;
  /** Every amphora of the load balancer, this one included. */
  peers: { name: string; address: string }[];
}

export interface AmphoraContext {
  /** The load balancer's VIP as bound on this amphora. */
  vipAddress: string;
  additionalVipAddresses?: string[];
  paths: AmphoraPaths;
  /**
   * The connection budget: global maxconn and the ceiling of every listener's. The agent
   * derives it from its file-descriptor limit (HAProxy needs 2.5 per connection with
   * splicing on: client side, server side and maxconn/4 pipes of two; with the 20,000 limit
   * measured here that is 7,600).
   */
  maxconn: number;
  /** Bounds how long old workers keep long-lived connections after a reload (default 60s). */
  hardStopAfter?: string;
  /** Spreads the closing of idle keep-alive connections at reload (default 5s). */
  closeSpreadTime?: string;
  /** The master restarts no more than this many reloads' worth of old workers (default 50). */
  mworkerMaxReloads?: number;
  /** Size of persistence stick tables (Octavia's haproxy_stick_size, default 10k). */
  stickTableSize?: string;
  /** A syslog target (`/path/to/socket` or `ip:port`); no logging when absent. */
  log?: { target: string; facility?: string } | null;
  /**
   * The program HAProxy runs for PING health monitors. HAProxy can only fork it with
   * `insecure-fork-wanted`; without a command, PING falls back to a TCP connect check.
   */
  pingCommand?: string | null;
  /** Stick-table replication between amphorae (ACTIVE_STANDBY). */
  peers?: PeerContext | null;
}

export const DEFAULTS = {
  hardStopAfter: '60s',
  closeSpreadTime: '5s',
  mworkerMaxReloads: 50,
  stickTableSize: '10k',
  logFacility: 'local0',
} as const;

/**
 * Where each certificate file lives under paths.certDir. The bundle writes the files with
 * these names and the configuration refers to them, so both sides use this one function.
 */
export const certPaths = {
  listenerDefault: (dir: string, listenerId: string) => `${dir}/${listenerId}.pem`,
  listenerSni: (dir: string, listenerId: string, index: number) => `${dir}/${listenerId}-sni-${index}.pem`,
  listenerClientCa: (dir: string, listenerId: string) => `${dir}/${listenerId}-client-ca.pem`,
  listenerClientCrl: (dir: string, listenerId: string) => `${dir}/${listenerId}-client-crl.pem`,
  poolClientCert: (dir: string, poolId: string) => `${dir}/${poolId}-client.pem`,
  poolCa: (dir: string, poolId: string) => `${dir}/${poolId}-ca.pem`,
  poolCrl: (dir: string, poolId: string) => `${dir}/${poolId}-crl.pem`,
};
