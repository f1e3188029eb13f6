// Versioned migrations, run at start-up by every role that opens the database.
// Each migration is frozen once released: add a new one rather than editing an old one.
import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import { TABLES, UNIQUES } from './schema.ts';
import type { ColumnType, Kind } from './schema.ts';

function sqlType(type: ColumnType, dialect: 'sqlite' | 'postgres') {
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

const initial = (dialect: 'sqlite' | 'postgres'): Migration => ({
  async up(db: Kysely<any>) {
    for (const [kind, spec] of Object.entries(TABLES) as [Kind, (typeof TABLES)[Kind]][]) {
      let table = db.schema.createTable(kind);
      for (const [column, type] of Object.entries(spec.columns)) {
        table = table.addColumn(column, sql.raw(sqlType(type as ColumnType, dialect)) as any);
      }
      table = table.addPrimaryKeyConstraint(`${kind}_pk`, spec.key as any);
      await table.execute();
      for (const cols of spec.indexes ?? []) {
        await db.schema.createIndex(`${kind}_${cols.join('_')}_idx`).on(kind).columns(cols).execute();
      }
    }
    for (const { kind, columns } of UNIQUES) {
      await db.schema.createIndex(`${kind}_${columns.join('_')}_uq`).on(kind).columns(columns).unique().execute();
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

export async function migrate(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  // PostgreSQL: Kysely runs the migrations in a transaction under its lock-table row lock.
  if (dialect === 'postgres') return migrateWith(db, dialect);
  // SQLite: Kysely uses neither a transaction nor a lock there, so a crash mid-way would leave
  // half the tables and two processes starting at once would both create them. One
  // BEGIN IMMEDIATE transaction makes it all-or-nothing and lets the second wait, then find
  // the work done.
  await db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      await migrateWith(conn, dialect);
    } catch (err) {
      await sql`rollback`.execute(conn);
      throw err;
    }
    await sql`commit`.execute(conn);
  });
}

async function migrateWith(db: Kysely<any>, dialect: 'sqlite' | 'postgres'): Promise<void> {
  const migrations: Record<string, Migration> = { '0001_initial': initial(dialect) };
  const provider: MigrationProvider = { getMigrations: async () => migrations };
  const { error } = await new Migrator({ db, provider }).migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
