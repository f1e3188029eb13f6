// The `fulcrum` command line.
import { readFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../config.ts';
import type { Config } from '../config.ts';
import type { AuthMode } from '../api/context.ts';
import { startRuntime } from '../runtime.ts';
import { agent, AGENT_USAGE } from './agent.ts';
import { bootstrapAdmin } from '../identity/directory.ts';
import { purgeExpired } from '../identity/tokens.ts';
import { CLOUD_NAME, writeClientFiles } from '../identity/clouds.ts';
import type { Runtime } from '../runtime.ts';

const USAGE = `usage: fulcrum up [--listen HOST:PORT] [--data-dir DIR] [--database URL] [--default-provider NAME]
                 [--auth builtin|noauth|keystone] [--public-url URL]
                 [--keystone-url URL --keystone-user NAME --keystone-project NAME]   (password: FULCRUM_KEYSTONE_PASSWORD)
                 [--agent-port PORT] [--haproxy BIN] [--secrets-key-file FILE]
                 [--health-listen HOST:PORT] [--heartbeat-interval MS] [--heartbeat-timeout MS]
                 [--heartbeat-key-file FILE] [--failover-threshold N]

  up      run every role in one process: API, worker, on an embedded SQLite database, and
          an amphora agent that runs each load balancer's HAProxy on this host
          (state and certificates in the data dir; agent API on 127.0.0.1:9443 by default,
          another free port when that one is taken)
`;

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'up') return up(rest);
  if (command === 'agent') return agent(rest);
  process.stdout.write(USAGE + '\n' + AGENT_USAGE);
  if (command !== undefined && command !== 'help' && command !== '--help') process.exitCode = 2;
}

export function parseUpArgs(args: string[], env: NodeJS.ProcessEnv = process.env): Config {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: 'string' },
      'data-dir': { type: 'string' },
      database: { type: 'string' },
      auth: { type: 'string' },
      'public-url': { type: 'string' },
      'keystone-url': { type: 'string' },
      'keystone-user': { type: 'string' },
      'keystone-project': { type: 'string' },
      'log-level': { type: 'string' },
      'default-provider': { type: 'string' },
      'agent-port': { type: 'string' },
      haproxy: { type: 'string' },
      'secrets-key-file': { type: 'string' },
      'health-listen': { type: 'string' },
      'heartbeat-interval': { type: 'string' },
      'heartbeat-timeout': { type: 'string' },
      'heartbeat-key-file': { type: 'string' },
      'failover-threshold': { type: 'string' },
    },
  });
  const dataDir = resolve(values['data-dir'] ?? '.fulcrum');
  const overrides: Partial<Config> = { dataDir, databaseUrl: values.database ?? `sqlite:${join(dataDir, 'fulcrum.sqlite')}` };
  if (values.listen) overrides.listen = parseListen(values.listen);
  const auth = values.auth ?? 'builtin';
  if (!['noauth', 'keystone', 'builtin'].includes(auth)) throw new Error(`--auth ${auth}: expected builtin, noauth or keystone`);
  overrides.auth = auth as AuthMode;
  if (values['log-level']) overrides.logLevel = values['log-level'];
  // noop: load balancers that name no provider complete without a data plane (API-only use, benchmarks).
  if (values['default-provider']) overrides.defaultProvider = values['default-provider'];
  const config = defaultConfig(overrides);
  if (values['agent-port']) config.agent.port = parsePort(values['agent-port'], '--agent-port');
  if (values.haproxy) config.agent.haproxyBin = resolve(values.haproxy);
  if (values['public-url']) config.identity.publicUrl = values['public-url'];
  if (auth === 'keystone') {
    const url = values['keystone-url'];
    const password = env.FULCRUM_KEYSTONE_PASSWORD;
    if (!url || !password) throw new Error('--auth keystone needs --keystone-url and FULCRUM_KEYSTONE_PASSWORD (the service user\'s password)');
    config.identity.keystone = {
      url, password, username: values['keystone-user'] ?? 'octavia', projectName: values['keystone-project'] ?? 'service',
      userDomainName: 'Default', projectDomainName: 'Default', cacheSeconds: 300, cacheSize: 10000, timeoutMs: 5000,
    };
  }
  if (values['secrets-key-file']) config.secretsKeyFile = resolve(values['secrets-key-file']);
  parseHealthArgs(values, config);
  return config;
}

/** The health role's options; the key file is read here so nothing below reads files for config. */
function parseHealthArgs(values: Record<string, string | boolean | undefined>, config: Config): void {
  const ms = (flag: string, min: number) => {
    const v = values[flag];
    if (typeof v !== 'string') return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`--${flag} ${v}: expected milliseconds, at least ${min}`);
    return Number(v);
  };
  const h = config.health;
  if (typeof values['health-listen'] === 'string') h.listen = parseListen(values['health-listen']);
  h.heartbeatIntervalMs = ms('heartbeat-interval', 100) ?? h.heartbeatIntervalMs;
  h.heartbeatTimeoutMs = ms('heartbeat-timeout', 200) ?? h.heartbeatTimeoutMs;
  if (h.heartbeatTimeoutMs <= h.heartbeatIntervalMs) throw new Error('--heartbeat-timeout must be longer than --heartbeat-interval');
  h.failoverThreshold = ms('failover-threshold', 0) ?? h.failoverThreshold;
  const keyFile = values['heartbeat-key-file'];
  if (typeof keyFile === 'string') h.key = readFileSync(resolve(keyFile), 'utf8').trim();
}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`${flag} ${value}: expected a port number`);
  return port;
}

function parseListen(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const port = Number(value.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--listen ${value}: expected HOST:PORT`);
  return { host: value.slice(0, at).replace(/^\[|\]$/g, ''), port };
}

async function up(args: string[]): Promise<void> {
  const config = parseUpArgs(args);
  const runtime = await startRuntime(config);
  const address = await runtime.app.listen({ host: config.listen.host, port: config.listen.port });
  process.stdout.write(
    `Fulcrum is up: Octavia v2 API at ${address}  (auth: ${config.auth}, database: ${config.databaseUrl})\n` +
    (runtime.dataPlane ? `Amphora agent at ${runtime.dataPlane.compute.agent.url}; HAProxy amphorae under ${config.dataDir}/agent/state\n` : '') +
    (await clientHint(runtime, address)),
  );
  const purge = setInterval(() => void purgeExpired(runtime.store).catch(() => undefined), 600_000);
  purge.unref();
  const shutdown = async (signal: string) => {
    runtime.deps.log.info({ event: 'fulcrum.stop', signal });
    await runtime.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

/** How to point a client at this Fulcrum; builtin identity: bootstrap the admin and write clouds.yaml/openrc. */
async function clientHint(runtime: Runtime, address: string): Promise<string> {
  const { config } = runtime;
  if (config.auth === 'noauth') {
    return `Point a client at it, for example:\n` +
      `  curl -s -H 'X-Project-Id: demo' ${address}/v2/lbaas/loadbalancers\n` +
      `  export OS_AUTH_TYPE=none OS_ENDPOINT=${address}   # openstack loadbalancer list --os-endpoint ${address}\n`;
  }
  if (config.auth === 'keystone') return `Tokens are validated by Keystone at ${config.identity.keystone?.url}\n`;
  const log = runtime.deps.log.child({ role: 'identity' });
  const password = await bootstrapAdmin({ store: runtime.store, log, tokenTtlSeconds: config.identity.tokenTtlSeconds });
  // Clients reach a wildcard listener through loopback.
  const reach = (config.identity.publicUrl ?? address.replace('//0.0.0.0:', '//127.0.0.1:').replace('//[::]:', '//127.0.0.1:')).replace(/\/+$/, '');
  const files = writeClientFiles(config.dataDir, `${reach}/identity/v3`, password);
  return `Identity (Keystone v3) at ${reach}/identity/v3; ${password ? 'created user admin, ' : ''}credentials in ${files.cloudsYaml} and ${files.openrc}\n` +
    `Point the openstack CLI at it, for example:\n` +
    `  export OS_CLIENT_CONFIG_FILE=${files.cloudsYaml} OS_CLOUD=${CLOUD_NAME}; openstack loadbalancer list\n` +
    `  (or: source ${files.openrc})\n`;
}
