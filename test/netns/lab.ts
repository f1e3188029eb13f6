// A lab of network namespaces for ACTIVE_STANDBY tests and the failover benchmark:
//
//   <p>-net    the fabric: one bridge per API network (NetnsNetwork)
//   <p>-h1..   amphora hosts: one `fulcrum agent --netns-prefix <p>-a` each, reached over its
//              own management veth (<p>m1 in the initial namespace ↔ mgmt0), apart from data;
//              each beats to the health role on h1's management gateway (automatic failover)
//   <p>-a<id>  one namespace per amphora (NetnsCompute plugs eth0 into the VIP network)
//   <p>-m1..   members (Node HTTP servers), <p>-c the client namespace (load generator)
//
// and a Fulcrum (API + worker on SQLite) whose amphora driver uses the netns compute. Every
// name starts with a fresh prefix "fu-XXXX"; close() kills every process started here (by
// PID, and whatever still lives in the lab's namespaces) and deletes every namespace and link
// with the prefix, also after a failure (scripts/netns-cleanup.sh removes stragglers of a
// killed run).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createSocket } from 'node:dgram';
import { defaultConfig } from '../../src/config.ts';
import { heartbeatKey, KEY_FILE } from '../../src/health/key.ts';
import { AgentClient } from '../../src/amphora/client.ts';
import { controllerCredentials, openCertificateAuthority, provisionAgent } from '../../src/amphora/pki.ts';
import * as ipcmd from '../../src/drivers/netns/ip.ts';
import { NetnsNetwork } from '../../src/drivers/network/netns.ts';
import { NetnsCompute } from '../../src/drivers/compute/netns.ts';
import type { NetnsHost } from '../../src/drivers/compute/netns.ts';
import { testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';
import type { ClientResult, LoadgenSpec } from './loadgen.ts';

const ROOT = join(import.meta.dirname, '../..');
const TSX = ['--import', 'tsx'];
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function has(bin: string): boolean {
  return ['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(join(d, bin)));
}

/**
 * Why the netns tests cannot run here, or false. In CI they must run (CI runs as root with
 * haproxy and keepalived installed), so there a missing piece fails instead of skipping.
 */
export function netnsSkip(): string | false {
  if (process.env.CI === 'true') return false;
  const support = ipcmd.netnsSupport();
  if (!support.ok) return `skipped: ${support.reason}`;
  for (const bin of ['ip', 'haproxy', 'keepalived']) {
    if (!has(bin)) return `skipped: ${bin} is not installed (apt-get install -y iproute2 haproxy keepalived)`;
  }
  return false;
}

export interface LabHost extends NetnsHost {
  ns: string;
  /** The agent process (its PID is the host's "kernel" for a host-death test). */
  agent: ChildProcess;
  stateDir: string;
}

export interface Lab {
  prefix: string;
  dir: string;
  network: NetnsNetwork;
  compute: NetnsCompute;
  hosts: LabHost[];
  app: TestApp;
  networkId: string;
  subnetId: string;
  /** Starts `argv` inside `ns` (by `ip netns exec`), output to <dir>/<name>.log; killed at close. */
  spawnIn(ns: string, name: string, argv: string[]): ChildProcess;
  /** A member namespace on the lab network running the Node backend at `address`:80. */
  member(name: string, address: string): Promise<void>;
  /** The client namespace with these addresses on the lab network. */
  client(addresses: string[]): Promise<string>;
  /** Runs the load generator in the client namespace; stop() ends it and answers the results. */
  load(spec: LoadgenSpec): { ready: Promise<void>; stop(): Promise<ClientResult[]> };
  close(): Promise<void>;
}

/** The lab network's subnet (inside the lab's namespaces only: nothing is routed to it). */
export const LAB_CIDR = '198.18.0.0/24';

export async function startLab(opts: { hosts?: number } = {}): Promise<Lab> {
  const prefix = `${ipcmd.PREFIX}${randomBytes(2).toString('hex')}`;
  const dir = mkdtempSync(`/tmp/${prefix}-`);
  const children: ChildProcess[] = [];
  const network = new NetnsNetwork({ prefix });
  let app: TestApp | undefined;
  const spawnIn = (ns: string, name: string, argv: string[]) => {
    const log = openSync(join(dir, `${name}.log`), 'a');
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: ROOT, stdio: ['ignore', log, log] });
    closeSync(log);
    children.push(child);
    return child;
  };
  const close = async () => {
    try {
      await app?.close();
    } catch {
      // the namespaces go below whatever the API did
    }
    for (const c of children) if (c.pid && c.exitCode === null) c.kill('SIGKILL');
    await ipcmd.cleanup(prefix);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await network.start();
    const networkId = '0a0b0c0d-0000-4000-8000-00000000e600';
    const subnetId = '0a0b0c0d-0000-4000-8000-00000000e601';
    await network.addNetwork(networkId, LAB_CIDR);
    const pki = join(dir, 'pki');
    const controller = controllerCredentials(pki);
    const ca = openCertificateAuthority(pki);
    // One management /24 per lab, in a block derived from the prefix so parallel labs differ:
    // the controller (and the health role) at .1 on a bridge of the initial namespace that
    // outlives the hosts (a killed host takes only its own port with it), host i at .(10+i).
    const block = parseInt(prefix.slice(3), 16) % 256;
    const hosts: LabHost[] = [];
    const count = opts.hosts ?? 2;
    const healthHost = `198.19.${block}.1`;
    await ipcmd.addManagementBridge(`${prefix}mb`, `${healthHost}/24`);
    for (let i = 1; i <= count; i++) {
      const ns = `${prefix}-h${i}`;
      await ipcmd.addNamespace(ns);
      await ipcmd.addManagementLink(ns, 'mgmt0', `198.19.${block}.${10 + i}/24`, `${prefix}m${i}`, `${prefix}mb`);
    }
    const health = { ...defaultConfig().health, listen: { host: healthHost, port: await freeUdpPort(healthHost) } };
    heartbeatKey(dir);
    for (let i = 1; i <= count; i++) {
      const ns = `${prefix}-h${i}`;
      const managementIp = `198.19.${block}.${10 + i}`;
      const hostDir = join(dir, `h${i}`);
      mkdirSync(hostDir, { recursive: true });
      const tls = provisionAgent(ca, join(hostDir, 'pki'), `${prefix}-h${i}`, [managementIp]);
      const agent = spawnIn(ns, `agent-h${i}`, [
        process.execPath, ...TSX, 'test/amphora/agent-process.ts', 'agent', '--listen', `${managementIp}:9443`,
        '--state-dir', join(hostDir, 'state'), '--pki-dir', join(hostDir, 'pki'), '--host', `${prefix}-h${i}`,
        '--netns-prefix', `${prefix}-a`, '--log-level', 'info',
        '--health', `${health.listen.host}:${health.listen.port}`, '--heartbeat-key-file', join(dir, KEY_FILE),
      ]);
      const client = new AgentClient({ url: `https://${managementIp}:9443`, ...controller, retries: 2, backoffMs: 100 });
      hosts.push({
        name: `${prefix}-h${i}`, managementIp, client, ns, agent, stateDir: join(hostDir, 'state'),
        certExpiration: new Date(new X509Certificate(tls.cert).validTo).toISOString(),
      });
    }
    for (const [i, h] of hosts.entries()) {
      try {
        await waitFor(() => h.client.info(), 30_000, `agent ${h.name}`);
      } catch (err) {
        const log = join(dir, `agent-h${i + 1}.log`);
        throw new Error(`${(err as Error).message}\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`);
      }
    }
    const compute = new NetnsCompute({ hosts, network, amphoraNetnsPrefix: `${prefix}-a` });
    app = await testApp({ compute, dataDir: dir, health });
    await app.runtime.store.transaction((tx) => tx.insertNetwork(
      { id: networkId, project_id: '', name: `${prefix}-net`, created_at: new Date().toISOString() },
      [{ id: subnetId, network_id: networkId, project_id: '', name: `${prefix}-subnet`, cidr: LAB_CIDR, ip_version: 4, gateway_ip: null, created_at: new Date().toISOString() }],
    ));
    const lab: Lab = {
      prefix, dir, network, compute, hosts, app, networkId, subnetId, spawnIn, close,
      async member(name, address) {
        const ns = `${prefix}-${name}`;
        await ipcmd.addNamespace(ns);
        await network.plug(ns, networkId, 'eth0', address);
        spawnIn(ns, name, [process.execPath, ...TSX, 'test/netns/backend.ts', name, address, '80']);
        await waitFor(() => reachable(ns, address, 80), 10_000, `member ${name}`);
      },
      async client(addresses) {
        const ns = `${prefix}-c`;
        await ipcmd.addNamespace(ns);
        await network.plug(ns, networkId, 'eth0', addresses[0]);
        for (const a of addresses.slice(1)) await ipcmd.addAddress(ns, 'eth0', `${a}/24`);
        return ns;
      },
      load(spec) {
        const ns = `${prefix}-c`;
        const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...TSX, 'test/netns/loadgen.ts', JSON.stringify(spec)], {
          cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.push(child);
        let out = '';
        let ready: () => void = () => {};
        const readyP = new Promise<void>((r) => (ready = r));
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.startsWith('ready\n')) ready();
        });
        const done = new Promise<ClientResult[]>((resolve, reject) => child.once('exit', () => {
          try {
            resolve(JSON.parse(out.replace(/^ready\n/, '')) as ClientResult[]);
          } catch {
            reject(new Error(`load generator printed no result: ${out.slice(0, 200)}`));
          }
        }));
        // A generator killed from outside rejects before stop() is awaited: no crash (the lab must still close).
        done.catch(() => undefined);
        return {
          ready: Promise.race([readyP, sleep(15_000).then(() => {
            throw new Error(`the load generator's clients were not all served within 15 s`);
          })]),
          async stop() {
            child.kill('SIGTERM');
            return done;
          },
        };
      },
    };
    return lab;
  } catch (err) {
    await close();
    throw err;
  }
}

/** A UDP port free on `host` now (the health role binds it right after; agents are told it first). */
async function freeUdpPort(host: string): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => socket.once('error', reject).bind(0, host, resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

/** Retries `fn` until it resolves truthy or the time is up. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(100);
  }
  throw new Error(`${what}: not ready after ${timeoutMs} ms${last ? ` (${(last as Error).message})` : ''}`);
}

/** A TCP connect from inside `ns` (bash's /dev/tcp, bounded by timeout). */
export function reachable(ns: string, address: string, port: number): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'timeout', '1', 'bash', '-c', `exec 3<>/dev/tcp/${address}/${port}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Which amphora namespaces hold `vip` on eth0 right now. */
export async function vipHolders(lab: Lab, computeIds: string[], vip: string): Promise<string[]> {
  const out: string[] = [];
  for (const id of computeIds) {
    const addrs = await ipcmd.addresses(lab.compute.namespaceOf(id), 'eth0').catch((): string[] => []);
    if (addrs.includes(vip)) out.push(id);
  }
  return out;
}

/** The longest stretch (ms) with no successful response from any of `results` between `from` and `to`. */
export function longestGap(results: ClientResult[], from: number, to: number): number {
  const times = results.flatMap((r) => r.times).filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  if (times.length === 0) return to - from;
  let gap = Math.max(times[0] - from, to - times[times.length - 1]);
  for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i] - times[i - 1]);
  return gap;
}
