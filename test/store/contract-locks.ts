// The Store contract, part two: the load-balancer lock (a transactional test-and-set), the
// project lock quota checks take, and the worker's queue. The races here are real: parallel
// transactions on the real database, held open long enough to overlap.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Harness } from './contract.ts';
import type { Store } from '../../src/store/store.ts';
import type { ProvisioningStatus } from '../../src/domain/enums.ts';
import { attempt, loadBalancer, range, sample, sleep } from './rows.ts';
import { inProcesses } from './process.ts';

const ALL: ProvisioningStatus[] = ['ACTIVE', 'DELETED', 'ERROR', 'PENDING_CREATE', 'PENDING_UPDATE', 'PENDING_DELETE'];

export function lockContract(h: Harness) {
  lockLoadBalancerContract(h);
  lockRaceContract(h);
  lockProjectContract(h);
  lockNetworkContract(h);
  dirtyContract(h);
}

function lockLoadBalancerContract(h: Harness) {
  describe('lockLoadBalancer: test-and-set', () => {
    test('from a status in `from`: moves to `to`, bumps generation by exactly 1, stamps updated_at', async () => {
      const store = await h.open();
      const lb = loadBalancer({ generation: 4, applied_generation: 4 });
      const other = loadBalancer();
      await store.insert('load_balancer', lb);
      await store.insert('load_balancer', other);
      assert.equal(await store.lockLoadBalancer(lb.id, ['ACTIVE'], 'PENDING_UPDATE'), true);
      const got = await store.get('load_balancer', lb.id);
      assert.equal(got!.provisioning_status, 'PENDING_UPDATE');
      assert.equal(got!.generation, 5);
      assert.ok(got!.updated_at && !Number.isNaN(Date.parse(got!.updated_at)), 'updated_at is a timestamp');
      assert.deepEqual({ ...got, provisioning_status: lb.provisioning_status, generation: 4, updated_at: null }, lb, 'nothing else changed');
      assert.deepEqual(await store.get('load_balancer', other.id), other, 'other load balancers untouched');
    });

    test('from a status not in `from`: answers false and changes nothing', async () => {
      const store = await h.open();
      for (const status of ALL.filter((s) => s !== 'ACTIVE')) {
        const lb = loadBalancer({ provisioning_status: status, generation: 9 });
        await store.insert('load_balancer', lb);
        assert.equal(await store.lockLoadBalancer(lb.id, ['ACTIVE'], 'PENDING_UPDATE'), false, status);
        assert.deepEqual(await store.get('load_balancer', lb.id), lb, status);
      }
    });

    test('several `from` statuses, any `to`; an unknown id or an empty `from` answers false', async () => {
      const store = await h.open();
      const lb = loadBalancer({ provisioning_status: 'ERROR', generation: 1 });
      await store.insert('load_balancer', lb);
      assert.equal(await store.lockLoadBalancer('no-such-lb', ['ACTIVE', 'ERROR'], 'PENDING_DELETE'), false);
      assert.equal(await store.lockLoadBalancer(lb.id, [], 'PENDING_DELETE'), false);
      assert.deepEqual(await store.get('load_balancer', lb.id), lb);
      assert.equal(await store.lockLoadBalancer(lb.id, ['ACTIVE', 'ERROR'], 'PENDING_DELETE'), true);
      const got = await store.get('load_balancer', lb.id);
      assert.equal(got!.provisioning_status, 'PENDING_DELETE');
      assert.equal(got!.generation, 2);
    });

    test('lock, settle, lock again: every successful lock is one generation', async () => {
      const store = await h.open();
      const lb = loadBalancer({ generation: 1, applied_generation: 1 });
      await store.insert('load_balancer', lb);
      for (let i = 2; i <= 5; i++) {
        assert.equal(await store.lockLoadBalancer(lb.id, ['ACTIVE'], 'PENDING_UPDATE'), true);
        assert.equal(await store.lockLoadBalancer(lb.id, ['ACTIVE'], 'PENDING_UPDATE'), false, 'a second lock before settling');
        await store.update('load_balancer', lb.id, { provisioning_status: 'ACTIVE', applied_generation: i });
      }
      assert.equal((await store.get('load_balancer', lb.id))!.generation, 5);
    });

    test('a lock taken in a transaction that rolls back is undone', async () => {
      const store = await h.open();
      const lb = loadBalancer({ generation: 3 });
      await store.insert('load_balancer', lb);
      await store.transaction(async (tx) => {
        assert.equal(await tx.lockLoadBalancer(lb.id, ['ACTIVE'], 'PENDING_UPDATE'), true);
        throw new Error('the change failed');
      }).catch(() => undefined);
      assert.deepEqual(await store.get('load_balancer', lb.id), lb);
    });
  });
}

function lockRaceContract(h: Harness) {
  describe('lockLoadBalancer under concurrency', () => {
    test('20 parallel transactions race for one ACTIVE load balancer: exactly one wins', async () => {
      const store = await h.open();
      const lb = loadBalancer({ generation: 10, applied_generation: 10 });
      await store.insert('load_balancer', lb);
      const attempts = await Promise.all(range(20).map(() => attempt(store, lb.id, 100)));
      assert.equal(attempts.filter((a) => a.won).length, 1);
      const got = await store.get('load_balancer', lb.id);
      assert.equal(got!.generation, 11, 'one generation for one winner');
      assert.equal(got!.provisioning_status, 'PENDING_UPDATE');
      assert.equal(got!.name, 'winner');
      if (h.dialect === 'postgres') {
        // Losers read ACTIVE (the winner had not committed) and still lost: the database
        // decided, not the read before the write.
        assert.ok(attempts.filter((a) => a.sawActive).length > 1, 'the transactions overlapped');
      }
    });

    test('two processes race on one database, 10 attempts each: exactly one wins, no errors', async () => {
      const url = await h.fresh();
      const store = await h.reopen(url);
      const lb = loadBalancer({ generation: 1 });
      await store.insert('load_balancer', lb);
      const job = { url, op: 'race' as const, lbId: lb.id, attempts: 10, hold: 300 };
      const outcomes = await inProcesses([job, job]);
      assert.deepEqual(outcomes.flatMap((o) => o.errors), [], 'losers lose cleanly (a 409), they do not fail');
      assert.equal(outcomes.reduce((n, o) => n + o.won, 0), 1);
      assert.equal(outcomes.reduce((n, o) => n + o.lost, 0), 19);
      const got = await store.get('load_balancer', lb.id);
      assert.equal(got!.generation, 2);
      assert.equal(got!.name, 'winner');
    });
  });
}

function lockProjectContract(h: Harness) {
  describe('lockProject', () => {
    test('is refused outside a transaction, where it could not hold anything', async () => {
      const store = await h.open();
      await assert.rejects(store.lockProject('p1'), /transaction/);
    });

    test('makes sure the project has a quota row (all defaults) and keeps one that exists', async () => {
      const store = await h.open();
      const set = { ...sample('quota', 'nulls', { project_id: 'limited' }), load_balancer: 3 };
      await store.insert('quota', set);
      await store.transaction(async (tx) => {
        await tx.lockProject('limited');
        await tx.lockProject('fresh');
        await tx.lockProject('fresh');
      });
      assert.deepEqual(await store.get('quota', 'limited'), set);
      assert.deepEqual(await store.get('quota', 'fresh'), sample('quota', 'nulls', { project_id: 'fresh' }));
      await store.transaction(async (tx) => {
        await tx.lockProject('rolled-back');
        throw new Error('x');
      }).catch(() => undefined);
      assert.equal(await store.get('quota', 'rolled-back'), undefined);
    });

    test('a second transaction cannot take the project lock until the first ends', async () => {
      const store = await h.open();
      for (const project of ['new-project', 'with-row']) {
        if (project === 'with-row') await store.insert('quota', sample('quota', 'nulls', { project_id: project }));
        let firstEnded = 0;
        let locked!: () => void;
        const firstLocked = new Promise<void>((go) => { locked = go; });
        const first = store.transaction(async (tx) => {
          await tx.lockProject(project);
          locked();
          await sleep(200);
          firstEnded = Date.now();
        });
        await firstLocked;
        let secondLockedAt = 0;
        await store.transaction(async (tx) => {
          await tx.lockProject(project);
          secondLockedAt = Date.now();
        });
        await first;
        assert.ok(firstEnded > 0 && secondLockedAt >= firstEnded, `${project}: the second waited for the first`);
      }
    });

    if (h.dialect === 'postgres') {
      test('PostgreSQL: the lock is per project; another project is not held up', async () => {
        const store = await h.open();
        let release!: () => void;
        const held = new Promise<void>((go) => { release = go; });
        let locked!: () => void;
        const firstLocked = new Promise<void>((go) => { locked = go; });
        const first = store.transaction(async (tx) => {
          await tx.lockProject('pa');
          locked();
          await held;
        });
        await firstLocked;
        await store.transaction((tx) => tx.lockProject('pb')); // would hang here if it were a table lock
        release();
        await first;
      });
    }

    /** A quota check as services make it: lock, count, (think,) insert when under the limit. */
    async function createUnderQuota(store: Store, project: string, limit: number, lock: boolean): Promise<boolean> {
      return store.transaction(async (tx) => {
        if (lock) await tx.lockProject(project);
        const used = await tx.count('load_balancer', { project_id: project });
        await sleep(20); // widen the window between the check and the write
        if (used + 1 > limit) return false;
        await tx.insert('load_balancer', loadBalancer({ project_id: project }));
        return true;
      });
    }

    test('12 parallel creates under a quota of 3: exactly 3 get through', async () => {
      const store = await h.open();
      await store.insert('quota', { ...sample('quota', 'nulls', { project_id: 'q' }), load_balancer: 3 });
      const results = await Promise.all(range(12).map(() => createUnderQuota(store, 'q', 3, true)));
      assert.equal(results.filter(Boolean).length, 3);
      assert.equal(await store.count('load_balancer', { project_id: 'q' }), 3);
    });

    if (h.dialect === 'postgres') {
      test('PostgreSQL: without lockProject the same race overshoots (so the test above can fail)', async () => {
        const store = await h.open();
        const results = await Promise.all(range(12).map(() => createUnderQuota(store, 'q', 3, false)));
        assert.ok(results.filter(Boolean).length > 3, `${results.filter(Boolean).length} got through`);
      });
    }
  });
}

function lockNetworkContract(h: Harness) {
  describe('lockNetwork', () => {
    test('is refused outside a transaction, and changes nothing inside one', async () => {
      const store = await h.open();
      const net = { id: 'net-1', project_id: 'p1', name: 'n', created_at: 'c' };
      await store.insertNetwork(net, []);
      await assert.rejects(store.lockNetwork('net-1'), /transaction/);
      await store.transaction((tx) => tx.lockNetwork('net-1'));
      assert.deepEqual(await store.networks(), [net]);
    });

    test('a second transaction cannot take the network lock until the first ends', async () => {
      const store = await h.open();
      await store.insertNetwork({ id: 'net-1', project_id: 'p1', name: 'n', created_at: 'c' }, []);
      let firstEnded = 0;
      let locked!: () => void;
      const firstLocked = new Promise<void>((go) => { locked = go; });
      const first = store.transaction(async (tx) => {
        await tx.lockNetwork('net-1');
        locked();
        await sleep(200);
        firstEnded = Date.now();
      });
      await firstLocked;
      let secondLockedAt = 0;
      await store.transaction(async (tx) => {
        await tx.lockNetwork('net-1');
        secondLockedAt = Date.now();
      });
      await first;
      assert.ok(firstEnded > 0 && secondLockedAt >= firstEnded, 'the second waited for the first');
    });
  });
}

function dirtyContract(h: Harness) {
  test('dirtyLoadBalancers: those with generation ahead of applied, oldest change first, up to limit', async () => {
    const store = await h.open();
    const at = (s: number) => new Date(Date.UTC(2024, 0, 1, 0, 0, s)).toISOString();
    const clean = loadBalancer({ generation: 3, applied_generation: 3, updated_at: at(1) });
    const newest = loadBalancer({ generation: 5, applied_generation: 4, created_at: at(0), updated_at: at(30) });
    const oldest = loadBalancer({ generation: 2, applied_generation: 1, created_at: at(0), updated_at: at(10) });
    // Never updated: created at 20s, so it comes between the two others.
    const created = loadBalancer({ generation: 1, applied_generation: 0, created_at: at(20), updated_at: null });
    for (const lb of [clean, newest, created, oldest]) await store.insert('load_balancer', lb);
    assert.deepEqual(await store.dirtyLoadBalancers(10), [
      { id: oldest.id, generation: 2 }, { id: created.id, generation: 1 }, { id: newest.id, generation: 5 },
    ]);
    assert.deepEqual(await store.dirtyLoadBalancers(2), [{ id: oldest.id, generation: 2 }, { id: created.id, generation: 1 }]);
    await store.update('load_balancer', oldest.id, { applied_generation: 2 });
    assert.deepEqual((await store.dirtyLoadBalancers(10)).map((d) => d.id), [created.id, newest.id]);
    assert.equal(typeof (await store.dirtyLoadBalancers(1))[0].generation, 'number');
  });
}
