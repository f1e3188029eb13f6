// Listener operations. Every write goes through the LB lock; creation and update check
// Octavia's listener rules (protocol vs TLS and header fields, port uniqueness per L4
// protocol, the default pool, allowed CIDRs vs the VIP) inside that same transaction.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { Errors } from '../domain/errors.ts';
import {
  OperatingStatus as OS, ProvisioningStatus as PS, LISTENER_POOL_PROTOCOLS, SUPPORTED_HTTP_HEADERS,
  SUPPORTED_SSL_HEADERS, TLS_VERSIONS,
} from '../domain/enums.ts';
import type { ClientAuthMode, ListenerProtocol } from '../domain/enums.ts';
import { CHILD_MUTABLE } from '../domain/status.ts';
import type { Listener, LoadBalancer } from '../domain/entities.ts';
import type { RequestContext } from '../domain/context.ts';
import type { Store } from '../store/store.ts';
import type { ServiceDeps } from './deps.ts';
import { now } from './deps.ts';
import { load, underLoadBalancer, visible } from './lock.ts';
import { checkQuota } from './quota.ts';
import { checkListenerRefs } from './tls-refs.ts';
import type { Secrets } from '../drivers/secrets/secrets.ts';
import { refuseUnservedProtocol } from './pool-rules.ts';

/** Octavia's defaults: its haproxy_amphora timeouts and its api_settings TLS defaults (OWASP suite B). */
export const LISTENER_DEFAULTS = {
  connection_limit: -1,
  timeout_client_data: 50000,
  timeout_member_connect: 5000,
  timeout_member_data: 50000,
  timeout_tcp_inspect: 0,
  client_authentication: 'NONE' as ClientAuthMode,
  tls_ciphers: 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:'
    + 'DHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:'
    + 'ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-SHA256:DHE-RSA-AES128-SHA256:'
    + 'ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256',
  tls_versions: ['TLSv1.2', 'TLSv1.3'],
  alpn_protocols: ['h2', 'http/1.1', 'http/1.0'],
};
export const MIN_TIMEOUT = 0;
export const MAX_TIMEOUT = 24 * 24 * 60 * 60 * 1000;

/** Fields a listener body may carry, as the API parses them (null = the client sent null). */
export interface ListenerFields {
  name?: string | null;
  description?: string | null;
  admin_state_up?: boolean | null;
  connection_limit?: number | null;
  default_tls_container_ref?: string | null;
  sni_container_refs?: string[] | null;
  default_pool_id?: string | null;
  insert_headers?: Record<string, string> | null;
  timeout_client_data?: number | null;
  timeout_member_connect?: number | null;
  timeout_member_data?: number | null;
  timeout_tcp_inspect?: number | null;
  tags?: string[] | null;
  client_ca_tls_container_ref?: string | null;
  client_authentication?: ClientAuthMode | null;
  client_crl_container_ref?: string | null;
  allowed_cidrs?: string[] | null;
  tls_ciphers?: string | null;
  tls_versions?: string[] | null;
  alpn_protocols?: string[] | null;
  hsts_max_age?: number | null;
  hsts_include_subdomains?: boolean | null;
  hsts_preload?: boolean | null;
}

export interface ListenerCreate extends ListenerFields {
  protocol?: ListenerProtocol;
  protocol_port?: number;
  loadbalancer_id?: string;
}

/** A listener with the ids of its L7 policies (in position order), as responses show it. */
export interface ListenerView {
  listener: Listener;
  l7policyIds: string[];
}

/** Which L4 protocol each listener protocol occupies its port with (Octavia's L4_PROTOCOL_MAP). */
const L4_PROTOCOL: Record<ListenerProtocol, 'TCP' | 'UDP' | 'SCTP'> = {
  HTTP: 'TCP', HTTPS: 'TCP', TCP: 'TCP', TERMINATED_HTTPS: 'TCP', PROMETHEUS: 'TCP', UDP: 'UDP', SCTP: 'SCTP',
};
const HEADER_PROTOCOLS: readonly ListenerProtocol[] = ['HTTP', 'TERMINATED_HTTPS'];
const CIPHER_STRING = /^[A-Za-z0-9\-+!:@=_.]+$/;

export async function createListener(deps: ServiceDeps, ctx: RequestContext, input: ListenerCreate): Promise<ListenerView> {
  const lbId = input.loadbalancer_id as string;
  await load(deps.store, ctx, 'load_balancer', lbId, 'Load Balancer');
  const listener = await underLoadBalancer(deps, lbId, { child: true }, async (tx, lb) => {
    await checkQuota(tx, deps.config.quotas, lb.project_id, 'listener');
    return insertListener(tx, lb, input, deps.secrets);
  });
  deps.log.info({ event: 'listener.create', listener_id: listener.id, load_balancer_id: lbId });
  return { listener, l7policyIds: [] };
}

/**
 * Validates and inserts one listener under an already locked load balancer. Exported for the
 * fully populated load balancer create, which runs it inside its own transaction.
 */
export async function insertListener(tx: Store, lb: LoadBalancer, input: ListenerCreate, secrets: Secrets): Promise<Listener> {
  if (!input.protocol) throw Errors.invalidField('protocol', null, 'Mandatory field missing.');
  if (input.protocol_port === undefined || input.protocol_port === null) {
    throw Errors.invalidField('protocol_port', null, 'Mandatory field missing.');
  }
  const listener = newListener(lb, input);
  if (listener.default_pool_id) {
    if (listener.protocol === 'PROMETHEUS') throw noChildren(listener.protocol);
    await checkDefaultPool(tx, lb.id, listener.default_pool_id, listener.protocol);
  }
  checkCreateRules(listener, input, lb);
  if (hasTlsRefs(input) || input.client_crl_container_ref) await checkListenerRefs(secrets.on(tx), listener);
  await checkPortFree(tx, listener);
  await tx.insert('listener', listener);
  return listener;
}

/** What a listener of this protocol has when the client gives nothing (or null): TLS defaults only for TERMINATED_HTTPS. */
function defaultsFor(protocol: ListenerProtocol) {
  const d = LISTENER_DEFAULTS;
  const terminated = protocol === 'TERMINATED_HTTPS';
  return {
    name: null, description: null, default_pool_id: null, default_tls_container_ref: null,
    client_ca_tls_container_ref: null, client_crl_container_ref: null, hsts_max_age: null,
    sni_container_refs: [] as string[], insert_headers: {} as Record<string, string>, allowed_cidrs: [] as string[],
    connection_limit: d.connection_limit,
    timeout_client_data: d.timeout_client_data,
    timeout_member_connect: d.timeout_member_connect,
    timeout_member_data: d.timeout_member_data,
    timeout_tcp_inspect: d.timeout_tcp_inspect,
    client_authentication: d.client_authentication,
    tls_ciphers: terminated ? d.tls_ciphers : null,
    tls_versions: terminated ? [...d.tls_versions] : [],
    alpn_protocols: terminated ? [...d.alpn_protocols] : [],
    hsts_include_subdomains: false,
    hsts_preload: false,
  };
}
type Defaulted = keyof ReturnType<typeof defaultsFor>;

/** The row a create makes: the body's values, else the protocol's defaults. */
function newListener(lb: LoadBalancer, input: ListenerCreate): Listener {
  const protocol = input.protocol as ListenerProtocol;
  const row: Listener = {
    ...defaultsFor(protocol),
    id: randomUUID(),
    project_id: lb.project_id,
    load_balancer_id: lb.id,
    // Octavia reads an explicit null admin_state_up as false.
    admin_state_up: input.admin_state_up === undefined ? true : Boolean(input.admin_state_up),
    provisioning_status: PS.PENDING_CREATE,
    operating_status: OS.OFFLINE,
    tags: input.tags ?? [],
    created_at: now(),
    updated_at: null,
    protocol,
    protocol_port: input.protocol_port as number,
  };
  for (const field of Object.keys(defaultsFor(protocol)) as Defaulted[]) {
    const value = input[field];
    if (value !== undefined && value !== null) (row as unknown as Record<string, unknown>)[field] = value;
  }
  row.allowed_cidrs = unique(row.allowed_cidrs);
  return row;
}

/** Octavia's create checks, in its order, on the listener about to be inserted. */
function checkCreateRules(l: Listener, input: ListenerCreate, lb: LoadBalancer): void {
  const headerNames = Object.keys(l.insert_headers);
  if (headerNames.length > 0) checkInsertHeaders(headerNames, l.protocol, 'create');
  const refs = hasTlsRefs(input);
  if ((l.protocol === 'UDP' || l.protocol === 'SCTP') && (refs || headerNames.length > 0)) {
    throw Errors.validation(`${l.protocol} protocol listener does not support TLS.`);
  }
  const tlsOffload = l.protocol === 'TERMINATED_HTTPS' || (l.protocol === 'PROMETHEUS' && refs);
  if (!tlsOffload && refs) throw notAllowedRefs(l.protocol);
  const hasCert = Boolean(l.default_tls_container_ref) || l.sni_container_refs.length > 0;
  if (l.client_ca_tls_container_ref && !hasCert) {
    throw Errors.validation('An SNI or default certificate container reference must be provided with a client CA container reference.');
  }
  if (tlsOffload && !hasCert) {
    const what = l.protocol === 'PROMETHEUS' ? 'PROMETHEUS with TLS' : l.protocol;
    throw Errors.validation(`An SNI or default certificate container reference must be provided for ${what} protocol listeners.`);
  }
  checkClientAuth(l);
  if (input.tls_ciphers) checkCiphers(input.tls_ciphers);
  checkCidrsMatchVip(l.allowed_cidrs, lb);
  // Octavia checks the version and ALPN lists of TLS-offloading listeners only: an empty list
  // given to another protocol just means "none" (a non-empty one must still name real versions).
  if (tlsOffload || input.tls_versions?.length) checkTlsVersions(input.tls_versions);
  if (tlsOffload) checkAlpn(input.alpn_protocols);
  checkHsts(l, hstsGiven(input));
  // Last, so Octavia's own refusals of an SCTP listener keep their words.
  refuseUnservedProtocol(lb, l.protocol, 'listener');
}

export async function getListener(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<ListenerView> {
  const listener = await load(deps.store, ctx, 'listener', id, 'Listener');
  return { listener, l7policyIds: (await l7policyIds(deps.store, [id])).get(id) ?? [] };
}

/** Listeners the caller may see, each with its L7 policy ids. */
export async function listListeners(deps: ServiceDeps, ctx: RequestContext): Promise<ListenerView[]> {
  const all = await deps.store.find('listener', ctx.isAdmin ? {} : { project_id: ctx.projectId ?? '' });
  const mine = all.filter((l) => visible(ctx, l.project_id));
  const ids = await l7policyIds(deps.store, mine.map((l) => l.id));
  return mine.map((listener) => ({ listener, l7policyIds: ids.get(listener.id) ?? [] }));
}

export async function updateListener(
  deps: ServiceDeps, ctx: RequestContext, id: string, input: ListenerFields,
): Promise<ListenerView> {
  const found = await load(deps.store, ctx, 'listener', id, 'Listener');
  const view = await underLoadBalancer(deps, found.load_balancer_id, { child: true }, async (tx, lb) => {
    const current = await mutableListener(tx, id);
    const next = applyUpdate(current, input);
    checkUpdateRules(current, next, input, lb);
    if (hasTlsRefs(input) || input.client_crl_container_ref) await checkListenerRefs(deps.secrets.on(tx), next);
    if (input.default_pool_id) await checkDefaultPool(tx, lb.id, input.default_pool_id, current.protocol);
    const stamp = now();
    await tx.update('listener', id, { ...next, provisioning_status: PS.PENDING_UPDATE, updated_at: stamp });
    const listener = { ...next, provisioning_status: PS.PENDING_UPDATE, updated_at: stamp };
    return { listener, l7policyIds: (await l7policyIds(tx, [id])).get(id) ?? [] };
  });
  deps.log.info({ event: 'listener.update', listener_id: id, load_balancer_id: found.load_balancer_id });
  return view;
}

/**
 * The listener after a PUT. Absent fields keep their value; null clears a field to what a new
 * listener of this protocol gets (Octavia's _set_default_on_none); tags: null leaves tags alone.
 */
function applyUpdate(l: Listener, input: ListenerFields): Listener {
  const fresh = defaultsFor(l.protocol);
  const next: Listener = { ...l };
  for (const field of Object.keys(input) as (keyof ListenerFields)[]) {
    const value = input[field];
    if (value === undefined) continue;
    if (field === 'tags') next.tags = (value as string[] | null) ?? l.tags;
    else if (field === 'admin_state_up') next.admin_state_up = Boolean(value);
    else (next as unknown as Record<string, unknown>)[field] = value ?? fresh[field as Defaulted];
  }
  next.allowed_cidrs = unique(next.allowed_cidrs);
  return next;
}

/** Octavia's update checks; the certificate rules look at the listener as it will be. */
function checkUpdateRules(current: Listener, next: Listener, input: ListenerFields, lb: LoadBalancer): void {
  const protocol = current.protocol;
  const refs = hasTlsRefs(input);
  const headerNames = Object.keys(input.insert_headers ?? {});
  if ((protocol === 'UDP' || protocol === 'SCTP') && (refs || headerNames.length > 0)) {
    throw Errors.validation(`${protocol} protocol listener does not support TLS or header insertion.`);
  }
  const tlsOffload = protocol === 'TERMINATED_HTTPS' || (protocol === 'PROMETHEUS' && refs);
  if (!tlsOffload && refs) throw notAllowedRefs(protocol);
  checkClientAuth(next);
  if (headerNames.length > 0) checkInsertHeaders(headerNames, protocol, 'update');
  if (input.allowed_cidrs) checkCidrsMatchVip(next.allowed_cidrs, lb);
  if (input.tls_ciphers) checkCiphers(input.tls_ciphers);
  checkTlsVersions(input.tls_versions);
  checkAlpn(input.alpn_protocols);
  checkHsts(next, hstsGiven(input));
  if (input.default_pool_id && protocol === 'PROMETHEUS') throw noChildren(protocol);
}

export async function deleteListener(deps: ServiceDeps, ctx: RequestContext, id: string): Promise<void> {
  const found = await load(deps.store, ctx, 'listener', id, 'Listener');
  await underLoadBalancer(deps, found.load_balancer_id, { child: true }, async (tx) => {
    await mutableListener(tx, id);
    const pending = { provisioning_status: PS.PENDING_DELETE, updated_at: now() };
    await tx.update('listener', id, pending);
    // Octavia deletes a listener's L7 policies (and so their rules) with it.
    const policies = await tx.find('l7policy', { listener_id: id });
    if (policies.length > 0) {
      const policyIds = policies.map((p) => p.id);
      await tx.updateWhere('l7policy', { id: policyIds }, pending);
      await tx.updateWhere('l7rule', { l7policy_id: policyIds }, pending);
    }
  });
  deps.log.info({ event: 'listener.delete', listener_id: id, load_balancer_id: found.load_balancer_id });
}

/** Re-reads a listener inside the lock and refuses one that is itself PENDING_*. */
async function mutableListener(tx: Store, id: string): Promise<Listener> {
  const listener = await tx.get('listener', id);
  if (!listener) throw Errors.notFound('Listener', id);
  if (!CHILD_MUTABLE.includes(listener.provisioning_status)) throw Errors.immutable('Listener', id);
  return listener;
}

/** Ids of each listener's L7 policies, in position order. */
export async function l7policyIds(store: Store, listenerIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(listenerIds.map((id) => [id, []]));
  if (listenerIds.length === 0) return out;
  const policies = await store.find('l7policy', listenerIds.length === 1 ? { listener_id: listenerIds[0] } : {});
  policies.sort((a, b) => a.position - b.position);
  for (const p of policies) out.get(p.listener_id)?.push(p.id);
  return out;
}

// ---- the rules, phrased as Octavia phrases its faults ----

function hasTlsRefs(input: ListenerFields): boolean {
  return Boolean(input.default_tls_container_ref || input.client_ca_tls_container_ref || input.sni_container_refs?.length);
}

function notAllowedRefs(protocol: ListenerProtocol) {
  return Errors.validation(`Certificate container references are not allowed on ${protocol} protocol listeners.`);
}

function noChildren(protocol: ListenerProtocol) {
  return Errors.invalidOption(`Protocol ${protocol} listeners cannot have child objects.`);
}

/** Client authentication needs a client CA, and so does a CRL. */
function checkClientAuth(l: Listener): void {
  if (l.client_authentication !== 'NONE' && !l.client_ca_tls_container_ref) {
    throw Errors.validation(`Client authentication setting ${l.client_authentication} requires a client CA container reference.`);
  }
  if (l.client_crl_container_ref && !l.client_ca_tls_container_ref) {
    throw Errors.validation('A client authentication CA reference is required to specify a client authentication revocation list.');
  }
}

/**
 * Header insertion: HTTP and TERMINATED_HTTPS only, known names only, X-SSL-* only when TLS
 * terminates here. An unknown name refuses the whole set, which Octavia prints as it holds
 * it: a dict's keys view on create, a list on update.
 */
function checkInsertHeaders(names: string[], protocol: ListenerProtocol, op: 'create' | 'update'): void {
  if (!HEADER_PROTOCOLS.includes(protocol)) {
    throw Errors.invalidOption(`insert-headers is not a valid option for a ${protocol} protocol listener.`);
  }
  const known = [...SUPPORTED_HTTP_HEADERS, ...SUPPORTED_SSL_HEADERS] as readonly string[];
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    const shown = op === 'create' ? `dict_keys(${pyList(names)})` : pyList(names);
    throw Errors.invalidOption(`${shown} is not a valid option for insert_headers`);
  }
  const ssl = names.filter((n) => (SUPPORTED_SSL_HEADERS as readonly string[]).includes(n));
  if (protocol !== 'TERMINATED_HTTPS' && ssl.length > 0) {
    throw Errors.invalidOption(`${pyList(ssl)} is not a valid option for ${protocol} protocol listener.`);
  }
}

function checkCiphers(ciphers: string): void {
  if (!CIPHER_STRING.test(ciphers)) {
    throw Errors.validation('Invalid characters in cipher string. Only alphanumeric, -, +, !, :, @, =, _, and . are allowed.');
  }
}

function checkTlsVersions(versions: string[] | null | undefined): void {
  if (!versions) return;
  if (versions.length === 0) {
    throw Errors.validation('Empty TLS version list. Either specify at least one TLS version or remove this parameter to use the default.');
  }
  const invalid = versions.filter((v) => !(TLS_VERSIONS as readonly string[]).includes(v));
  if (invalid.length > 0) throw Errors.validation(`Invalid TLS versions: ${invalid.join(', ')}`);
}

function checkAlpn(protocols: string[] | null | undefined): void {
  if (protocols && protocols.length === 0) {
    throw Errors.validation('Empty ALPN protocol list. Either specify at least one ALPN protocol or remove this parameter to use the default.');
  }
}

function hstsGiven(input: ListenerFields): boolean {
  return (input.hsts_max_age !== undefined && input.hsts_max_age !== null)
    || Boolean(input.hsts_include_subdomains) || Boolean(input.hsts_preload);
}

/** HSTS (v2.27): TERMINATED_HTTPS only; includeSubDomains and preload need a max-age. */
function checkHsts(l: Listener, given: boolean): void {
  if (given && l.protocol !== 'TERMINATED_HTTPS') {
    throw Errors.validation('The HSTS feature can only be used for listeners using the TERMINATED_HTTPS protocol.');
  }
  if ((l.hsts_include_subdomains || l.hsts_preload) && l.hsts_max_age === null) {
    throw Errors.validation('HSTS configuration options hsts_include_subdomains and hsts_preload only make sense if hsts_max_age is set as well.');
  }
}

/** Allowed CIDRs must be of the VIP's IP version. */
function checkCidrsMatchVip(cidrs: string[], lb: LoadBalancer): void {
  const vip = lb.vip_address;
  if (!vip) return;
  for (const cidr of cidrs) {
    if ((isIP(cidr.split('/')[0]) === 6) !== (isIP(vip) === 6)) {
      throw Errors.validation(`CIDR ${cidr} IP version incompatible with VIP ${vip} IP version.`);
    }
  }
}

/** The default pool must be a pool of the same load balancer whose protocol the listener can forward to. */
async function checkDefaultPool(tx: Store, lbId: string, poolId: string, protocol: ListenerProtocol): Promise<void> {
  const pool = await tx.get('pool', { id: poolId, load_balancer_id: lbId });
  if (!pool) throw Errors.notFound('Pool', poolId);
  if (!LISTENER_POOL_PROTOCOLS[protocol].includes(pool.protocol)) {
    throw Errors.validation(`The pool protocol '${pool.protocol}' is invalid while the listener protocol is '${protocol}'.`);
  }
}

/** One listener per port and L4 protocol on a load balancer: TCP and UDP (and SCTP) may share a port number. */
async function checkPortFree(tx: Store, l: Listener): Promise<void> {
  const samePort = await tx.find('listener', { load_balancer_id: l.load_balancer_id, protocol_port: l.protocol_port });
  const clash = samePort.find((other) => L4_PROTOCOL[other.protocol] === L4_PROTOCOL[l.protocol]);
  if (clash) {
    throw Errors.conflict(
      `Another Listener on this Load Balancer is already using protocol ${clash.protocol} and protocol_port ${l.protocol_port}`,
    );
  }
}

function unique<T>(items: T[]): T[] {
  return [...new Set(items)];
}

/** Python's repr of a list of strings, as Octavia prints header names in its faults. */
function pyList(items: string[]): string {
  return `[${items.map((i) => `'${i}'`).join(', ')}]`;
}
