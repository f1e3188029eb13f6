// The amphora agent's HTTPS API (version 1), shared by the agent and the controller-side
// client. Bodies are JSON. Every request is authenticated by mutual TLS with certificates of
// the Fulcrum CA (see pki.ts); there is no other authentication.
//
//   GET    /v1/info                           → AgentInfo
//   GET    /v1/amphorae                       → { amphorae: AmphoraSummary[] }
//   PUT    /v1/amphorae/{amphora_id}/config   ApplyConfigRequest  → ApplyResult
//   POST   /v1/amphorae/{amphora_id}/runtime  ApplyRuntimeRequest → ApplyResult
//   GET    /v1/amphorae/{amphora_id}/status   → AmphoraStatus
//   DELETE /v1/amphorae/{amphora_id}          → 204 (also when the agent never knew it)
//
// Errors answer { error: AgentErrorBody } with the status named in AgentErrorCode's comments.
//
// Files of a bundle: paths are relative to the amphora's config directory, which is also
// HAProxy's working directory. The config therefore names its own files relatively, so the
// same text works on any host and `haproxy -c` in the staging directory checks the staged
// files: `stats socket unix@haproxy.sock mode 600 level admin expose-fd listeners`,
// `server-state-file haproxy.state`, `crt certs/<id>.pem`. The agent reads the stats socket
// and the server-state file from the config; runtime changes need the stats socket.

export const API_VERSION = 'v1';
/** Bumped when the agent's behaviour changes in a way the controller may care about. */
export const AGENT_VERSION = '0.1.0';

/** The file HAProxy is started with; every bundle carries it. */
export const CONFIG_FILE = 'haproxy.cfg';
/** Suggested names for the runtime files the config declares (relative to the config directory). */
export const STATS_SOCKET = 'haproxy.sock';
export const SERVER_STATE_FILE = 'haproxy.state';

export interface BundleFile {
  /** Relative path inside the amphora's config directory, e.g. `haproxy.cfg`, `certs/x.pem`. */
  path: string;
  content: string;
  /** POSIX mode, e.g. 0o600 for keys; 0o640 when absent. */
  mode?: number;
}

/** What the renderer produces for one amphora: the whole config, identified by its sha256. */
export interface ConfigBundle {
  files: BundleFile[];
  sha256: string;
}

export interface ApplyConfigRequest {
  /** The load balancer generation this bundle renders; older than the applied one → 409. */
  generation: number;
  bundle: ConfigBundle;
}

export interface ApplyRuntimeRequest extends ApplyConfigRequest {
  /**
   * HAProxy runtime API commands (stats socket) that move the running process to `bundle`
   * without a reload, e.g. `set weight be/m1 0`, `add server be/m3 10.0.0.3:80 check`.
   * They run in order; at the first failure the agent reloads `bundle` instead.
   */
  commands: string[];
  /**
   * The sha256 of the bundle the commands were computed from. When the agent serves another
   * one (restarted, rolled back, replaced), the commands do not apply and `bundle` is applied
   * whole instead (action started/reloaded), so the controller needs no status call first.
   */
  base_sha256?: string;
}

export type ApplyAction =
  | 'started' // HAProxy was not running and now serves the bundle
  | 'reloaded' // hitless reload onto the bundle
  | 'unchanged' // same sha256 already serving; only the generation was recorded
  | 'runtime' // commands applied, config file written, no reload
  | 'runtime-fallback'; // a command failed; the bundle was applied by reload

export interface RuntimeAnswer {
  command: string;
  ok: boolean;
  /** HAProxy's answer text (severity prefix removed). */
  answer: string;
}

export interface ApplyResult {
  amphora_id: string;
  generation: number;
  sha256: string;
  action: ApplyAction;
  master_pid: number;
  worker_pid: number | null;
  /** Master reload counter after the change (unchanged by runtime changes). */
  reloads: number;
  duration_ms: number;
  /** Milliseconds per phase: check_ms (`haproxy -c`), start_ms, reload_ms (incl. verification), commands_ms. */
  timings: Record<string, number>;
  /** Warnings printed by `haproxy -c` for the bundle. */
  warnings: string[];
  /** Present for runtime requests: one answer per command that ran. */
  runtime?: RuntimeAnswer[];
}

export type StatType = 'frontend' | 'backend' | 'server';

/** One row of HAProxy's `show stat`, reduced to what status and statistics need. */
export interface StatRow {
  proxy: string;
  /** FRONTEND / BACKEND, or the server name. */
  name: string;
  type: StatType;
  /** OPEN, UP, DOWN, MAINT, DRAIN, no check... as HAProxy writes it. */
  status: string;
  check_status: string;
  weight: number | null;
  bin: number;
  bout: number;
  scur: number;
  stot: number;
  ereq: number;
  econ: number;
  eresp: number;
}

export interface WorkerProcess {
  pid: number;
  /** Reloads this worker has survived: 0 for the current one. */
  reloads: number;
  old: boolean;
}

export interface AmphoraSummary {
  amphora_id: string;
  running: boolean;
  master_pid: number | null;
  generation: number;
  sha256: string;
}

export interface AmphoraStatus extends AmphoraSummary {
  applied_at: string;
  reloads: number;
  failed_reloads: number;
  workers: WorkerProcess[];
  /** Empty when HAProxy is not running or has no stats socket. */
  stats: StatRow[];
}

export interface AgentInfo {
  api_version: string;
  agent_version: string;
  haproxy_version: string;
  host: string;
  /** The hard limit on open files HAProxy inherits from the agent. */
  fd_limit: number;
  /** The largest global `maxconn` one HAProxy process can start with under fd_limit. */
  maxconn_budget: number;
  amphorae: number;
}

export type AgentErrorCode =
  | 'bad_request' // 400: malformed JSON or body shape
  | 'not_found' // 404: unknown amphora or path
  | 'method_not_allowed' // 405
  | 'forbidden' // 403: the client certificate is not a controller certificate
  | 'stale_generation' // 409: an older generation than the one applied
  | 'config_invalid' // 422: `haproxy -c` refused the bundle; nothing changed
  | 'apply_failed' // 500: start or reload failed; last-known-good restored when there was one
  | 'internal'; // 500

export interface AgentErrorBody {
  code: AgentErrorCode;
  message: string;
  /** Checker output, HAProxy log lines or rollback outcome. */
  detail?: string;
  rolled_back?: boolean;
}

const AMPHORA_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function isAmphoraId(value: string): boolean {
  return AMPHORA_ID.test(value);
}

/** Returns a reason when `path` could escape the config directory or is not a plain file path. */
export function badBundlePath(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0 || path.length > 255) return 'must be 1 to 255 characters';
  if (path.startsWith('/')) return 'must be relative';
  if (path.includes('\0') || path.includes('\\')) return 'must not contain NUL or backslash';
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return 'must not contain empty, . or .. segments';
  if (parts[0].startsWith('.')) return 'must not start with a dot';
  return undefined;
}
