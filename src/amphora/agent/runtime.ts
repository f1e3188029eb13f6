// HAProxy's runtime API over a unix socket: the stats socket of a worker (`level admin`) or the
// master CLI. One command per connection (`command`), or several on one connection in prompt
// mode (`session`), which also turns on numeric severities so failures can be told apart from
// informational answers.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { RuntimeAnswer, StatRow, StatType, WorkerProcess } from '../protocol.ts';

export interface RuntimeOptions {
  /** Bound on the whole exchange. */
  timeoutMs?: number;
  /** How long to keep retrying a refused or missing socket (a master re-executing itself). */
  connectRetryMs?: number;
}

const RETRYABLE = new Set(['ECONNREFUSED', 'ENOENT', 'EAGAIN']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function open(path: string, timeoutMs: number, retryMs: number): Promise<Socket> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const sock = connect(path);
        const timer = setTimeout(() => sock.destroy(new Error(`${path}: connect timed out`)), timeoutMs);
        sock.once('connect', () => { clearTimeout(timer); resolve(sock); });
        sock.once('error', (err) => { clearTimeout(timer); reject(err); });
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (!RETRYABLE.has(code) || Date.now() >= deadline) throw err;
      await sleep(20);
    }
  }
}

/** Sends one command (or `;`-separated commands) and answers everything HAProxy wrote before closing. */
export async function command(path: string, cmd: string, opts: RuntimeOptions = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const sock = await open(path, timeoutMs, opts.connectRetryMs ?? 0);
  return new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => sock.destroy(new Error(`${path}: '${cmd}' timed out`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => (out += d));
    sock.once('error', (err) => { clearTimeout(timer); reject(err); });
    sock.once('close', () => { clearTimeout(timer); resolve(out); });
    sock.end(cmd + '\n');
  });
}

/** Severity 0..4 (emerg..warning) marks a failure; 5..7 are notices. */
const SEVERITY = /^\[(\d)\]: ?/;
const FAILURE_TEXT = /^(Unknown command|Permission denied|Missing |Require |No such |Invalid |Error|Can't |Cannot )/;

/** Reads an answer with its severity prefix and decides whether the command failed. */
export function classify(raw: string): { ok: boolean; answer: string } {
  const text = raw.replace(/\n+$/, '');
  const m = SEVERITY.exec(text);
  const answer = m ? text.slice(m[0].length) : text;
  if (/^Unknown command/.test(answer)) return { ok: false, answer: answer.split('\n')[0] };
  if (m) return { ok: Number(m[1]) > 4, answer };
  return { ok: !FAILURE_TEXT.test(answer), answer };
}

/**
 * Runs `commands` in order on one connection in prompt mode and stops at the first failure,
 * so a later command never runs against a state the earlier one did not produce.
 */
export async function session(path: string, commands: string[], opts: RuntimeOptions = {}): Promise<RuntimeAnswer[]> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const sock = await open(path, timeoutMs, opts.connectRetryMs ?? 0);
  sock.setEncoding('utf8');
  let buffer = '';
  let waiter: (() => void) | undefined;
  let failure: Error | undefined;
  sock.on('data', (d: string) => { buffer += d; waiter?.(); });
  sock.on('error', (err) => { failure = err; waiter?.(); });
  sock.on('close', () => { failure ??= new Error(`${path}: closed by HAProxy`); waiter?.(); });
  const timer = setTimeout(() => sock.destroy(new Error(`${path}: runtime session timed out`)), timeoutMs);

  // In prompt mode every answer ends with the prompt "> " at the start of a line.
  const next = async (): Promise<string> => {
    for (;;) {
      const end = buffer.endsWith('\n> ') ? buffer.length - 3 : buffer === '> ' ? 0 : -1;
      if (end >= 0) {
        const answer = buffer.slice(0, end);
        buffer = '';
        return answer;
      }
      if (failure) throw failure;
      await new Promise<void>((r) => (waiter = r));
      waiter = undefined;
    }
  };
  const send = async (cmd: string): Promise<string> => {
    sock.write(cmd + '\n');
    return next();
  };
  try {
    sock.write('prompt\n');
    await next();
    await send('set severity-output number');
    const answers: RuntimeAnswer[] = [];
    for (const cmd of commands) {
      const { ok, answer } = classify(await send(cmd));
      answers.push({ command: cmd, ok, answer });
      if (!ok) break;
    }
    sock.end('quit\n');
    return answers;
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}

/** A command for a stats socket refused: a newline would smuggle a second command in. */
export function badCommand(cmd: unknown): string | undefined {
  if (typeof cmd !== 'string' || cmd.trim() === '') return 'must be a non-empty string';
  if (/[\r\n\0]/.test(cmd)) return 'must be one line';
  if (cmd.length > 4096) return 'must be at most 4096 characters';
  return undefined;
}

const STAT_TYPES: Record<string, StatType> = { '0': 'frontend', '1': 'backend', '2': 'server' };

/** Parses `show stat` CSV into frontend, backend and server rows (listener rows are dropped). */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const columns = header.slice(2).split(',');
  const at = (name: string) => columns.indexOf(name);
  const idx = {
    pxname: at('pxname'), svname: at('svname'), type: at('type'), status: at('status'), check: at('check_status'),
    weight: at('weight'), bin: at('bin'), bout: at('bout'), scur: at('scur'), stot: at('stot'), ereq: at('ereq'),
    econ: at('econ'), eresp: at('eresp'),
  };
  const num = (v: string | undefined) => (v === undefined || v === '' ? 0 : Number(v));
  const rows: StatRow[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const f = line.split(',');
    const type = STAT_TYPES[f[idx.type]];
    if (!type) continue;
    rows.push({
      proxy: f[idx.pxname], name: f[idx.svname], type,
      status: f[idx.status] ?? '', check_status: f[idx.check] ?? '',
      weight: f[idx.weight] === undefined || f[idx.weight] === '' ? null : Number(f[idx.weight]),
      bin: num(f[idx.bin]), bout: num(f[idx.bout]), scur: num(f[idx.scur]), stot: num(f[idx.stot]),
      ereq: num(f[idx.ereq]), econ: num(f[idx.econ]), eresp: num(f[idx.eresp]),
    });
  }
  return rows;
}

export interface MasterProc {
  masterPid: number;
  reloads: number;
  failedReloads: number;
  workers: WorkerProcess[];
}

/**
 * Parses the master CLI's `show proc`:
 *   10135   master   3 [failed: 0]   0d00h00m35s   2.6.12
 *   # workers / # old workers / # programs sections, one process per line.
 */
export function parseShowProc(text: string): MasterProc | undefined {
  let section = '';
  let master: MasterProc | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('# ')) { section = line.slice(2).trim(); continue; }
    const m = /^(\d+)\s+(\S+)\s+(\d+)(?:\s+\[failed:\s*(\d+)\])?/.exec(line);
    if (!m) continue;
    const [, pid, type, reloads, failed] = m;
    if (type === 'master') {
      master = { masterPid: Number(pid), reloads: Number(reloads), failedReloads: Number(failed ?? 0), workers: [] };
    } else if (type === 'worker' && master) {
      const old = section === 'old workers' || /\[was:/.test(line);
      master.workers.push({ pid: Number(pid), reloads: Number(reloads), old });
    }
  }
  return master;
}

/** The worker that serves now: the one outside the "old workers" section. */
export function currentWorker(proc: MasterProc): WorkerProcess | undefined {
  return proc.workers.find((w) => !w.old);
}
