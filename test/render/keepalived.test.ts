// keepalived.conf golden files (testdata/render/active-standby/keepalived-*.conf), each checked
// with `keepalived -t` (config test, keepalived >= 2.0) when keepalived is installed, and the
// renderer's refusals. UPDATE_GOLDEN=1 rewrites the expected files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderKeepalived, RenderError } from '../../src/render/index.ts';
import type { VrrpContext } from '../../src/render/index.ts';
import { GOLDEN_DIR } from './golden.ts';

const KEEPALIVED = '/usr/sbin/keepalived';
const dir = join(GOLDEN_DIR, 'active-standby');
const spec = JSON.parse(readFileSync(join(dir, 'keepalived.json'), 'utf8')) as { vips: string[]; master: VrrpContext; backup: VrrpContext };
/**
 * keepalived -t also checks that the interface exists (and refuses lo for VRRP): the check
 * renders against one of this host's own interfaces instead of the golden's eth0.
 */
const IFACE = existsSync('/sys/class/net') ? readdirSync('/sys/class/net').find((n) => n !== 'lo' && n.length <= 15) : undefined;
const skipCheck = !existsSync(KEEPALIVED) && process.env.CI !== 'true' ? `skipped: ${KEEPALIVED} is not installed`
  : !IFACE ? 'skipped: this host has no network interface but lo for keepalived -t to check against' : false;
const onThisHost = (text: string) => text.replaceAll(' eth0', ` ${IFACE}`);

for (const role of ['master', 'backup'] as const) {
  const file = join(dir, `keepalived-${role}.conf`);
  const rendered = renderKeepalived(spec.vips, spec[role]);

  test(`keepalived golden: ${role}`, () => {
    if (process.env.UPDATE_GOLDEN === '1') return writeFileSync(file, rendered);
    assert.ok(existsSync(file), `${file} is missing; run with UPDATE_GOLDEN=1`);
    assert.equal(rendered, readFileSync(file, 'utf8'));
  });

  test(`keepalived -t accepts the ${role} configuration`, { skip: skipCheck }, () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ka-'));
    try {
      writeFileSync(join(tmp, 'keepalived.conf'), onThisHost(rendered));
      // Throws (exit status 1..) with keepalived's complaint when it refuses the file.
      execFileSync(KEEPALIVED, ['-t', '-l', '-f', join(tmp, 'keepalived.conf')], { cwd: tmp, stdio: 'pipe' });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}

test('keepalived -t refuses a broken file (the check can fail)', { skip: skipCheck }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ka-'));
  try {
    writeFileSync(join(tmp, 'keepalived.conf'), onThisHost(renderKeepalived(spec.vips, spec.master)).replace('vrrp_instance fulcrum {', 'vrrp_instance fulcrum {{'));
    assert.throws(() => execFileSync(KEEPALIVED, ['-t', '-l', '-f', join(tmp, 'keepalived.conf')], { stdio: 'pipe' }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('the renderer refuses values that would break or inject into the file', () => {
  const base = spec.master;
  const bad: Partial<VrrpContext>[] = [
    { routerId: 'a b' }, { routerId: 'x\n}' }, { interface: 'eth0 ; x' }, { interface: 'averyveryverylongname' },
    { vrid: 0 }, { vrid: 256 }, { priority: 255 }, { priority: 0 }, { advertInt: 0 }, { trackFile: '/etc/passwd' },
    { trackFile: '../x' }, { sourceIp: '1.2.3.4\n' }, { peers: ['x y'] },
  ];
  for (const b of bad) assert.throws(() => renderKeepalived(spec.vips, { ...base, ...b }), RenderError, JSON.stringify(b));
  assert.throws(() => renderKeepalived([], base), RenderError);
  assert.throws(() => renderKeepalived(['203.0.113.10"'], base), RenderError);
});

test('never vrrp_track_process, always version 3, unicast and nopreempt', () => {
  const text = renderKeepalived(spec.vips, spec.master);
  assert.doesNotMatch(text, /track_process/);
  assert.match(text, /vrrp_version 3/);
  assert.match(text, /advert_int 0\.1\n/);
  assert.match(text, /unicast_peer \{\n {8}198\.18\.0\.12\n/);
  assert.match(text, /nopreempt/);
  assert.match(text, /virtual_ipaddress \{\n {8}203\.0\.113\.10\/24 dev eth0\n {4}\}\n {4}virtual_ipaddress_excluded \{\n {8}2001:db8::10\/128 dev eth0/);
});
