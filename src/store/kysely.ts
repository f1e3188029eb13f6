// The Store on Kysely, for SQLite (better-sqlite3) and PostgreSQL (pg). Rows are converted
// to entities through the column types in schema.ts, so both databases return equal objects.
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, SqliteDriver, sql } from 'kysely';
import type { DatabaseConnection, Driver, SqliteDialectConfig, Transaction } from 'kysely';
import { TABLES } from './schema.ts';
import type { ColumnType, Entities, Kind } from './schema.ts';
import type { Store, Where } from './store.ts';
import type { LoadBalancerGraph, Network, Subnet } from '../domain/entities.ts';
import type { ProvisioningStatus } from '../domain/enums.ts';
import { migrate } from './migrations.ts';

type Dialect = 'sqlite' | 'postgres';

export class KyselyStore implements Store {
  readonly dialect: Dialect;
  private readonly db: Kysely<any>;
  private readonly inTransaction: boolean;

  constructor(db: Kysely<any>, dialect: Dialect, inTransaction = false) {
    this.db = db;
    this.dialect = dialect;
    this.inTransaction = inTransaction;
  }

  async get<K extends Kind>(kind: K, key: string | Where<K>): Promise<Entities[K] | undefined> {
    const row = await this.select(kind, this.keyWhere(kind, key)).limit(1).executeTakeFirst();
    return row ? this.fromRow(kind, row) : undefined;
  }

  async find<K extends Kind>(kind: K, where: Where<K> = {}): Promise<Entities[K][]> {
    const rows = await this.select(kind, where).execute();
    // In key order, compared here rather than in SQL: without ORDER BY SQLite answers in
    // insertion order and PostgreSQL in whatever order updates left the rows, and SQL
    // ordering of text follows the database's collation. Both must answer alike.
    return rows.map((row) => this.fromRow(kind, row)).sort(byKey(TABLES[kind].key));
  }

  async count<K extends Kind>(kind: K, where: Where<K> = {}): Promise<number> {
    let q = (this.db.selectFrom(kind as string) as any).select(sql<number>`count(*)`.as('n'));
    q = this.applyWhere(q, kind, where);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async insert<K extends Kind>(kind: K, row: Entities[K]): Promise<void> {
    await this.db.insertInto(kind).values(this.toRow(kind, row)).execute();
  }

  async update<K extends Kind>(kind: K, key: string | Where<K>, patch: Partial<Entities[K]>): Promise<boolean> {
    return (await this.updateWhere(kind, this.keyWhere(kind, key), patch)) > 0;
  }

  async updateWhere<K extends Kind>(kind: K, where: Where<K>, patch: Partial<Entities[K]>): Promise<number> {
    const values = this.toRow(kind, patch);
    if (Object.keys(values).length === 0) return this.count(kind, where);
    let q = this.db.updateTable(kind as string).set(values as any);
    q = this.applyWhere(q, kind, where);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async delete<K extends Kind>(kind: K, where: Where<K>): Promise<number> {
    let q = this.db.deleteFrom(kind);
    q = this.applyWhere(q, kind, where);
    const result = await q.executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async lockLoadBalancer(id: string, from: readonly ProvisioningStatus[], to: ProvisioningStatus): Promise<boolean> {
    if (from.length === 0) return false; // `in ()` is a syntax error on PostgreSQL
    const result = await this.db.updateTable('load_balancer')
      .set({ provisioning_status: to, generation: sql`generation + 1`, updated_at: new Date().toISOString() })
      .where('id', '=', id)
      .where('provisioning_status', 'in', [...from])
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async lockProject(projectId: string): Promise<void> {
    // Outside a transaction the lock would be gone before the quota check that needs it.
    if (!this.inTransaction) throw new Error('lockProject must be called inside a transaction');
    // The project's quota row is the lock; like Octavia, create it (all defaults) on first use.
    await sql`insert into quota (project_id) values (${projectId}) on conflict (project_id) do nothing`.execute(this.db);
    // SQLite transactions take the write lock when they begin (see ImmediateSqliteDriver).
    if (this.dialect === 'sqlite') return;
    await sql`select project_id from quota where project_id = ${projectId} for update`.execute(this.db);
  }

  async lockNetwork(networkId: string): Promise<void> {
    if (!this.inTransaction) throw new Error('lockNetwork must be called inside a transaction');
    // SQLite transactions already hold the write lock (BEGIN IMMEDIATE).
    if (this.dialect === 'sqlite') return;
    await sql`select id from network where id = ${networkId} for update`.execute(this.db);
  }

  async dirtyLoadBalancers(limit: number): Promise<{ id: string; generation: number }[]> {
    const rows = await this.db.selectFrom('load_balancer')
      .select(['id', 'generation'])
      .whereRef('generation', '>', 'applied_generation')
      // Oldest change first; a never-updated LB changed when it was created. (A bare
      // updated_at would put NULLs first on SQLite and last on PostgreSQL.)
      .orderBy(sql`coalesce(updated_at, created_at)`)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map((r) => ({ id: r.id, generation: Number(r.generation) }));
  }

  async graph(loadBalancerId: string): Promise<LoadBalancerGraph | undefined> {
    const loadBalancer = await this.get('load_balancer', loadBalancerId);
    if (!loadBalancer) return undefined;
    const under = { load_balancer_id: loadBalancerId };
    const [listeners, pools, members, healthMonitors, l7policies, l7rules] = await Promise.all([
      this.find('listener', under), this.find('pool', under), this.find('member', under),
      this.find('health_monitor', under), this.find('l7policy', under), this.find('l7rule', under),
    ]);
    return { loadBalancer, listeners, pools, members, healthMonitors, l7policies, l7rules };
  }

  async networks(): Promise<Network[]> {
    return (await this.db.selectFrom('network').selectAll().execute()) as Network[];
  }

  async subnets(): Promise<Subnet[]> {
    const rows = await this.db.selectFrom('subnet').selectAll().execute();
    return rows.map((r) => ({ ...r, ip_version: Number(r.ip_version) })) as Subnet[];
  }

  async insertNetwork(network: Network, subnets: Subnet[]): Promise<void> {
    await this.db.insertInto('network').values(network).execute();
    for (const subnet of subnets) await this.db.insertInto('subnet').values(subnet).execute();
  }

  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.db.transaction().execute((trx: Transaction<any>) => fn(new KyselyStore(trx, this.dialect, true)));
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private select<K extends Kind>(kind: K, where: Where<K>) {
    return this.applyWhere(this.db.selectFrom(kind as string).selectAll(), kind, where);
  }

  private keyWhere<K extends Kind>(kind: K, key: string | Where<K>): Where<K> {
    return typeof key === 'string' ? ({ [TABLES[kind].key[0]]: key } as Where<K>) : key;
  }

  private applyWhere<Q extends { where: (...args: any[]) => any }>(q: Q, kind: Kind, where: object): Q {
    const columns = TABLES[kind].columns as Record<string, ColumnType>;
    for (const [column, value] of Object.entries(where)) {
      if (value === undefined) continue;
      if (!(column in columns)) throw new Error(`unknown column ${kind}.${column}`);
      if (value === null) q = q.where(column, 'is', null);
      else if (Array.isArray(value)) {
        if (value.length === 0) q = q.where(sql`1`, '=', 0);
        else q = q.where(column, 'in', value.map((v) => this.toColumn(columns[column], v)));
      } else q = q.where(column, '=', this.toColumn(columns[column], value));
    }
    return q;
  }

  private toColumn(type: ColumnType, value: unknown): unknown {
    if (value === null || value === undefined) return null;
    if (type === 'json') return JSON.stringify(value);
    if (type === 'bool' && this.dialect === 'sqlite') return value ? 1 : 0;
    return value;
  }

  private toRow(kind: Kind, entity: object): Record<string, unknown> {
    const columns = TABLES[kind].columns as Record<string, ColumnType>;
    const row: Record<string, unknown> = {};
    for (const [column, value] of Object.entries(entity)) {
      if (value === undefined || !(column in columns)) continue;
      row[column] = this.toColumn(columns[column], value);
    }
    return row;
  }

  private fromRow<K extends Kind>(kind: K, row: Record<string, unknown>): Entities[K] {
    const columns = TABLES[kind].columns as Record<string, ColumnType>;
    const entity: Record<string, unknown> = {};
    for (const [column, type] of Object.entries(columns)) {
      const value = row[column];
      if (value === null || value === undefined) entity[column] = null;
      else if (type === 'json') entity[column] = JSON.parse(value as string);
      else if (type === 'bool') entity[column] = value === true || value === 1;
      else if (type === 'int' || type === 'bigint' || type === 'real') entity[column] = Number(value);
      else entity[column] = value;
    }
    return entity as unknown as Entities[K];
  }
}

/** Compares rows by their key columns, string by string. */
function byKey(key: string[]) {
  return (a: object, b: object): number => {
    for (const column of key) {
      const x = String((a as Record<string, unknown>)[column]);
      const y = String((b as Record<string, unknown>)[column]);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

/**
 * SQLite transactions that take the write lock when they begin (BEGIN IMMEDIATE). With a
 * plain BEGIN, a transaction that read and then writes fails with SQLITE_BUSY when another
 * process wrote in between; with IMMEDIATE it waits (busy_timeout) and then reads fresh rows,
 * so the LB lock's read-then-test-and-set stays a clean 409 across processes.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  private readonly config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.config);
  }
}

/** Opens the store a URL names: `sqlite:<file>` / `sqlite::memory:`, or `postgres://...`. */
export async function openStore(url: string): Promise<Store> {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pg = await import('pg');
    // COUNT and BIGINT come back as strings by default; the store converts them itself.
    const pool = new pg.default.Pool({ connectionString: url, max: 10 });
    // An idle connection the server ends (restart, failover, a dropped database) is emitted
    // as a pool error, which without a listener crashes the process; the pool simply opens
    // a new connection on next use.
    pool.on('error', () => undefined);
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
    await migrate(db, 'postgres');
    return new KyselyStore(db, 'postgres');
  }
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length) || ':memory:';
    const { default: Database } = await import('better-sqlite3');
    const database = new Database(file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    database.pragma('busy_timeout = 5000');
    const db = new Kysely<any>({ dialect: new ImmediateSqliteDialect({ database }) });
    await migrate(db, 'sqlite');
    return new KyselyStore(db, 'sqlite');
  }
  throw new Error(`unsupported database URL ${url}: use sqlite:<file> or postgres://...`);
}
