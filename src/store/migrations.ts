// Versioned migrations, run at start-up by every role that opens the database.
// Each migration is frozen once released: add a new one rather than editing an old one.
import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { TABLES, UNIQUES } from './schema.ts';
import type { ColumnType, Kind } from './schema.ts';

type Dialect = 'sqlite' | 'postgres';

function sqlType(type: ColumnType, dialect: Dialect) {
  switch (type) {
    case 'text':
    case 'json':
      return 'text';
    case 'int':
      return 'integer';
    case 'bigint':
      return 'bigint';
    case 'real':
      return dialect === 'postgres' ? 'double precision' : 'real';
    case 'bool':
      return dialect === 'postgres' ? 'boolean' : 'integer';
  }
}

/**
 * Schema changes made after the first release, oldest first. TABLES describes the schema as it
 * is now; each entry here names the tables and columns (of TABLES) it added, so the initial
 * migration leaves those out and this one creates them. To change the schema: edit TABLES and
 * append an entry with the next number. Released entries are never edited.
 */
export const LATER: SchemaChange[] = [
  {
    name: '0002_identity_builtin',
    tables: ['identity_project', 'identity_user', 'identity_role_assignment', 'identity_app_credential', 'identity_token'],
  },
  { name: '0002_secrets', tables: ['secret', 'secret_container'] },
  // The health role's base for counter deltas (src/domain/counters.ts).
  { name: '0002_health_counters', columns: { listener_stats: ['counters'] } },
];

export interface SchemaChange {
  name: string;
  tables?: Kind[];
  columns?: Partial<Record<Kind, string[]>>;
}

const addedLater = (changes: SchemaChange[], kind: Kind, column?: string) =>
  changes.some((c) => c.tables?.includes(kind) || (column !== undefined && c.columns?.[kind]?.includes(column)));

async function createTable(db: Kysely<any>, dialect: Dialect, kind: Kind, keep: (column: string) => boolean) {
  const spec = TABLES[kind];
  let table = db.schema.createTable(kind);
  for (const [column, type] of Object.entries(spec.columns)) {
    if (keep(column)) table = table.addColumn(column, sql.raw(sqlType(type as ColumnType, dialect)) as any);
  }
  await table.addPrimaryKeyConstraint(`${kind}_pk`, spec.key as any).execute();
  for (const cols of spec.indexes ?? []) {
    if (cols.every(keep)) await db.schema.createIndex(`${kind}_${cols.join('_')}_idx`).on(kind).columns(cols).execute();
  }
}

const later = (dialect: Dialect, change: SchemaChange): Migration => ({
  async up(db: Kysely<any>) {
    for (const kind of change.tables ?? []) {
      await createTable(db, dialect, kind, () => true);
      for (const u of UNIQUES.filter((u) => u.kind === kind)) await createUnique(db, u);
    }
    for (const [kind, columns] of Object.entries(change.columns ?? {}) as [Kind, string[]][]) {
      for (const column of columns) {
        const type = (TABLES[kind].columns as Record<string, ColumnType>)[column];
        await db.schema.alterTable(kind).addColumn(column, sql.raw(sqlType(type, dialect)) as any).execute();
      }
    }
  },
});

const createUnique = (db: Kysely<any>, { kind, columns }: (typeof UNIQUES)[number]) =>
  db.schema.createIndex(`${kind}_${columns.join('_')}_uq`).on(kind).columns(columns).unique().execute();

const initial = (dialect: Dialect, changes: SchemaChange[]): Migration => ({
  async up(db: Kysely<any>) {
    const isLater = (kind: Kind, column?: string) => addedLater(changes, kind, column);
    for (const kind of Object.keys(TABLES) as Kind[]) {
      if (!isLater(kind)) await createTable(db, dialect, kind, (column) => !isLater(kind, column));
    }
    for (const u of UNIQUES) {
      if (!isLater(u.kind) && !u.columns.some((c) => isLater(u.kind, c))) await createUnique(db, u);
    }
    // Objects that only the network model needs: networks and subnets clients reference by id.
    await db.schema.createTable('network')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('project_id', 'text')
      .addColumn('name', 'text')
      .addColumn('created_at', 'text')
      .execute();
    await db.schema.createTable('subnet')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('network_id', 'text')
      .addColumn('project_id', 'text')
      .addColumn('name', 'text')
      .addColumn('cidr', 'text')
      .addColumn('ip_version', 'integer')
      .addColumn('gateway_ip', 'text')
      .addColumn('created_at', 'text')
      .execute();
  },
});

export async function migrate(db: Kysely<any>, dialect: Dialect, changes: SchemaChange[] = LATER): Promise<void> {
  // PostgreSQL: Kysely runs the migrations in a transaction under its lock-table row lock.
  if (dialect === 'postgres') return migrateWith(db, dialect, changes);
  // SQLite: Kysely uses neither a transaction nor a lock there, so a crash mid-way would leave
  // half the tables and two processes starting at once would both create them. One
  // BEGIN IMMEDIATE transaction makes it all-or-nothing and lets the second wait, then find
  // the work done.
  await db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      await migrateWith(conn, dialect, changes);
    } catch (err) {
      await sql`rollback`.execute(conn);
      throw err;
    }
    await sql`commit`.execute(conn);
  });
}

async function migrateWith(db: Kysely<any>, dialect: Dialect, changes: SchemaChange[]): Promise<void> {
  const migrations: Record<string, Migration> = { '0001_initial': initial(dialect, changes) };
  for (const change of changes) migrations[change.name] = later(dialect, change);
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  // Changes developed side by side may land in either order; each only adds.
  const { error } = await new Migrator({ db, provider, allowUnorderedMigrations: true }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
