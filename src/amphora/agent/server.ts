// The agent's HTTPS API (see ../protocol.ts) behind mutual TLS: TLS refuses any peer without a
// certificate of the Fulcrum CA, and the handler refuses certificates not issued for client
// use, so an agent's own server certificate cannot drive another agent.
import { createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { isAmphoraId } from '../protocol.ts';
import type { AgentErrorBody } from '../protocol.ts';
import { Agent } from './agent.ts';
import type { AgentOptions } from './agent.ts';
import { AgentFailure } from './amphora.ts';
import { applyConfigRequest, applyRuntimeRequest, BadRequest } from './validate.ts';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface AgentTls {
  /** The Fulcrum CA certificate (PEM): the only issuer whose clients are accepted. */
  ca: string;
  /** This agent's server certificate and key (PEM). */
  cert: string;
  key: string;
}

export interface StartAgentOptions extends AgentOptions {
  listen: { host: string; port: number };
  tls: AgentTls;
}

export interface RunningAgent {
  /** https://host:port of the API. */
  url: string;
  port: number;
  agent: Agent;
  /** Stops serving the API. HAProxy processes keep running (a new agent adopts them). */
  close(): Promise<void>;
}

type Handler = (agent: Agent, params: string[], body: () => Promise<unknown>) => Promise<[number, unknown?]>;

const routes: [string, RegExp, Handler][] = [
  ['GET', /^\/v1\/info$/, async (agent) => [200, agent.info()]],
  ['GET', /^\/v1\/amphorae$/, async (agent) => [200, { amphorae: await agent.list() }]],
  ['PUT', /^\/v1\/amphorae\/([^/]+)\/config$/, async (agent, [id], body) => {
    const req = applyConfigRequest(await body());
    return [200, await agent.amphora(id).applyConfig(req)];
  }],
  ['POST', /^\/v1\/amphorae\/([^/]+)\/runtime$/, async (agent, [id], body) => {
    const req = applyRuntimeRequest(await body());
    return [200, await agent.amphora(id).applyRuntime(req)];
  }],
  ['GET', /^\/v1\/amphorae\/([^/]+)\/status$/, async (agent, [id]) => [200, await known(agent, id).status()]],
  ['DELETE', /^\/v1\/amphorae\/([^/]+)$/, async (agent, [id]) => {
    await agent.remove(id);
    return [204];
  }],
];

function known(agent: Agent, id: string) {
  const amphora = agent.known(id);
  if (!amphora) throw new AgentFailure(404, { code: 'not_found', message: `amphora ${id} is not on this agent` });
  return amphora;
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BadRequest(`body: larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new BadRequest('body: not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function fail(res: ServerResponse, status: number, error: AgentErrorBody): void {
  send(res, status, { error });
}

function isControllerCertificate(req: IncomingMessage): boolean {
  const socket = req.socket as TLSSocket;
  if (!socket.authorized) return false;
  const peer = socket.getPeerCertificate();
  return Array.isArray(peer?.ext_key_usage) && peer.ext_key_usage.includes(CLIENT_AUTH_OID);
}

async function handle(agent: Agent, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!isControllerCertificate(req)) {
    return fail(res, 403, { code: 'forbidden', message: 'a controller (clientAuth) certificate is required' });
  }
  const path = (req.url ?? '/').split('?')[0];
  const matches = routes.filter(([, re]) => re.test(path));
  if (matches.length === 0) return fail(res, 404, { code: 'not_found', message: `no such path: ${path}` });
  const route = matches.find(([method]) => method === req.method);
  if (!route) return fail(res, 405, { code: 'method_not_allowed', message: `${req.method} is not allowed on ${path}` });
  const params = route[1].exec(path)!.slice(1).map(decodeURIComponent);
  if (params[0] !== undefined && !isAmphoraId(params[0])) {
    return fail(res, 400, { code: 'bad_request', message: `amphora id ${JSON.stringify(params[0])} is not valid` });
  }
  try {
    const [status, body] = await route[2](agent, params, () => readBody(req));
    send(res, status, body);
  } catch (err) {
    if (err instanceof AgentFailure) return fail(res, err.status, err.body);
    if (err instanceof BadRequest) return fail(res, 400, { code: 'bad_request', message: err.message });
    agent.log.error({ event: 'agent.request.failed', method: req.method, path, error: (err as Error).stack });
    fail(res, 500, { code: 'internal', message: (err as Error).message });
  }
}

/** Starts an agent: adopts what runs under `stateDir`, then serves the API on `listen`. */
export async function startAgent(opts: StartAgentOptions): Promise<RunningAgent> {
  const agent = await Agent.open(opts);
  const server = createServer({
    ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key,
    requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2',
  }, (req, res) => void handle(agent, req, res));
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.listen.port, opts.listen.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = opts.listen.host.includes(':') ? `[${opts.listen.host}]` : opts.listen.host;
  agent.heartbeats?.start();
  agent.log.info({ event: 'agent.listening', url: `https://${host}:${port}`, state_dir: opts.stateDir });
  return {
    url: `https://${host}:${port}`, port, agent,
    close: () => new Promise<void>((resolve) => {
      // HAProxy outlives the agent; the UDP engine lives in it and stops with it.
      agent.closeUdp();
      agent.close();
      agent.heartbeats?.stop();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
