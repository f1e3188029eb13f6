// `--auth keystone`: validates each X-Auth-Token against an external Keystone v3, as
// keystonemiddleware's auth_token does: Fulcrum authenticates as its service user, asks
// GET /v3/auth/tokens (X-Subject-Token) and reads project, user, roles and scope from the
// answer. Answers are cached (valid and invalid alike) for a bounded time and count, so a
// busy API asks Keystone once per token per cache period, never past the token's expiry.
import type { Logger } from 'pino';
import { Errors } from '../domain/errors.ts';
import type { TokenInfo } from './tokens.ts';

export interface KeystoneConfig {
  /** Keystone's v3 endpoint, e.g. http://keystone:5000/v3 */
  url: string;
  username: string;
  password: string;
  projectName: string;
  userDomainName: string;
  projectDomainName: string;
  /** How long a validation answer is reused (keystonemiddleware's token_cache_time: 300). */
  cacheSeconds: number;
  /** Most tokens kept in the cache; the oldest entry leaves first. */
  cacheSize: number;
  /** Per-request timeout towards Keystone. */
  timeoutMs: number;
}

interface Cached {
  info: TokenInfo | null;
  until: number;
}

export class KeystoneValidator {
  private readonly cache = new Map<string, Cached>();
  private serviceToken: { token: string; expires: number } | null = null;
  private readonly cfg: KeystoneConfig;
  private readonly log: Logger;

  constructor(cfg: KeystoneConfig, log: Logger) {
    this.cfg = { ...cfg, url: cfg.url.replace(/\/+$/, '') };
    this.log = log;
  }

  /** The token's facts, or null when Keystone does not know it (or it expired). */
  async validate(token: string): Promise<TokenInfo | null> {
    const hit = this.cache.get(token);
    if (hit && hit.until > Date.now()) return hit.info;
    if (hit) this.cache.delete(token);
    const info = await this.ask(token);
    const expires = info ? Date.parse(info.expiresAt) : Infinity;
    this.remember(token, { info, until: Math.min(Date.now() + this.cfg.cacheSeconds * 1000, expires) });
    return info;
  }

  get cachedTokens(): number {
    return this.cache.size;
  }

  private remember(token: string, entry: Cached): void {
    // Map keeps insertion order: the first key is the oldest entry.
    while (this.cache.size >= this.cfg.cacheSize) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(token, entry);
  }

  private async ask(token: string, retried = false): Promise<TokenInfo | null> {
    const service = await this.service();
    const res = await this.fetch('/auth/tokens', { headers: { 'X-Auth-Token': service, 'X-Subject-Token': token } });
    if (res.status === 401 && !retried) {
      // The service token itself expired or was revoked: authenticate again, once.
      this.serviceToken = null;
      return this.ask(token, true);
    }
    if (res.status === 404 || res.status === 401) return null;
    if (!res.ok) {
      this.log.warn({ event: 'keystone.validate_failed', status: res.status });
      throw Errors.identityUnavailable();
    }
    return tokenInfo(((await res.json()) as { token: Record<string, any> }).token);
  }

  private async service(): Promise<string> {
    if (this.serviceToken && this.serviceToken.expires - 60_000 > Date.now()) return this.serviceToken.token;
    const body = {
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: this.cfg.username, domain: { name: this.cfg.userDomainName }, password: this.cfg.password } },
        },
        scope: { project: { name: this.cfg.projectName, domain: { name: this.cfg.projectDomainName } } },
      },
    };
    const res = await this.fetch('/auth/tokens', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    });
    const token = res.headers.get('x-subject-token');
    if (res.status !== 201 || !token) {
      this.log.error({ event: 'keystone.service_auth_failed', status: res.status, user: this.cfg.username });
      throw Errors.identityUnavailable();
    }
    const expiresAt = ((await res.json()) as { token?: { expires_at?: string } }).token?.expires_at;
    this.serviceToken = { token, expires: expiresAt ? Date.parse(expiresAt) : Date.now() + 3_600_000 };
    this.log.info({ event: 'keystone.service_authenticated', user: this.cfg.username });
    return token;
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.cfg.url}${path}`, { ...init, signal: AbortSignal.timeout(this.cfg.timeoutMs) });
    } catch (err) {
      this.log.warn({ event: 'keystone.unreachable', url: this.cfg.url, err: String(err) });
      throw Errors.identityUnavailable();
    }
  }
}

/** Keystone's token body → TokenInfo. */
export function tokenInfo(token: Record<string, any>): TokenInfo | null {
  if (!token?.user?.id || !token.expires_at) return null;
  if (Date.parse(token.expires_at) <= Date.now()) return null;
  return {
    userId: String(token.user.id),
    userName: String(token.user.name ?? ''),
    projectId: token.project?.id ? String(token.project.id) : null,
    projectName: token.project?.name ? String(token.project.name) : null,
    roles: Array.isArray(token.roles) ? token.roles.map((r: { name: string }) => String(r.name)) : [],
    system: Boolean(token.system?.all),
    methods: Array.isArray(token.methods) ? token.methods.map(String) : [],
    issuedAt: String(token.issued_at ?? ''),
    expiresAt: String(token.expires_at),
    appCredentialId: token.application_credential?.id ? String(token.application_credential.id) : null,
  };
}
