// The official Barbican client (python3-barbicanclient, the library `openstack secret ...`
// and Octavia's certificate manager use) drives Fulcrum's key manager unchanged: store a PEM
// and a binary secret, read them back, build a certificate container, list, delete.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { testApp } from '../kit/app.ts';
import type { TestApp } from '../kit/app.ts';

const PYTHON = '/usr/bin/python3';
const available = spawnSync(PYTHON, ['-c', 'import barbicanclient, keystoneauth1'], { stdio: 'ignore' }).status === 0;
const skip = available || process.env.CI === 'true' ? false : 'skipped: python3-barbicanclient is not installed';

const SCRIPT = `
import sys
from barbicanclient import client
from keystoneauth1 import session
from keystoneauth1.noauth import NoAuth
bc = client.Client(session=session.Session(auth=NoAuth()), endpoint=sys.argv[1], project_id='bc-project')
pem = '-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n'
ref = bc.secrets.create(name='pem', payload=pem, secret_type='certificate').store()
got = bc.secrets.get(ref)
assert got.name == 'pem' and got.secret_type == 'certificate' and got.payload == pem, got.payload
bref = bc.secrets.create(name='bin', payload=b'\\x00\\x01p12\\xff', secret_type='opaque').store()
assert bc.secrets.get(bref).payload == b'\\x00\\x01p12\\xff'
cref = bc.containers.create_certificate(name='cc', certificate=bc.secrets.get(ref), private_key=bc.secrets.get(bref)).store()
c = bc.containers.get(cref)
assert type(c).__name__ == 'CertificateContainer', type(c)
assert c.secret_refs['certificate'] == ref and c.secret_refs['private_key'] == bref, c.secret_refs
assert sorted(s.name for s in bc.secrets.list()) == ['bin', 'pem']
bc.containers.delete(cref)
bc.secrets.delete(bref)
assert [s.name for s in bc.secrets.list()] == ['pem']
print('ok', ref)
`;

let app: TestApp;
let url = '';
before(async () => {
  if (skip) return;
  app = await testApp({ auth: 'noauth' });
  await app.runtime.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.runtime.app.server.address() as AddressInfo).port}`;
});
after(async () => { await app?.close(); });

test('python3-barbicanclient stores, reads, lists and deletes secrets and containers', { skip, timeout: 60_000 }, async () => {
  const { stdout } = await promisify(execFile)(PYTHON, ['-c', SCRIPT, url], { timeout: 50_000 });
  assert.match(stdout, new RegExp(`^ok ${url}/v1/secrets/[0-9a-f-]{36}`));
});
