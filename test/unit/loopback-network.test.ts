// The loopback network's address arithmetic: canonical spellings, subnet membership, the
// addresses a VIP may not take, and lowest-free allocation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  canonicalAddress, inSubnet, nextFreeAddress, parseCidr, refuseAddress,
} from '../../src/drivers/network/loopback.ts';

test('addresses are spelled canonically (RFC 5952 for IPv6)', () => {
  assert.equal(canonicalAddress('127.42.0.7'), '127.42.0.7');
  assert.equal(canonicalAddress('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(canonicalAddress('2001:db8:0:1:0:0:0:0'), '2001:db8:0:1::');
  assert.equal(canonicalAddress('0:0:0:0:0:0:0:0'), '::');
  assert.equal(canonicalAddress('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
  assert.equal(canonicalAddress('1:0:0:2:0:0:0:3'), '1:0:0:2::3');
  assert.equal(canonicalAddress('::ffff:10.0.0.1'), '::ffff:a00:1');
});

test('subnet membership checks version and prefix', () => {
  assert.ok(inSubnet('127.42.0.0/16', '127.42.255.254'));
  assert.ok(!inSubnet('127.42.0.0/16', '127.43.0.1'));
  assert.ok(!inSubnet('127.42.0.0/16', '::1'));
  assert.ok(inSubnet('2001:db8::/64', '2001:db8::ffff'));
  assert.ok(!inSubnet('2001:db8::/64', '2001:db8:0:1::1'));
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0'), undefined);
  assert.deepEqual(parseCidr('10.0.0.9/24'), { version: 4, network: 0x0a000000n, prefix: 24 });
});

test('network, broadcast and gateway are never allocated; taken addresses are skipped', () => {
  const taken = new Set(['127.42.0.2', '127.42.0.4']);
  assert.equal(nextFreeAddress('127.42.0.0/16', '127.42.0.1', taken), '127.42.0.3');
  assert.equal(nextFreeAddress('10.0.0.0/30', '10.0.0.1', new Set(['10.0.0.2'])), undefined);
  assert.equal(nextFreeAddress('10.0.0.0/31', null, new Set()), '10.0.0.0');
  assert.equal(nextFreeAddress('2001:db8::/64', null, new Set()), '2001:db8::1');
});

test('a requested address is refused when outside, unallocatable, the gateway or taken', () => {
  const taken = new Set(['127.42.0.9']);
  assert.equal(refuseAddress('127.42.0.0/16', '127.42.0.1', '127.42.0.10', taken), undefined);
  assert.equal(refuseAddress('127.42.0.0/16', '127.42.0.1', '127.42.0.9', taken), 'in-use');
  assert.equal(refuseAddress('127.42.0.0/16', '127.42.0.1', '127.42.0.1', taken), 'in-use');
  assert.equal(refuseAddress('127.42.0.0/16', '127.42.0.1', '127.42.0.0', taken), 'invalid');
  assert.equal(refuseAddress('127.42.0.0/16', '127.42.0.1', '127.42.255.255', taken), 'invalid');
  assert.equal(refuseAddress('127.42.0.0/16', '127.42.0.1', '127.0.0.1', taken), 'invalid');
  assert.equal(refuseAddress('2001:db8::/64', null, '2001:DB8::0:9', new Set(['2001:db8::9'])), 'in-use');
});
