// PostgreSQL for tests: every caller gets brand-new databases (CREATE DATABASE
// fulcrum_t_<random>) made through an admin connection to FULCRUM_TEST_PG_URL, and drops
// them at the end, so test files run in parallel and re-run without leftovers.
// In CI (CI set) PostgreSQL must be there: an unreachable server fails the tests. Outside
// CI the tests skip, saying why.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/kysely.ts';

export const PG_URL = process.env.FULCRUM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:54329/fulcrum_test';

export interface TestPostgres {
  /** A reason to skip (outside CI, server unreachable), else false. */
  skip: string | false;
  /**
   * Creates a database and answers its URL; throws when PostgreSQL is unreachable. Empty,
   * or with `migrated`, copied from a template migrated once (much faster than migrating).
   */
  fresh(opts?: { migrated?: boolean }): Promise<string>;
  /** Runs SQL against a database this helper made (checks below the Store port). */
  query(url: string, text: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Drops every database fresh() made. */
  dropAll(): Promise<void>;
}

const inCi = () => !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';

/** Probes the server once; the answer decides whether the caller's tests run, fail or skip. */
export async function testPostgres(): Promise<TestPostgres> {
  const unreachable = await probe(PG_URL);
  const made: string[] = [];
  let template: Promise<string> | undefined;
  const failure = unreachable
    ? `PostgreSQL at ${PG_URL} is not reachable (${unreachable}); start it with \`bash scripts/pg-test.sh start\` or set FULCRUM_TEST_PG_URL`
    : undefined;
  return {
    skip: failure && !inCi() ? `${failure} — skipped outside CI` : false,
    async fresh(opts = {}) {
      if (failure) throw new Error(`${failure} (CI is set, so this is a failure)`);
      const from = opts.migrated ? await (template ??= migratedTemplate()) : 'template0';
      return create(from);
    },
    async query(url, text, values = []) {
      return admin(url, async (c) => (await c.query(text, values)).rows);
    },
    async dropAll() {
      template = undefined;
      const names = made.splice(0);
      // A few at a time: one by one takes long on a busy machine, all at once floods the server.
      for (let i = 0; i < names.length; i += 8) {
        await Promise.all(names.slice(i, i + 8).map((name) =>
          admin(PG_URL, (c) => c.query(`drop database if exists "${name}" with (force)`))));
      }
    },
  };

  async function create(from: string): Promise<string> {
    const name = `fulcrum_t_${randomBytes(6).toString('hex')}`;
    await admin(PG_URL, (c) => c.query(`create database "${name}" template "${from}"`));
    made.push(name);
    const url = new URL(PG_URL);
    url.pathname = `/${name}`;
    return url.toString();
  }

  /** A database the Store migrated, closed again so it can serve as a template. */
  async function migratedTemplate(): Promise<string> {
    const url = await create('template0');
    await (await openStore(url)).close();
    return new URL(url).pathname.slice(1);
  }
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Answers why the server cannot be used, or undefined when it can. */
async function probe(url: string): Promise<string | undefined> {
  try {
    await admin(url, (c) => c.query('select 1'));
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message || err.name : String(err);
  }
}
