// The controller's client for one amphora agent: HTTPS with the controller's client
// certificate, a time limit per request, and retries with backoff when the agent cannot be
// reached (agent restarting, host rebooting). Errors the agent answered are not retried: the
// caller decides (a 422 bundle will not get better by sending it again).
import { Agent as HttpsAgent, request } from 'node:https';
import type {
  AgentErrorBody, AgentInfo, AmphoraStatus, AmphoraSummary, ApplyResult, ConfigBundle,
} from './protocol.ts';

export interface AgentClientOptions {
  /** https://host:port of the agent. */
  url: string;
  /** The Fulcrum CA (PEM) the agent's server certificate must chain to. */
  ca: string;
  /** The controller's client certificate and key (PEM). */
  cert: string;
  key: string;
  /** Per attempt; applies wait for HAProxy to reload, so the default is generous. */
  timeoutMs?: number;
  /** Attempts after the first one, for errors where the agent could not be reached. */
  retries?: number;
  /** First backoff delay; doubles each attempt, with jitter. */
  backoffMs?: number;
  /**
   * For the TCP and TLS handshake alone: an agent on the management network answers in
   * milliseconds, while a dead host's SYNs go unanswered until the request's own limit (a
   * minute for an apply) — a failover would wait that long to learn what it already suspects.
   */
  connectTimeoutMs?: number;
}

/** Per call: fewer attempts where failing fast beats waiting (removing an amphora from a dead host). */
export interface CallOptions {
  retries?: number;
}

/** The agent answered with an error status. */
export class AgentRequestError extends Error {
  constructor(readonly status: number, readonly body: AgentErrorBody) {
    super(`agent answered ${status} ${body.code}: ${body.message}${body.detail ? `\n${body.detail}` : ''}`);
  }
}

/** The agent could not be reached (after the retries). */
export class AgentUnreachable extends Error {
  constructor(message: string, readonly code: string | undefined) {
    super(message);
  }
}

/** Our code for a handshake that did not finish within connectTimeoutMs. */
const CONNECT_TIMEOUT = 'ECONNECTTIMEOUT';
/** Failures before any byte of the request reached the agent: always safe to retry. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND', 'EADDRNOTAVAIL', CONNECT_TIMEOUT]);
/** Failures after sending: retried only for idempotent methods. */
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT']);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class AgentClient {
  private readonly agent: HttpsAgent;
  private readonly base: URL;

  constructor(private readonly opts: AgentClientOptions) {
    this.base = new URL(opts.url);
    this.agent = new HttpsAgent({ keepAlive: true, maxSockets: 8, ca: opts.ca, cert: opts.cert, key: opts.key });
  }

  info(): Promise<AgentInfo> {
    return this.call('GET', '/v1/info');
  }

  async list(): Promise<AmphoraSummary[]> {
    return (await this.call<{ amphorae: AmphoraSummary[] }>('GET', '/v1/amphorae')).amphorae;
  }

  applyConfig(amphoraId: string, generation: number, bundle: ConfigBundle): Promise<ApplyResult> {
    return this.call('PUT', `/v1/amphorae/${encodeURIComponent(amphoraId)}/config`, { generation, bundle });
  }

  /** Member-only changes: `commands` run on the stats socket and `bundle` is written without reload. */
  applyRuntime(amphoraId: string, generation: number, bundle: ConfigBundle, commands: string[], baseSha256?: string): Promise<ApplyResult> {
    const body = { generation, bundle, commands, ...(baseSha256 ? { base_sha256: baseSha256 } : {}) };
    return this.call('POST', `/v1/amphorae/${encodeURIComponent(amphoraId)}/runtime`, body);
  }

  status(amphoraId: string): Promise<AmphoraStatus> {
    return this.call('GET', `/v1/amphorae/${encodeURIComponent(amphoraId)}/status`);
  }

  async remove(amphoraId: string, options: CallOptions = {}): Promise<void> {
    await this.call('DELETE', `/v1/amphorae/${encodeURIComponent(amphoraId)}`, undefined, options);
  }

  close(): void {
    this.agent.destroy();
  }

  private async call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
    const retries = options.retries ?? this.opts.retries ?? 4;
    const backoff = this.opts.backoffMs ?? 200;
    const idempotent = method !== 'POST';
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.once(method, path, body)) as T;
      } catch (err) {
        if (err instanceof AgentRequestError) throw err;
        const code = (err as NodeJS.ErrnoException).code;
        const retryable = (code !== undefined && NOT_SENT.has(code)) || (idempotent && code !== undefined && LOST.has(code));
        if (!retryable || attempt >= retries) {
          throw new AgentUnreachable(`${method} ${this.base.origin}${path}: ${(err as Error).message}`, code);
        }
        await sleep(backoff * 2 ** attempt * (0.75 + Math.random() * 0.5));
      }
    }
  }

  private once(method: string, path: string, body?: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const timeoutMs = this.opts.timeoutMs ?? (method === 'GET' ? 10_000 : 60_000);
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.base), {
        method, agent: this.agent,
        headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: any;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(parsed);
          reject(new AgentRequestError(status, parsed?.error ?? { code: 'internal', message: text.slice(0, 500) || `HTTP ${status}` }));
        });
      });
      const timer = setTimeout(() => {
        const err: NodeJS.ErrnoException = new Error(`no answer within ${timeoutMs} ms`);
        err.code = 'ETIMEDOUT';
        req.destroy(err);
      }, timeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimeoutMs = this.opts.connectTimeoutMs ?? 2000;
        const limit = setTimeout(() => {
          const err: NodeJS.ErrnoException = new Error(`no connection within ${connectTimeoutMs} ms`);
          err.code = CONNECT_TIMEOUT;
          req.destroy(err);
        }, connectTimeoutMs);
        socket.once('secureConnect', () => clearTimeout(limit));
        socket.once('close', () => clearTimeout(limit));
      });
      req.on('error', (err) => { clearTimeout(timer); reject(err); });
      req.end(payload);
    });
  }
}
