// Every `ip netns` / `ip link` / `ip addr` call Fulcrum makes, in one place. Linux only, root
// only. Namespaces and links Fulcrum creates are named with PREFIX ("fu-") so `cleanup()` (and
// scripts/netns-cleanup.sh) can find exactly what Fulcrum made and nothing else: the host's own
// interfaces, routes and firewall are never touched.
//
// The other drivers (compute/netns.ts, network/netns.ts), the tests and the benchmark build on
// these few verbs: a namespace, a bridge in a namespace, a veth from a namespace into a bridge,
// an address, a link up or down, a per-namespace sysctl.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isAlive } from '../../amphora/agent/process.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const PREFIX = 'fu-';
/** Linux refuses interface names longer than 15 bytes (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

export class IpError extends Error {}

async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await run('ip', args, { timeout: 15_000 });
    return stdout;
  } catch (err: any) {
    throw new IpError(`ip ${args.join(' ')}: ${(err.stderr || err.message || '').toString().trim()}`);
  }
}

/** Whether this process can create namespaces: Linux, root, and `ip` present. */
export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `network namespaces need Linux (this is ${process.platform})` };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'network namespaces need root (ip netns add); run the test as root' };
  }
  return { ok: true };
}

function checkName(name: string, what: string, max = 200): void {
  if (!name.startsWith(PREFIX)) throw new IpError(`${what} ${name} must start with ${PREFIX}`);
  if (name.length > max || !/^[A-Za-z0-9_.-]+$/.test(name)) throw new IpError(`${what} ${name} is not a valid name`);
}

export async function listNamespaces(prefix = PREFIX): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out.split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix));
}

/** Creates a namespace with its loopback up. */
export async function addNamespace(name: string): Promise<void> {
  checkName(name, 'namespace');
  await ip(['netns', 'add', name]);
  await ip(['-n', name, 'link', 'set', 'lo', 'up']);
}

/** PIDs of the processes whose network namespace is `name`. */
export async function namespacePids(name: string): Promise<number[]> {
  try {
    return (await ip(['netns', 'pids', name])).split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 1);
  } catch {
    return [];
  }
}


/** Kills (by PID) every process living in the namespace: SIGTERM, then SIGKILL after `graceMs`. */
export async function killNamespacePids(name: string, graceMs = 500): Promise<void> {
  const pids = await namespacePids(name);
  for (const pid of pids) signal(pid, graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pids.some(isAlive)) await sleep(20);
  for (const pid of await namespacePids(name)) signal(pid, 'SIGKILL');
  const end = Date.now() + 3000;
  while (Date.now() < end && (await namespacePids(name)).some(isAlive)) await sleep(20);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Deletes the namespace after killing what runs in it (its interfaces go with it); fine when absent. */
export async function deleteNamespace(name: string, graceMs = 500): Promise<void> {
  checkName(name, 'namespace');
  if (!(await listNamespaces(name)).includes(name)) return;
  await killNamespacePids(name, graceMs);
  await ip(['netns', 'del', name]).catch((err) => {
    if (!/No such file/.test(String(err))) throw err;
  });
}

/** A Linux bridge inside namespace `ns` (null: the initial namespace), up. */
export async function addBridge(ns: string | null, bridge: string): Promise<void> {
  checkName(bridge, 'bridge', IFNAME_MAX);
  const inNs = ns === null ? [] : ['-n', ns];
  await ip([...inNs, 'link', 'add', bridge, 'type', 'bridge']);
  // No STP and no forwarding delay: a new port forwards at once.
  await ip([...inNs, 'link', 'set', bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
  await ip([...inNs, 'link', 'set', bridge, 'up']);
}

export interface VethPlug {
  /** The namespace that gets the interface `ifname` with `address` (CIDR). */
  ns: string;
  ifname: string;
  address?: string;
  /** The MAC of `ifname` (a random one when absent). */
  mac?: string;
  /** The other end: `port` in `bridgeNs`, enslaved to `bridge`. */
  bridgeNs: string;
  bridge: string;
  port: string;
}

/** A veth pair from a namespace into a bridge: one end `ifname` in `ns` (addressed), the other a bridge port. */
export async function plugIntoBridge(p: VethPlug): Promise<void> {
  checkName(p.port, 'bridge port', IFNAME_MAX);
  if (p.mac && !/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(p.mac)) throw new IpError(`${p.mac}: not a MAC address`);
  await ip(['-n', p.bridgeNs, 'link', 'add', p.port, 'type', 'veth', 'peer', 'name', p.ifname, ...(p.mac ? ['address', p.mac] : []), 'netns', p.ns]);
  await ip(['-n', p.bridgeNs, 'link', 'set', p.port, 'master', p.bridge, 'up']);
  // A gratuitous ARP when the link comes up: neighbours that still try to reach this address
  // (a failover's survivor sending VRRP adverts to its lost peer's address, now a newcomer's)
  // learn at once instead of at their next ARP retry up to a second later — longer than a
  // newcomer's keepalived waits before it decides it is alone and claims the VIP.
  await sysctl(p.ns, `net.ipv4.conf.${p.ifname}.arp_notify`, '1');
  if (p.address) await ip(['-n', p.ns, 'addr', 'add', p.address, 'dev', p.ifname]);
  await ip(['-n', p.ns, 'link', 'set', p.ifname, 'up']);
}

/**
 * The management network in the initial namespace: bridge `bridge` holding `address` (a CIDR)
 * for the controller. It outlives any host plugged into it, so the controller's address (the
 * health role listens there) and the route to the hosts stay when a host dies: packets to a
 * dead host's address end unanswered on the bridge instead of following the default route out
 * of this machine.
 */
export async function addManagementBridge(bridge: string, address: string): Promise<void> {
  await addBridge(null, bridge);
  await ip(['addr', 'add', address, 'dev', bridge]);
}

/**
 * A management link from `ns` (`ifname`, `nsAddress`, a CIDR of the bridge's subnet) into the
 * management bridge through the initial namespace's port `rootIf`: the controller reaches an
 * agent living in `ns` over it, apart from the data networks.
 */
export async function addManagementLink(ns: string, ifname: string, nsAddress: string, rootIf: string, bridge: string): Promise<void> {
  checkName(rootIf, 'management link', IFNAME_MAX);
  await ip(['link', 'add', rootIf, 'type', 'veth', 'peer', 'name', ifname, 'netns', ns]);
  await ip(['link', 'set', rootIf, 'master', bridge, 'up']);
  await ip(['-n', ns, 'addr', 'add', nsAddress, 'dev', ifname]);
  await ip(['-n', ns, 'link', 'set', ifname, 'up']);
}

export async function addAddress(ns: string, ifname: string, address: string): Promise<void> {
  await ip(['-n', ns, 'addr', 'add', address, 'dev', ifname]);
}

export async function setLink(ns: string, ifname: string, state: 'up' | 'down'): Promise<void> {
  await ip(['-n', ns, 'link', 'set', ifname, state]);
}

/** The IPv4 addresses (without prefix) on `ifname` in `ns`. */
export async function addresses(ns: string, ifname: string): Promise<string[]> {
  const out = await ip(['-n', ns, '-4', '-o', 'addr', 'show', 'dev', ifname]);
  return [...out.matchAll(/inet (\S+)\//g)].map((m) => m[1]);
}

/** A per-namespace sysctl, e.g. net.ipv4.ip_nonlocal_bind=1 so HAProxy binds a VIP keepalived may not hold yet. */
export async function sysctl(ns: string, key: string, value: string): Promise<void> {
  if (!/^[a-z0-9_.]+$/.test(key)) throw new IpError(`sysctl ${key}: not a sysctl name`);
  await ip(['netns', 'exec', ns, 'sysctl', '-qw', `${key}=${value}`]);
}

/** The argv that runs `argv` inside namespace `ns` (`ip netns exec` execs, so the PID is the program's). */
export function inNamespace(ns: string, argv: string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...argv];
}

/**
 * Removes everything named with `prefix`: processes in those namespaces (by PID), the
 * namespaces, and links left in the initial namespace (a veth's peer goes with it).
 */
export async function cleanup(prefix = PREFIX): Promise<{ namespaces: string[]; links: string[] }> {
  if (!prefix.startsWith(PREFIX)) throw new IpError(`cleanup prefix ${prefix} must start with ${PREFIX}`);
  const namespaces = await listNamespaces(prefix);
  await Promise.all(namespaces.map((ns) => killNamespacePids(ns, 300)));
  for (const ns of namespaces) await ip(['netns', 'del', ns]).catch(() => undefined);
  const links = (await ip(['-o', 'link', 'show'])).split('\n')
    .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1]).filter((n): n is string => !!n && n.startsWith(prefix));
  for (const link of links) await ip(['link', 'del', link]).catch(() => undefined);
  return { namespaces, links };
}
