// A schema change named in LATER must give a fresh database the same tables and columns as
// the initial migration alone would, and record itself as applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { migrate } from '../../src/store/migrations.ts';
import type { SchemaChange } from '../../src/store/migrations.ts';

async function shape(changes: SchemaChange[]) {
  const database = new Database(':memory:');
  const db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
  await migrate(db, 'sqlite', changes);
  const tables = database.prepare(`select name from sqlite_master where type = 'table' and name not like 'kysely%' order by name`).all() as { name: string }[];
  const columns = Object.fromEntries(tables.map(({ name }) =>
    [name, (database.prepare(`pragma table_info(${name})`).all() as { name: string }[]).map((c) => c.name).sort()]));
  const indexes = (database.prepare(`select name from sqlite_master where type = 'index' and name not like 'sqlite_%' order by name`).all() as { name: string }[]).map((i) => i.name);
  const applied = (database.prepare('select name from kysely_migration order by name').all() as { name: string }[]).map((m) => m.name);
  await db.destroy();
  return { columns, indexes, applied };
}

test('tables and columns added by a later change end up as the initial migration alone makes them', async () => {
  const change: SchemaChange = {
    name: '0002_example', tables: ['listener_stats', 'member'], columns: { amphora: ['vrrp_priority', 'role'] },
  };
  const plain = await shape([]);
  const split = await shape([change]);
  assert.deepEqual(split.columns, plain.columns);
  assert.deepEqual(split.indexes, plain.indexes);
  assert.deepEqual(plain.applied, ['0001_initial']);
  assert.deepEqual(split.applied, ['0001_initial', '0002_example']);
});
