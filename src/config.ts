// Configuration, parsed once at start-up and passed down; nothing below reads the environment.
import { join } from 'node:path';
import type { AuthMode } from './api/context.ts';
import type { KeystoneConfig } from './identity/keystone.ts';

export interface QuotaDefaults {
  load_balancer: number;
  listener: number;
  pool: number;
  member: number;
  health_monitor: number;
  l7policy: number;
  l7rule: number;
}

export interface Config {
  listen: { host: string; port: number };
  dataDir: string;
  databaseUrl: string;
  auth: AuthMode;
  identity: IdentityConfig;
  /** Largest request body accepted, in bytes (Octavia's oslo sizelimit default). */
  maxBodyBytes: number;
  /** -1 = unlimited, as in Octavia. */
  quotas: QuotaDefaults;
  /** The provider used when a load balancer names none. */
  defaultProvider: string;
  /** How often the worker looks for dirty load balancers written by other processes. */
  workerPollMs: number;
  logLevel: string;
  /**
   * The file holding the key manager's AES-256 key (base64). null: `<dataDir>/secrets.key`,
   * created on first start (0600); an in-memory database gets a key that lives as long as it.
   */
  secretsKeyFile: string | null;
  /** The amphora agent `fulcrum up` embeds: HAProxy amphorae on this host (state in dataDir). */
  agent: AgentConfig;
  /** The health role: heartbeats, operating status, statistics, automatic failover. */
  health: HealthConfig;
}

export interface HealthConfig {
  /** Where heartbeats are received (UDP); a taken port falls back to a free one. */
  listen: { host: string; port: number };
  /** How often each amphora beats (heartbeat_interval). */
  heartbeatIntervalMs: number;
  /** An amphora silent this long is failed over (heartbeat_timeout). */
  heartbeatTimeoutMs: number;
  /** HMAC key (heartbeat_key); when absent, generated once into <dataDir>/heartbeat.key. */
  key?: string;
  /** More amphorae due for failover at once than this: none is failed over (failover_threshold). */
  failoverThreshold: number;
}

export interface IdentityConfig {
  /** Lifetime of tokens the built-in identity issues (Keystone's default: one hour). */
  tokenTtlSeconds: number;
  /** The URL clients reach Fulcrum at, for the service catalog; default: the address each client used. */
  publicUrl?: string;
  /** `--auth keystone`: the external Keystone and Fulcrum's service user there. */
  keystone?: KeystoneConfig;
}

export interface AgentConfig {
  /** The embedded agent serves its mutual-TLS API on 127.0.0.1 at this port; 0 picks a free one. */
  port: number;
  haproxyBin: string;
}

export function defaultConfig(overrides: Partial<Config> = {}): Config {
  const dataDir = overrides.dataDir ?? join(process.cwd(), '.fulcrum');
  return {
    listen: { host: '127.0.0.1', port: 9876 },
    dataDir,
    databaseUrl: `sqlite:${join(dataDir, 'fulcrum.sqlite')}`,
    auth: 'noauth',
    identity: { tokenTtlSeconds: 3600 },
    maxBodyBytes: 114688,
    quotas: { load_balancer: -1, listener: -1, pool: -1, member: -1, health_monitor: -1, l7policy: -1, l7rule: -1 },
    defaultProvider: 'amphora',
    workerPollMs: 500,
    logLevel: 'info',
    secretsKeyFile: null,
    agent: { port: 9443, haproxyBin: '/usr/sbin/haproxy' },
    health: { listen: { host: '127.0.0.1', port: 5555 }, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 3000, failoverThreshold: 10 },
    ...overrides,
  };
}
