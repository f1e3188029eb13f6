// Which HAProxy runtime-API commands turn the running configuration `before` into `after`
// without a reload — or null when only a reload can. Only member changes qualify: HAProxy
// 2.6 cannot create frontends or backends at runtime, and changing anything else in a
// backend means re-reading the file. The agent writes the new file as well, so a later
// reload keeps the change (and server-state-file keeps health and state across it).
import type { BackendIR, HaproxyIR, ServerIR } from './ir.ts';
import { serverParams } from './server.ts';

export type RuntimeCommand = string;

export function runtimeDelta(before: HaproxyIR, after: HaproxyIR): RuntimeCommand[] | null {
  if (!sameJson(withoutServers(before), withoutServers(after))) return null;
  const commands: RuntimeCommand[] = [];
  for (let i = 0; i < after.backends.length; i++) {
    const step = backendDelta(before.backends[i], after.backends[i]);
    if (step === null) return null;
    commands.push(...step);
  }
  return commands;
}

/** Everything but the server lists: any difference there needs a reload. */
function withoutServers(ir: HaproxyIR): unknown {
  return { ...ir, backends: ir.backends.map((b) => ({ ...b, servers: [] })) };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why HAProxy 2.6 refuses runtime servers in a backend, or null when it accepts them. */
export function dynamicServersRefused(b: BackendIR): string | null {
  if (b.balance === 'source' && b.hashType !== 'consistent') return 'balance source needs hash-type consistent';
  if (b.balance === 'source-ip-port' && b.hashType !== 'consistent') return 'balance hash needs hash-type consistent';
  if (b.persistence?.kind === 'http-cookie') return 'the cookie keyword is refused on dynamic servers';
  return null;
}

function backendDelta(before: BackendIR, after: BackendIR): RuntimeCommand[] | null {
  if (sameJson(before.servers, after.servers)) return [];
  if (dynamicServersRefused(after)) return null;
  const old = new Map(before.servers.map((s) => [s.name, s]));
  const now = new Map(after.servers.map((s) => [s.name, s]));
  const removed = before.servers.filter((s) => !now.has(s.name)).flatMap((s) => removeServer(after, s));
  const added = after.servers.filter((s) => !old.has(s.name)).flatMap((s) => addServer(after, s));
  const changed: RuntimeCommand[] = [];
  for (const s of after.servers) {
    const prev = old.get(s.name);
    if (!prev) continue;
    const step = changeServer(after, prev, s);
    if (step === null) return null;
    changed.push(...step);
  }
  return [...removed, ...added, ...changed];
}

const target = (b: BackendIR, s: ServerIR) => `${b.name}/${s.name}`;

/** 2.6 deletes only a server in maintenance; its open sessions are cut first. */
function removeServer(b: BackendIR, s: ServerIR): RuntimeCommand[] {
  const t = target(b, s);
  return [`set server ${t} state maint`, `shutdown sessions server ${t}`, `del server ${t}`];
}

/** A dynamic server starts in maintenance with checks off; both are switched on explicitly. */
function addServer(b: BackendIR, s: ServerIR): RuntimeCommand[] {
  const t = target(b, s);
  return [
    `add server ${t} ${serverParams(s, b.check, true)}`,
    ...(s.check && b.check ? [`enable health ${t}`] : []),
    ...(s.disabled ? [] : [`enable server ${t}`]),
  ];
}

/** Weight and admin state change at runtime; anything else about a server needs a reload. */
function changeServer(b: BackendIR, prev: ServerIR, next: ServerIR): RuntimeCommand[] | null {
  const fixed = (s: ServerIR) => ({ ...s, weight: 0, disabled: false });
  if (!sameJson(fixed(prev), fixed(next))) return null;
  const t = target(b, next);
  return [
    ...(prev.weight !== next.weight ? [`set weight ${t} ${next.weight}`] : []),
    ...(prev.disabled !== next.disabled ? [`set server ${t} state ${next.disabled ? 'maint' : 'ready'}`] : []),
  ];
}
