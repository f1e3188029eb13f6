// The Store contract: what services and the worker may rely on, asserted the same way on
// every database. sqlite.test.ts and postgres.test.ts run it; both must give equal answers.
// Each test opens its own fresh database, so nothing one test writes is seen by another.
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/kysely.ts';
import type { Store } from '../../src/store/store.ts';
import type { Kind } from '../../src/store/schema.ts';
import { TABLES } from '../../src/store/schema.ts';
import { LATER } from '../../src/store/migrations.ts';
import { KINDS, byId, keyOf, listener, loadBalancer, member, nonKey, pool, sample } from './rows.ts';
import { lockContract } from './contract-locks.ts';
import { inProcesses } from './process.ts';

/** A way to get fresh, empty databases of one kind. */
export interface Databases {
  dialect: 'sqlite' | 'postgres';
  /** A reason to skip the whole suite, else false. */
  skip: string | false;
  /** Creates an empty database (or, if it can do so faster, an already migrated one); answers the URL openStore() takes. */
  fresh(opts?: { migrated?: boolean }): Promise<string>;
  /** Raw SQL on a database fresh() made, to look below the Store port. */
  query(url: string, text: string): Promise<Record<string, unknown>[]>;
  /** Removes every database fresh() made. */
  dropAll(): Promise<void>;
}

/** What each test gets: stores on fresh databases, closed for it at the end. */
export interface Harness {
  dialect: Databases['dialect'];
  /** A store on a new empty database. */
  open(): Promise<Store>;
  /** Another store on the database at `url` (a second process, as far as the database can tell). */
  reopen(url: string): Promise<Store>;
  fresh(): Promise<string>;
  query: Databases['query'];
}

export function storeContract(databases: Databases): void {
  describe(`Store contract on ${databases.dialect}`, { skip: databases.skip }, () => {
    const opened: Store[] = [];
    const h: Harness = {
      dialect: databases.dialect,
      fresh: () => databases.fresh(),
      query: (url, text) => databases.query(url, text),
      async reopen(url) {
        const store = await openStore(url);
        opened.push(store);
        return store;
      },
      async open() {
        return h.reopen(await databases.fresh({ migrated: true }));
      },
    };
    after(async () => {
      for (const store of opened.splice(0)) await store.close();
      await databases.dropAll();
    });

    test('the store says which database it is on', async () => {
      assert.equal((await h.open()).dialect, databases.dialect);
    });

    rowContract(h);
    whereContract(h);
    transactionContract(h);
    networkContract(h);
    migrationContract(h);
    lockContract(h);
  });
}

function rowContract(h: Harness) {
  describe('rows of every kind round-trip every column type', () => {
    for (const kind of KINDS) {
      test(`${kind}: insert, get, find, update to other values, to nulls, delete`, async () => {
        const store = await h.open();
        const full = sample(kind, 'full');
        const alt = sample(kind, 'alt');
        const nulls = sample(kind, 'nulls');
        for (const row of [full, alt, nulls]) await store.insert(kind, row);

        for (const row of [full, alt, nulls]) assert.deepEqual(await store.get(kind, keyOf(kind, row) as any), row);
        assert.deepEqual(await store.get(kind, (full as any)[TABLES[kind].key[0]]), full, 'get by a string key');
        assert.equal(await store.count(kind), 3);
        assert.deepEqual(sortRows(kind, await store.find(kind)), sortRows(kind, [full, alt, nulls]));

        // Rewrite the full row with the other values, then with nulls: update() writes every type.
        // (The alt row goes first: unique columns would refuse a second row with its values.)
        assert.equal(await store.delete(kind, keyOf(kind, alt) as any), 1);
        assert.equal(await store.update(kind, keyOf(kind, full) as any, nonKey(kind, alt) as any), true);
        assert.deepEqual(await store.get(kind, keyOf(kind, full) as any), { ...alt, ...keyOf(kind, full) });
        assert.equal(await store.update(kind, keyOf(kind, full) as any, nonKey(kind, nulls) as any), true);
        assert.deepEqual(await store.get(kind, keyOf(kind, full) as any), { ...nulls, ...keyOf(kind, full) });
        assert.deepEqual(await store.get(kind, keyOf(kind, nulls) as any), nulls, 'other rows untouched');

        assert.equal(await store.delete(kind, keyOf(kind, full) as any), 1);
        assert.equal(await store.get(kind, keyOf(kind, full) as any), undefined);
        assert.equal(await store.count(kind), 1);
      });
    }

    test('numbers come back as numbers, booleans as booleans, JSON as values', async () => {
      const store = await h.open();
      await store.insert('listener_stats', sample('listener_stats', 'full', { listener_id: 'l', amphora_id: 'a' }));
      const stats = await store.get('listener_stats', { listener_id: 'l', amphora_id: 'a' });
      assert.equal(typeof stats!.bytes_in, 'number');
      assert.equal(stats!.bytes_in, Number.MAX_SAFE_INTEGER);
      const lb = loadBalancer({ admin_state_up: false, additional_vips: [{ subnet_id: 's', ip_address: null }], generation: 7 });
      await store.insert('load_balancer', lb);
      const got = await store.get('load_balancer', lb.id);
      assert.equal(got!.admin_state_up, false);
      assert.equal(got!.generation, 7);
      assert.deepEqual(got!.additional_vips, [{ subnet_id: 's', ip_address: null }]);
      const count = await store.count('load_balancer');
      assert.equal(typeof count, 'number');
    });

    test('insert ignores properties that are not columns and stores absent ones as null', async () => {
      const store = await h.open();
      const lb = loadBalancer();
      const { vip_qos_policy_id: _absent, ...partial } = lb;
      await store.insert('load_balancer', { ...partial, listeners: [{ id: 'x' }] } as any);
      assert.deepEqual(await store.get('load_balancer', lb.id), { ...lb, vip_qos_policy_id: null });
    });

    test('inserting a key that exists fails and leaves the first row', async () => {
      const store = await h.open();
      const lb = loadBalancer({ name: 'first' });
      await store.insert('load_balancer', lb);
      await assert.rejects(store.insert('load_balancer', { ...lb, name: 'second' }));
      assert.equal((await store.get('load_balancer', lb.id))!.name, 'first');
    });

    test('unique names are the database\'s last word', async () => {
      const store = await h.open();
      await store.insert('flavor', sample('flavor', 'full'));
      await assert.rejects(store.insert('flavor', { ...sample('flavor', 'full') }), 'a second flavor with the same name');
      assert.equal(await store.count('flavor'), 1);
    });

    test('update and delete answer what they matched; an empty patch changes nothing', async () => {
      const store = await h.open();
      const lb = loadBalancer();
      await store.insert('load_balancer', lb);
      assert.equal(await store.update('load_balancer', 'no-such-id', { name: 'x' }), false);
      assert.equal(await store.update('load_balancer', lb.id, {}), true);
      assert.equal(await store.update('load_balancer', 'no-such-id', {}), false);
      assert.equal(await store.update('load_balancer', lb.id, { name: undefined, description: 'd' }), true);
      assert.deepEqual(await store.get('load_balancer', lb.id), { ...lb, description: 'd' }, 'undefined in a patch is left alone');
      assert.equal(await store.delete('load_balancer', { id: 'no-such-id' }), 0);
      assert.deepEqual(await store.find('load_balancer'), [{ ...lb, description: 'd' }]);
    });

    test('find answers rows in key order on every database, also after updates', async () => {
      const store = await h.open();
      const lbs = ['c', 'a', 'e', 'b', 'd'].map((p) => loadBalancer({ id: `${p}-${randomUUID()}` }));
      for (const lb of lbs) await store.insert('load_balancer', lb);
      // PostgreSQL writes an updated row at the end of the table; the order must not follow it.
      await store.update('load_balancer', lbs[1].id, { name: 'moved' });
      await store.update('load_balancer', lbs[0].id, { name: 'moved' });
      assert.deepEqual((await store.find('load_balancer')).map((lb) => lb.id), byId(lbs).map((lb) => lb.id));
    });
  });
}

function whereContract(h: Harness) {
  describe('where clauses', () => {
    async function seeded() {
      const store = await h.open();
      const a = loadBalancer({ project_id: 'pa', name: 'a', provisioning_status: 'ACTIVE', admin_state_up: true, generation: 1 });
      const b = loadBalancer({ project_id: 'pa', name: null, provisioning_status: 'ERROR', admin_state_up: false, generation: 2 });
      const c = loadBalancer({ project_id: 'pb', name: 'c', provisioning_status: 'PENDING_UPDATE', admin_state_up: true, generation: 3 });
      for (const lb of [a, b, c]) await store.insert('load_balancer', lb);
      return { store, a, b, c };
    }
    const ids = (rows: { id: string }[]) => rows.map((r) => r.id).sort();

    test('equality on text, int and bool columns; several columns are ANDed', async () => {
      const { store, a, b, c } = await seeded();
      assert.deepEqual(ids(await store.find('load_balancer', { project_id: 'pa' })), ids([a, b]));
      assert.deepEqual(ids(await store.find('load_balancer', { generation: 3 })), ids([c]));
      assert.deepEqual(ids(await store.find('load_balancer', { admin_state_up: false })), ids([b]));
      assert.deepEqual(ids(await store.find('load_balancer', { admin_state_up: true })), ids([a, c]));
      assert.deepEqual(ids(await store.find('load_balancer', { project_id: 'pa', admin_state_up: true })), ids([a]));
      assert.equal(await store.count('load_balancer', { project_id: 'pa', generation: 3 }), 0);
      assert.deepEqual(await store.get('load_balancer', { project_id: 'pb' }), c);
    });

    test('an array is IN, null is IS NULL, undefined is ignored', async () => {
      const { store, a, b, c } = await seeded();
      assert.deepEqual(ids(await store.find('load_balancer', { provisioning_status: ['ACTIVE', 'ERROR'] })), ids([a, b]));
      assert.deepEqual(ids(await store.find('load_balancer', { id: [c.id] })), ids([c]));
      assert.deepEqual(ids(await store.find('load_balancer', { generation: [1, 3] })), ids([a, c]));
      assert.deepEqual(ids(await store.find('load_balancer', { admin_state_up: [false] })), ids([b]));
      assert.deepEqual(ids(await store.find('load_balancer', { name: null })), ids([b]));
      assert.deepEqual(ids(await store.find('load_balancer', { name: undefined, project_id: 'pb' })), ids([c]));
      assert.equal(await store.count('load_balancer', { name: null, project_id: 'pb' }), 0);
    });

    test('an empty array matches nothing, for every operation', async () => {
      const { store } = await seeded();
      assert.deepEqual(await store.find('load_balancer', { id: [] }), []);
      assert.equal(await store.count('load_balancer', { id: [] }), 0);
      assert.equal(await store.get('load_balancer', { id: [] }), undefined);
      assert.equal(await store.updateWhere('load_balancer', { id: [] }, { name: 'x' }), 0);
      assert.equal(await store.update('load_balancer', { id: [] }, { name: 'x' }), false);
      assert.equal(await store.delete('load_balancer', { project_id: [] }), 0);
      assert.equal(await store.count('load_balancer', { name: 'x' }), 0);
      assert.equal(await store.count('load_balancer'), 3);
    });

    test('updateWhere and delete answer how many rows they touched', async () => {
      const { store, a, b, c } = await seeded();
      assert.equal(await store.updateWhere('load_balancer', { project_id: 'pa' }, { operating_status: 'OFFLINE' }), 2);
      assert.deepEqual(ids(await store.find('load_balancer', { operating_status: 'OFFLINE' })), ids([a, b]));
      assert.equal(await store.updateWhere('load_balancer', { name: null }, { name: 'named' }), 1);
      assert.equal((await store.get('load_balancer', b.id))!.name, 'named');
      assert.equal(await store.updateWhere('load_balancer', { project_id: 'nobody' }, { name: 'x' }), 0);
      assert.equal(await store.updateWhere('load_balancer', { project_id: 'pa' }, {}), 2, 'an empty patch counts the matches');
      assert.equal(await store.delete('load_balancer', { provisioning_status: ['ERROR', 'PENDING_UPDATE'] }), 2);
      assert.deepEqual(ids(await store.find('load_balancer')), ids([a]));
      assert.ok(c);
    });

    test('an unknown column is refused, not ignored', async () => {
      const { store } = await seeded();
      await assert.rejects(store.find('load_balancer', { bogus: 1 } as any), /unknown column/);
      await assert.rejects(store.updateWhere('load_balancer', { bogus: 1 } as any, { name: 'x' }), /unknown column/);
      await assert.rejects(store.delete('load_balancer', { bogus: 1 } as any), /unknown column/);
      assert.equal(await store.count('load_balancer'), 3);
    });
  });

  test('graph() gathers one load balancer and all its children, no one else\'s', async () => {
    const store = await h.open();
    assert.equal(await store.graph('no-such-lb'), undefined);
    const lb = loadBalancer();
    const other = loadBalancer();
    await store.insert('load_balancer', lb);
    await store.insert('load_balancer', other);
    assert.deepEqual(await store.graph(lb.id), {
      loadBalancer: lb, listeners: [], pools: [], members: [], healthMonitors: [], l7policies: [], l7rules: [],
    });
    const listeners = [listener(lb, { protocol_port: 80 }), listener(lb, { protocol_port: 443 })];
    const p = pool(lb, { listener_id: listeners[0].id, session_persistence: { type: 'APP_COOKIE', cookie_name: 'c', persistence_timeout: null, persistence_granularity: null } });
    const members = [member(p), member(p, { address: '192.0.2.11', backup: true })];
    const hm = { ...sample('health_monitor', 'full'), load_balancer_id: lb.id, pool_id: p.id };
    const policy = { ...sample('l7policy', 'full'), load_balancer_id: lb.id, listener_id: listeners[0].id };
    const rule = { ...sample('l7rule', 'alt'), load_balancer_id: lb.id, l7policy_id: policy.id };
    for (const l of listeners) await store.insert('listener', l);
    await store.insert('pool', p);
    for (const m of members) await store.insert('member', m);
    await store.insert('health_monitor', hm);
    await store.insert('l7policy', policy);
    await store.insert('l7rule', rule);
    const otherListener = listener(other);
    await store.insert('listener', otherListener);
    await store.insert('member', member(pool(other)));

    assert.deepEqual(await store.graph(lb.id), {
      loadBalancer: lb, listeners: byId(listeners), pools: [p], members: byId(members),
      healthMonitors: [hm], l7policies: [policy], l7rules: [rule],
    });
    const otherGraph = await store.graph(other.id);
    assert.deepEqual(otherGraph!.listeners, [otherListener]);
    assert.equal(otherGraph!.members.length, 1);
  });
}

function transactionContract(h: Harness) {
  describe('transactions', () => {
    test('what a transaction writes is there after it commits, and it answers fn\'s value', async () => {
      const store = await h.open();
      const lb = loadBalancer();
      const answer = await store.transaction(async (tx) => {
        await tx.insert('load_balancer', lb);
        assert.deepEqual(await tx.get('load_balancer', lb.id), lb, 'a transaction reads its own writes');
        return 42;
      });
      assert.equal(answer, 42);
      assert.deepEqual(await store.get('load_balancer', lb.id), lb);
    });

    test('a throw inside transaction() leaves nothing written, whatever kind of write', async () => {
      const store = await h.open();
      const kept = loadBalancer({ name: 'kept' });
      const doomed = loadBalancer({ name: 'doomed' });
      await store.insert('load_balancer', kept);
      await store.insert('load_balancer', doomed);
      const boom = new Error('boom');
      await assert.rejects(store.transaction(async (tx) => {
        await tx.insert('load_balancer', loadBalancer());
        await tx.update('load_balancer', kept.id, { name: 'changed' });
        await tx.updateWhere('load_balancer', { project_id: 'p1' }, { operating_status: 'ERROR' });
        await tx.delete('load_balancer', { id: doomed.id });
        assert.equal(await tx.lockLoadBalancer(kept.id, ['ACTIVE'], 'PENDING_UPDATE'), true);
        await tx.insertNetwork({ id: 'n', project_id: 'p1', name: 'n', created_at: 'now' }, []);
        await tx.insert('quota', { ...sample('quota', 'nulls', { project_id: 'qp' }), load_balancer: 1 });
        throw boom;
      }), (err) => err === boom);
      assert.deepEqual(byId(await store.find('load_balancer')), byId([kept, doomed]));
      assert.deepEqual(await store.networks(), []);
      assert.equal(await store.count('quota'), 0);
    });

    test('a database error inside a transaction rolls it all back and reaches the caller', async () => {
      const store = await h.open();
      const lb = loadBalancer();
      await store.insert('load_balancer', lb);
      await assert.rejects(store.transaction(async (tx) => {
        await tx.update('load_balancer', lb.id, { name: 'changed' });
        await tx.insert('load_balancer', lb);
      }));
      assert.equal((await store.get('load_balancer', lb.id))!.name, 'lb');
      // The store is usable afterwards: the failed transaction released its connection.
      await store.insert('load_balancer', loadBalancer());
      assert.equal(await store.count('load_balancer'), 2);
    });

    test('a nested transaction() joins the outer one: one commit, one rollback', async () => {
      const store = await h.open();
      const inner = loadBalancer({ name: 'inner' });
      await assert.rejects(store.transaction(async (tx) => {
        const value = await tx.transaction(async (nested) => {
          await nested.insert('load_balancer', inner);
          return 'done';
        });
        assert.equal(value, 'done');
        assert.deepEqual(await tx.get('load_balancer', inner.id), inner, 'the outer sees what the inner wrote');
        throw new Error('outer fails after the inner returned');
      }), /outer fails/);
      assert.equal(await store.get('load_balancer', inner.id), undefined, 'the inner write went with the outer rollback');

      await store.transaction((tx) => tx.transaction((nested) => nested.insert('load_balancer', inner)));
      assert.deepEqual(await store.get('load_balancer', inner.id), inner);
    });

    test('transactions after one another all commit (connections are given back)', async () => {
      const store = await h.open();
      for (let i = 0; i < 25; i++) {
        await store.transaction((tx) => tx.insert('load_balancer', loadBalancer()));
        await store.transaction(async () => { throw new Error('x'); }).catch(() => undefined);
      }
      assert.equal(await store.count('load_balancer'), 25);
    });
  });
}

function networkContract(h: Harness) {
  test('networks and subnets: inserted together, read back with numbers as numbers', async () => {
    const store = await h.open();
    assert.deepEqual(await store.networks(), []);
    assert.deepEqual(await store.subnets(), []);
    const net = { id: 'net-1', project_id: 'p1', name: 'private', created_at: '2024-01-01T00:00:00Z' };
    const v4 = { id: 'sub-4', network_id: 'net-1', project_id: 'p1', name: 'v4', cidr: '10.0.0.0/24', ip_version: 4, gateway_ip: '10.0.0.1', created_at: 'c' };
    const v6 = { id: 'sub-6', network_id: 'net-1', project_id: 'p1', name: 'v6', cidr: 'fd00::/64', ip_version: 6, gateway_ip: null, created_at: 'c' };
    await store.insertNetwork(net, [v4, v6]);
    await store.insertNetwork({ ...net, id: 'net-2', name: 'empty' }, []);
    assert.deepEqual(sortRows('network', await store.networks()), [net, { ...net, id: 'net-2', name: 'empty' }]);
    assert.deepEqual(sortRows('subnet', await store.subnets()), [v4, v6]);
    await assert.rejects(store.insertNetwork(net, []), 'the same network id twice');
  });
}

function migrationContract(h: Harness) {
  describe('migrations', () => {
    test('opening the same database again migrates nothing and keeps the data', async () => {
      const url = await h.fresh();
      const first = await h.reopen(url);
      const lb = loadBalancer();
      await first.insert('load_balancer', lb);
      const second = await h.reopen(url);
      assert.deepEqual(await second.get('load_balancer', lb.id), lb);
      const applied = await h.query(url, 'select name from kysely_migration');
      assert.deepEqual(applied.map((r) => r.name).sort(), ['0001_initial', ...LATER.map((c) => c.name)].sort());
    });

    test('three processes opening a new database at once migrate it once', async () => {
      const url = await h.fresh();
      const outcomes = await inProcesses([0, 1, 2].map(() => ({ url, op: 'open' as const })));
      assert.deepEqual(outcomes.flatMap((o) => o.errors), []);
      const applied = await h.query(url, 'select name from kysely_migration');
      assert.deepEqual(applied.map((r) => r.name).sort(), ['0001_initial', ...LATER.map((c) => c.name)].sort());
      const store = await h.reopen(url);
      await store.insert('load_balancer', loadBalancer());
      assert.equal(await store.count('load_balancer'), 1);
    });
  });
}

/** Rows in a stable order for comparing sets of rows: by their key columns. */
function sortRows<T>(kind: Kind | 'network' | 'subnet', rows: T[]): T[] {
  const key = kind === 'network' || kind === 'subnet' ? ['id'] : TABLES[kind].key;
  const k = (r: T) => key.map((c) => String((r as Record<string, unknown>)[c])).join('\u0000');
  return [...rows].sort((a, b) => (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}
