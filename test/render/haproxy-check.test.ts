// The real HAProxy (2.6 on these machines) accepts every golden configuration: `haproxy -c`
// with the run directory moved to a temporary one, and every certificate, CA and CRL the
// configuration names generated there. Only the "no server state file yet" warning is
// allowed: any other warning is a configuration that does not do what it says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { goldenCases } from './golden.ts';
import { RUN_DIR } from './fixtures.ts';

const HAPROXY = process.env.HAPROXY ?? '/usr/sbin/haproxy';
const installed = existsSync(HAPROXY);
// Without HAProxy a developer's machine skips; CI must have it, so there the test fails.
const skip = !installed && !process.env.CI ? `HAProxy is not installed at ${HAPROXY} (set HAPROXY=...); skipped outside CI` : false;
const ALLOWED_WARNINGS = [/Can't open global server state file/];

let work = '';
let pki: { certAndKey: string; ca: string; crl: string };

before(() => {
  if (skip) return;
  work = mkdtempSync(join(tmpdir(), 'fulcrum-haproxy-c-'));
  pki = makePki(join(work, 'pki'));
});
after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** A CA, a server certificate with its key, and an empty CRL signed by the CA. */
function makePki(dir: string): typeof pki {
  mkdirSync(dir, { recursive: true });
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=fulcrum-test-ca', '-days', '3650');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=lb.example.com');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '3650');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=3650\n');
  run('ca', '-gencrl', '-config', 'ca.cnf', '-keyfile', 'ca.key', '-cert', 'ca.crt', '-out', 'crl.pem');
  const read = (f: string) => readFileSync(join(dir, f), 'utf8');
  return { certAndKey: read('server.crt') + read('server.key'), ca: read('ca.crt'), crl: read('crl.pem') };
}

/** Writes a file for every certificate, CA and CRL path the configuration names (relative ones under `dir`). */
function materialize(config: string, dir: string): void {
  const content: Record<string, string> = { crt: pki.certAndKey, 'ca-file': pki.ca, 'crl-file': pki.crl };
  for (const [, keyword, named] of config.matchAll(/ (crt|ca-file|crl-file) (\S+)/g)) {
    const path = isAbsolute(named) ? named : join(dir, named);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content[keyword]);
  }
}

for (const c of goldenCases()) {
  test(`haproxy -c accepts golden ${c.name}`, { skip }, () => {
    assert.ok(c.expected, `${c.name}/haproxy.cfg is missing`);
    const dir = join(work, c.name);
    mkdirSync(dir, { recursive: true });
    const config = c.expected.replaceAll(RUN_DIR, dir);
    materialize(config, dir);
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    const result = spawnSync(HAPROXY, ['-c', '-f', file], { encoding: 'utf8', cwd: dir });
    const output = `${result.stdout}${result.stderr}`;
    assert.equal(result.status, 0, output);
    const warnings = output.split('\n').filter((l) => l.includes('[WARNING]'))
      .filter((l) => !ALLOWED_WARNINGS.some((w) => w.test(l)));
    assert.deepEqual(warnings, [], output);
  });
}
