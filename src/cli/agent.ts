// `fulcrum agent`: the amphora agent alone, for a host that runs amphorae for a remote
// controller. Stopping it leaves HAProxy running; the next start adopts it.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import pino from 'pino';
import { agentCredentials } from '../amphora/pki.ts';
import { startAgent } from '../amphora/agent/server.ts';

export const AGENT_USAGE = `usage: fulcrum agent --listen HOST:PORT --state-dir DIR --pki-dir DIR [--haproxy BIN] [--host NAME] [--netns-prefix PREFIX] [--log-level LEVEL]

  agent   run the amphora agent: HAProxy per amphora, HTTPS API with mutual TLS
          --pki-dir holds ca.pem, agent.pem and agent-key.pem (or ca-key.pem to issue them)
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
  };
}

export async function agent(args: string[]): Promise<void> {
  const opts = parseAgentArgs(args);
  const log = pino({ level: opts.logLevel, base: { service: 'fulcrum-agent' } });
  const tls = agentCredentials(opts.pkiDir, opts.host, [opts.listen.host].filter((h) => h !== '0.0.0.0' && h !== '::'));
  const running = await startAgent({ listen: opts.listen, stateDir: opts.stateDir, haproxyBin: opts.haproxyBin, host: opts.host, log, tls,
    netnsPrefix: opts.netnsPrefix,
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
