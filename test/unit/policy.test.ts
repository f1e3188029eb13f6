// Octavia's default policies as Fulcrum's rule table decides them: one row per persona.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTIONS, check, decide, impliedRoles } from '../../src/domain/policy.ts';
import type { Credentials } from '../../src/domain/policy.ts';

const as = (roles: string[], projectId: string | null = 'p1', extra: Partial<Credentials> = {}): Credentials =>
  ({ roles: impliedRoles(roles), projectId, ...extra });

const personas: Record<string, Credentials> = {
  noauth: { roles: [], projectId: null, noauth: true },
  admin: as(['admin']),
  lbAdmin: as(['load-balancer_admin']),
  globalObserver: as(['load-balancer_global_observer']),
  systemReader: as(['reader'], null, { system: true }),
  observer: as(['load-balancer_observer', 'reader']),
  member: as(['load-balancer_member', 'member']),
  quotaAdmin: as(['load-balancer_quota_admin']),
  reader: as(['reader']),
  plainMember: as(['member']),
  nobody: as([]),
};

/** action → personas allowed on their own project's objects, and those reaching every project. */
const expected: [string, string[], string[]][] = [
  ['loadbalancer:get_all', ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader', 'observer', 'member'], ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader']],
  ['loadbalancer:get_one', ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader', 'observer', 'member'], ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader']],
  ['loadbalancer:post', ['noauth', 'admin', 'lbAdmin', 'member'], ['noauth', 'admin', 'lbAdmin']],
  ['pool:put', ['noauth', 'admin', 'lbAdmin', 'member'], ['noauth', 'admin', 'lbAdmin']],
  ['member:delete', ['noauth', 'admin', 'lbAdmin', 'member'], ['noauth', 'admin', 'lbAdmin']],
  ['loadbalancer:put_failover', ['noauth', 'admin', 'lbAdmin'], ['noauth', 'admin', 'lbAdmin']],
  ['amphora:get_all', ['noauth', 'admin', 'lbAdmin'], ['noauth', 'admin', 'lbAdmin']],
  ['quota:get_one', ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader', 'observer', 'member', 'quotaAdmin'], ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader', 'quotaAdmin']],
  ['quota:put', ['noauth', 'admin', 'lbAdmin', 'quotaAdmin'], ['noauth', 'admin', 'lbAdmin', 'quotaAdmin']],
  ['flavor:get_all', ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader', 'observer', 'member'], ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader']],
  ['flavor:post', ['noauth', 'admin', 'lbAdmin'], ['noauth', 'admin', 'lbAdmin']],
  ['flavor-profile:get_all', ['noauth', 'admin', 'lbAdmin'], ['noauth', 'admin', 'lbAdmin']],
  ['provider:get_all', ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader', 'observer', 'member'], ['noauth', 'admin', 'lbAdmin', 'globalObserver', 'systemReader']],
];

for (const [action, own, all] of expected) {
  test(`policy ${action}`, () => {
    for (const [name, creds] of Object.entries(personas)) {
      const d = decide(action, creds);
      assert.equal(d.allowed, own.includes(name), `${name} allowed`);
      assert.equal(d.allProjects, all.includes(name), `${name} on every project`);
    }
  });
}

test('owner rules compare the target project: a member writes only its own project', () => {
  const member = personas.member;
  assert.equal(check('write', member, 'p1'), true);
  assert.equal(check('write', member, 'p2'), false);
  assert.equal(check('read', member, 'p2'), false);
  assert.equal(check('read', personas.observer, 'p1'), true);
  assert.equal(check('write', personas.observer, 'p1'), false);
  // A token without a project owns nothing.
  assert.equal(check('write', as(['load-balancer_member'], null), null), false);
});

test('decide() equals check() on the target for every action and persona', () => {
  for (const action of Object.keys(ACTIONS)) {
    for (const creds of Object.values(personas)) {
      const d = decide(action, creds);
      for (const target of ['p1', 'p2']) {
        const viaDecide = d.allowed && (d.allProjects || target === creds.projectId);
        assert.equal(viaDecide, check(ACTIONS[action], creds, target), `${action} ${JSON.stringify(creds)} on ${target}`);
      }
    }
  }
});

test('unknown actions are refused', () => {
  assert.deepEqual(decide('loadbalancer:nope', personas.admin), { allowed: false, allProjects: false });
});

test('Keystone implied roles: admin ⇒ member ⇒ reader', () => {
  assert.deepEqual(impliedRoles(['admin']).sort(), ['admin', 'member', 'reader']);
  assert.deepEqual(impliedRoles(['load-balancer_observer']), ['load-balancer_observer']);
});
