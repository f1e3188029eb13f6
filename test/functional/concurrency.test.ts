// Concurrency through the API, on SQLite and on PostgreSQL (where transactions really run in
// parallel over a pool of connections): conflicting writes to one load balancer admit exactly
// one, every accepted write is exactly one generation, nothing half-written stays behind, and
// parallel creates never overshoot a quota.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { activeLoadBalancer, testApp, SUBNET } from '../kit/app.ts';
import type { Reply, TestApp } from '../kit/app.ts';
import { testPostgres } from '../kit/postgres.ts';
import type { Quota } from '../../src/domain/entities.ts';

const pg = await testPostgres();

const BACKENDS = [
  { name: 'SQLite', skip: false as string | false, url: async () => 'sqlite::memory:' },
  { name: 'PostgreSQL', skip: pg.skip, url: () => pg.fresh({ migrated: true }) },
];

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const accepted = (r: Reply) => r.status >= 200 && r.status < 300;
const noQuota: Omit<Quota, 'project_id'> = {
  load_balancer: null, listener: null, pool: null, member: null, health_monitor: null, l7policy: null, l7rule: null,
};

for (const backend of BACKENDS) {
  describe(`concurrent API writes on ${backend.name}`, { skip: backend.skip }, () => {
    let app: TestApp;
    const apps: TestApp[] = [];
    const open = async (overrides = {}) => {
      const made = await testApp({ databaseUrl: await backend.url(), ...overrides });
      apps.push(made);
      return made;
    };
    before(async () => { app = await open(); });
    // A failed assertion must not leave the worker waiting on a held gate: close() would hang.
    afterEach(() => { for (const a of apps) a.gate.release(); });
    after(async () => {
      for (const a of apps.splice(0)) await a.close();
      if (backend.name === 'PostgreSQL') await pg.dropAll();
    });
    const lbRow = (id: string) => app.runtime.store.get('load_balancer', id);

    /** The i-th write of a round: an LB rename, a listener create or a pool create, all conflicting. */
    function write(lbId: string, round: number, i: number): Promise<Reply> {
      switch (i % 3) {
        case 0:
          return app.req('PUT', `/v2/lbaas/loadbalancers/${lbId}`, { loadbalancer: { name: `r${round}-w${i}` } });
        case 1:
          return app.req('POST', '/v2/lbaas/listeners', {
            listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 1000 + round * 100 + i, name: `r${round}-w${i}` },
          });
        default:
          return app.req('POST', '/v2/lbaas/pools', {
            pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', name: `r${round}-w${i}` },
          });
      }
    }

    test('20 conflicting writes at an ACTIVE LB: exactly one accepted, 409 for the rest, one generation each round', async () => {
      const lb = await activeLoadBalancer(app, { name: 'start' });
      const first = (await lbRow(lb.id))!.generation;
      let name = 'start';
      const listeners: string[] = [];
      const pools: string[] = [];
      for (const round of [1, 2, 3]) {
        app.gate.hold(); // the worker may not settle the LB while the writers race
        const before = (await lbRow(lb.id))!.generation;
        const replies = await Promise.all(range(20).map((i) => write(lb.id, round, i)));
        const winners = replies.map((r, i) => ({ r, i })).filter(({ r }) => accepted(r));
        assert.equal(winners.length, 1, `round ${round}: ${replies.map((r) => r.status).join(',')}`);
        const { r: won, i } = winners[0];
        assert.equal(won.status, i % 3 === 0 ? 200 : 201);
        for (const r of replies.filter((x) => x !== won)) {
          assert.equal(r.status, 409, JSON.stringify(r.body));
          // The LB route says "Invalid state ... of loadbalancer resource <id>", child creates
          // "Load Balancer <id> is immutable ...": Octavia words them so too.
          assert.match(r.body.faultstring, new RegExp(`(of loadbalancer resource|Load Balancer) ${lb.id}`));
        }
        if (i % 3 === 0) name = `r${round}-w${i}`;
        if (i % 3 === 1) listeners.push(`r${round}-w${i}`);
        if (i % 3 === 2) pools.push(`r${round}-w${i}`);

        // While held: one generation more, and exactly the winner's change, nothing of the losers'.
        const held = (await lbRow(lb.id))!;
        assert.equal(held.provisioning_status, 'PENDING_UPDATE');
        assert.equal(held.generation, before + 1);
        assert.equal(held.name, name);
        assert.deepEqual((await app.runtime.store.find('listener', { load_balancer_id: lb.id })).map((l) => l.name).sort(), [...listeners].sort());
        assert.deepEqual((await app.runtime.store.find('pool', { load_balancer_id: lb.id })).map((p) => p.name).sort(), [...pools].sort());

        app.gate.release();
        await app.settle();
        const settled = (await lbRow(lb.id))!;
        assert.equal(settled.provisioning_status, 'ACTIVE');
        assert.equal(settled.applied_generation, settled.generation);
      }
      assert.equal((await lbRow(lb.id))!.generation, first + 3, 'three rounds, three accepted writes');
      for (const kind of ['listener', 'pool'] as const) {
        for (const row of await app.runtime.store.find(kind, { load_balancer_id: lb.id })) assert.equal(row.provisioning_status, 'ACTIVE');
      }
    });

    test('with the worker racing the writers: every accepted write is exactly one generation', async () => {
      const lb = await activeLoadBalancer(app);
      const before = (await lbRow(lb.id))!.generation;
      const replies = await Promise.all(range(20).map((i) =>
        app.req('PUT', `/v2/lbaas/loadbalancers/${lb.id}`, { loadbalancer: { name: `free-${i}` } })));
      const ok = replies.filter(accepted);
      assert.ok(ok.length >= 1);
      assert.deepEqual(replies.filter((r) => !accepted(r)).map((r) => r.status), replies.filter((r) => !accepted(r)).map(() => 409));
      assert.ok(ok.every((r) => r.status === 200));
      await app.settle();
      const after = (await lbRow(lb.id))!;
      assert.equal(after.generation, before + ok.length);
      assert.equal(after.applied_generation, after.generation);
      assert.equal(after.provisioning_status, 'ACTIVE');
      assert.ok(ok.map((r) => r.body.loadbalancer.name).includes(after.name), 'the name is one an accepted write gave');
    });

    test('a quota row of 3 admits exactly 3 of 12 parallel creates; a freed slot admits exactly one more', async () => {
      await app.runtime.store.insert('quota', { ...noQuota, project_id: 'racer', load_balancer: 3 });
      const create = () => app.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }, 'racer');
      const replies = await Promise.all(range(12).map(create));
      assert.deepEqual(replies.map((r) => r.status).sort(), [201, 201, 201, ...range(9).map(() => 403)]);
      for (const r of replies.filter((x) => x.status === 403)) {
        assert.equal(r.body.faultstring, 'Quota has been met for resources: Load Balancer');
      }
      assert.equal(await app.runtime.store.count('load_balancer', { project_id: 'racer' }), 3);
      await app.settle();

      const gone = replies.find((r) => r.status === 201)!.body.loadbalancer.id;
      assert.equal((await app.req('DELETE', `/v2/lbaas/loadbalancers/${gone}`, undefined, 'racer')).status, 204);
      await app.settle();
      const again = await Promise.all(range(6).map(create));
      assert.deepEqual(again.map((r) => r.status).sort(), [201, 403, 403, 403, 403, 403]);
      await app.settle();
    });

    test('a project with no quota row, limited by the configured default of 2: exactly 2 of 10 get through', async () => {
      const limited = await open({ quotas: { ...app.runtime.config.quotas, load_balancer: 2 } });
      const replies = await Promise.all(range(10).map(() =>
        limited.req('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: SUBNET } }, 'defaulted')));
      assert.deepEqual(replies.map((r) => r.status).sort(), [201, 201, ...range(8).map(() => 403)]);
      assert.equal(await limited.runtime.store.count('load_balancer', { project_id: 'defaulted' }), 2);
      await limited.settle();
    });
  });
}
