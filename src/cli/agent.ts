// `fulcrum agent`: the amphora agent alone, for a host that runs amphorae for a remote
// controller. Stopping it leaves HAProxy running; the next start adopts it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import pino from 'pino';
import { agentCredentials } from '../amphora/pki.ts';
import { startAgent } from '../amphora/agent/server.ts';
import type { HeartbeatOptions } from '../amphora/agent/heartbeat.ts';

export const AGENT_USAGE = `usage: fulcrum agent --listen HOST:PORT --state-dir DIR --pki-dir DIR [--haproxy BIN] [--host NAME] [--netns-prefix PREFIX] [--log-level LEVEL]

  agent   run the amphora agent: HAProxy per amphora, HTTPS API with mutual TLS
          --pki-dir holds ca.pem, agent.pem and agent-key.pem (or ca-key.pem to issue them)
          --health: the health role(s) each amphora's signed heartbeat goes to (UDP)
          --netns-prefix runs each amphora in the network namespace PREFIX<amphora id>
            (created by the netns compute driver; ACTIVE_STANDBY with keepalived)
`;

export interface AgentArgs {
  listen: { host: string; port: number };
  stateDir: string;
  pkiDir: string;
  haproxyBin?: string;
  host: string;
  netnsPrefix?: string;
  logLevel: string;
  heartbeat?: HeartbeatOptions;
}

export function parseAgentArgs(args: string[]): AgentArgs {
  const { values } = parseArgs({
    args,
    options: {
      listen: { type: 'string' },
      'state-dir': { type: 'string' },
      'pki-dir': { type: 'string' },
      haproxy: { type: 'string' },
      host: { type: 'string' },
      'netns-prefix': { type: 'string' },
      'log-level': { type: 'string' },
      health: { type: 'string' },
      'heartbeat-key-file': { type: 'string' },
      'heartbeat-interval': { type: 'string' },
    },
  });
  for (const required of ['listen', 'state-dir', 'pki-dir'] as const) {
    if (!values[required]) throw new Error(`--${required} is required\n${AGENT_USAGE}`);
  }
  const listen = values.listen!;
  const at = listen.lastIndexOf(':');
  const port = Number(listen.slice(at + 1));
  if (at < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--listen ${listen}: expected HOST:PORT`);
  return {
    listen: { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port },
    stateDir: resolve(values['state-dir']!),
    pkiDir: resolve(values['pki-dir']!),
    haproxyBin: values.haproxy,
    host: values.host ?? hostname(),
    netnsPrefix: values['netns-prefix'],
    logLevel: values['log-level'] ?? 'info',
    heartbeat: heartbeatArgs(values.health, values['heartbeat-key-file'], values['heartbeat-interval']),
  };
}

/** --health targets with the key (read once here) and interval; none without --health. */
function heartbeatArgs(health?: string, keyFile?: string, interval?: string): HeartbeatOptions | undefined {
  if (!health) return undefined;
  if (!keyFile) throw new Error('--health needs --heartbeat-key-file (the key the health role shares)');
  const targets = health.split(',').map((t) => {
    const at = t.lastIndexOf(':');
    const port = Number(t.slice(at + 1));
    if (at < 0 || !Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--health ${t}: expected HOST:PORT`);
    return { host: t.slice(0, at), port };
  });
  const intervalMs = interval === undefined ? 1000 : Number(interval);
  if (!Number.isInteger(intervalMs) || intervalMs < 100) throw new Error(`--heartbeat-interval ${interval}: expected milliseconds, at least 100`);
  const key = readFileSync(resolve(keyFile), 'utf8').trim();
  if (key.length < 16) throw new Error(`--heartbeat-key-file ${keyFile}: a key needs at least 16 characters`);
  return { targets, key, intervalMs };
}

export async function agent(args: string[]): Promise<void> {
  const opts = parseAgentArgs(args);
  const log = pino({ level: opts.logLevel, base: { service: 'fulcrum-agent' } });
  const tls = agentCredentials(opts.pkiDir, opts.host, [opts.listen.host].filter((h) => h !== '0.0.0.0' && h !== '::'));
  const running = await startAgent({ listen: opts.listen, stateDir: opts.stateDir, haproxyBin: opts.haproxyBin, host: opts.host, log, tls,
    netnsPrefix: opts.netnsPrefix, heartbeat: opts.heartbeat,
  });
  process.stdout.write(`Fulcrum agent is up at ${running.url} (state: ${opts.stateDir})\n`);
  const shutdown = async (signal: string) => {
    log.info({ event: 'agent.stop', signal });
    await running.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
