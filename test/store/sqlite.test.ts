// The Store contract on SQLite: each test gets its own database file in a temporary
// directory (a file, not :memory:, so a database can be opened twice, as two processes would).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { storeContract } from './contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'fulcrum-store-'));

storeContract({
  dialect: 'sqlite',
  skip: false,
  async fresh() {
    return `sqlite:${join(dir, `${randomBytes(6).toString('hex')}.sqlite`)}`;
  },
  async query(url, text) {
    const db = new Database(url.slice('sqlite:'.length), { readonly: true });
    try {
      return db.prepare(text).all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
  },
  async dropAll() {
    rmSync(dir, { recursive: true, force: true });
  },
});
