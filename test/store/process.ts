// One process of a multi-process race. Two connections inside one Node process do not make
// a fair race on SQLite (better-sqlite3 waits for locks synchronously, freezing the event
// loop the lock holder needs), so the contract starts real processes:
//   node --import tsx test/store/process.ts '<job as JSON>'
// Each one prints "ready" once loaded, waits for "go" on stdin (so all start together
// however slowly each one started), does its job and prints the outcome as one JSON line.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { openStore } from '../../src/store/kysely.ts';
import type { Store } from '../../src/store/store.ts';
import { attempt, range } from './rows.ts';

export interface Job {
  url: string;
  /** open: open (and so migrate) the database; race: `attempts` parallel LB-lock attempts. */
  op: 'open' | 'race';
  lbId?: string;
  attempts?: number;
  /** How long the winner holds the lock, in ms. */
  hold?: number;
}

export interface Outcome { won: number; lost: number; errors: string[] }

const self = fileURLToPath(import.meta.url);

/** Runs one job per entry in its own process, all let go at the same moment. */
export async function inProcesses(jobs: Job[]): Promise<Outcome[]> {
  const children = jobs.map((job) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self, JSON.stringify(job)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const said = (what: (line: string) => boolean) => new Promise<string>((done, fail) => {
      lines.on('line', (line) => { if (what(line)) done(line); });
      child.on('exit', (code) => fail(new Error(`racing process exited (${code}) early: ${stderr}`)));
    });
    const ready = said((l) => l === 'ready');
    const answer = said((l) => l.startsWith('{'));
    answer.catch(() => undefined); // reported through `ready` when the process dies before it
    return { child, ready, answer };
  });
  const timer = setTimeout(() => children.forEach((c) => c.child.kill()), 120_000);
  try {
    await Promise.all(children.map((c) => c.ready));
    for (const c of children) c.child.stdin.write('go\n');
    return await Promise.all(children.map(async (c) => JSON.parse(await c.answer) as Outcome));
  } finally {
    clearTimeout(timer);
    await Promise.all(children.map((c) => (c.child.exitCode === null ? once(c.child, 'exit') : undefined)));
  }
}

/** Runs the job; `ready` says so to the parent and answers when it says go. */
async function run(job: Job, ready: () => Promise<unknown>): Promise<Outcome> {
  const outcome: Outcome = { won: 0, lost: 0, errors: [] };
  const note = (err: unknown): undefined => void outcome.errors.push(err instanceof Error ? err.message : String(err));
  let store: Store | undefined;
  if (job.op === 'open') {
    await ready();
    store = await openStore(job.url).catch(note);
  } else {
    store = await openStore(job.url);
    await ready();
    const results = await Promise.allSettled(range(job.attempts ?? 1).map(() => attempt(store!, job.lbId!, job.hold ?? 0)));
    for (const r of results) {
      if (r.status === 'rejected') note(r.reason);
      else if (r.value.won) outcome.won++;
      else outcome.lost++;
    }
  }
  await store?.close();
  return outcome;
}

if (process.argv[1] && resolve(process.argv[1]) === self) {
  const job = JSON.parse(process.argv[2]) as Job;
  const lines = createInterface({ input: process.stdin });
  const go = new Promise((done) => lines.on('line', (line) => { if (line === 'go') done(line); }));
  const outcome = await run(job, () => {
    process.stdout.write('ready\n');
    return go;
  });
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
  lines.close();
}
