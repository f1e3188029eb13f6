// The agent inside the `fulcrum up` process: the controller's CA (created on first start in
// <data-dir>/pki), an agent certificate in <data-dir>/agent/pki, the agent on a loopback port,
// and a client already holding the controller's certificate. HAProxy processes live under
// <data-dir>/agent/state and survive restarts of Fulcrum (the next start adopts them).
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from './client.ts';
import { controllerCredentials, openCertificateAuthority, provisionAgent } from './pki.ts';
import { startAgent } from './agent/server.ts';
import type { RunningAgent } from './agent/server.ts';
import type { AgentLog } from './agent/amphora.ts';
import type { HeartbeatOptions } from './agent/heartbeat.ts';

export interface EmbeddedAgentOptions {
  dataDir: string;
  /** Loopback port for the agent API; 0 picks a free one. */
  port?: number;
  haproxyBin?: string;
  log?: AgentLog;
  heartbeat?: HeartbeatOptions;
}

export interface EmbeddedAgent extends RunningAgent {
  client: AgentClient;
}

export async function startEmbeddedAgent(opts: EmbeddedAgentOptions): Promise<EmbeddedAgent> {
  const pkiDir = join(opts.dataDir, 'pki');
  const controller = controllerCredentials(pkiDir);
  const host = hostname();
  const tls = provisionAgent(openCertificateAuthority(pkiDir), join(opts.dataDir, 'agent', 'pki'), host, []);
  const running = await startAgent({
    listen: { host: '127.0.0.1', port: opts.port ?? 0 }, stateDir: join(opts.dataDir, 'agent', 'state'),
    haproxyBin: opts.haproxyBin, log: opts.log, host, tls, heartbeat: opts.heartbeat,
  });
  const client = new AgentClient({ url: running.url, ...controller });
  return {
    ...running,
    client,
    async close() {
      client.close();
      await running.close();
    },
  };
}
