// The agent's pure parts: HAProxy answer parsers, the runtime answer classifier, config
// directives, the server-state filter, the fd budget and the request shape checks.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classify, currentWorker, parseShowProc, parseShowStat, badCommand } from '../../src/amphora/agent/runtime.ts';
import { configDirectives, maxconnBudget, fdLimit } from '../../src/amphora/agent/haproxy.ts';
import { configuredServers, filterServerState } from '../../src/amphora/agent/serverstate.ts';
import { applyConfigRequest, applyRuntimeRequest, BadRequest } from '../../src/amphora/agent/validate.ts';
import { badBundlePath, isAmphoraId } from '../../src/amphora/protocol.ts';

const SHOW_PROC = `#<PID>          <type>          <reloads>       <uptime>        <version>
10135           master          4 [failed: 0]   0d00h01m35s     2.6.12-1+deb12u4
# workers
11442           worker          0               0d00h00m01s     2.6.12-1+deb12u4
# old workers
10413           worker          1               0d00h01m00s     2.6.12-1+deb12u4
# programs

`;

describe('show proc', () => {
  it('reads the master, its reload counters, the current and the old workers', () => {
    const proc = parseShowProc(SHOW_PROC)!;
    assert.equal(proc.masterPid, 10135);
    assert.equal(proc.reloads, 4);
    assert.equal(proc.failedReloads, 0);
    assert.deepEqual(proc.workers, [{ pid: 11442, reloads: 0, old: false }, { pid: 10413, reloads: 1, old: true }]);
    assert.equal(currentWorker(proc)?.pid, 11442);
  });

  it('reads a failed reload (the old worker stays current)', () => {
    const proc = parseShowProc(SHOW_PROC.replace('4 [failed: 0]', '2 [failed: 1]').replace(/# old workers\n.*\n/, ''))!;
    assert.equal(proc.failedReloads, 1);
    assert.equal(proc.workers.length, 1);
  });

  it('answers undefined for text without a master', () => {
    assert.equal(parseShowProc('Unknown command'), undefined);
  });
});

describe('show stat', () => {
  const csv = [
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status',
    'fe,FRONTEND,,,2,5,1000,42,1000,2000,0,0,3,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,1,',
    'be,s1,0,0,1,2,,40,900,1900,,0,,1,2,0,0,UP,1,1,0,0,0,5,0,,1,3,1,,40,,2,0,,3,L7OK',
    'be,BACKEND,0,0,1,2,100,40,900,1900,0,0,,1,2,0,0,UP,1,1,0,,0,5,0,,1,3,0,,40,,1,0,,3,',
    'stats,sock-1,,,0,0,1000,0,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,4,1,,,,3,,,,',
    '',
  ].join('\n');

  it('keeps frontend, backend and server rows with their counters', () => {
    const rows = parseShowStat(csv);
    assert.deepEqual(rows.map((r) => [r.proxy, r.name, r.type]), [['fe', 'FRONTEND', 'frontend'], ['be', 's1', 'server'], ['be', 'BACKEND', 'backend']]);
    assert.deepEqual(rows[0], { proxy: 'fe', name: 'FRONTEND', type: 'frontend', status: 'OPEN', check_status: '', weight: null, bin: 1000, bout: 2000, scur: 2, stot: 42, ereq: 3, econ: 0, eresp: 0 });
    assert.equal(rows[1].check_status, 'L7OK');
    assert.equal(rows[1].weight, 1);
    assert.equal(rows[1].econ, 1);
    assert.equal(rows[1].eresp, 2);
  });

  it('answers no rows without a header', () => {
    assert.deepEqual(parseShowStat(''), []);
  });
});

describe('runtime answers', () => {
  it('tells failures from successes by severity and text', () => {
    assert.deepEqual(classify('\n'), { ok: true, answer: '' });
    assert.deepEqual(classify('[6]: New server registered.\n\n'), { ok: true, answer: 'New server registered.' });
    assert.deepEqual(classify('[3]: No such server.\n'), { ok: false, answer: 'No such server.' });
    assert.equal(classify('[4]: something to warn about').ok, false);
    assert.deepEqual(classify('[6]: Unknown command, but maybe one of the following ones is a better match:\n  help\n'), { ok: false, answer: 'Unknown command, but maybe one of the following ones is a better match:' });
    assert.equal(classify('No such backend.').ok, false, 'without a severity prefix the text decides');
    assert.equal(classify('Server deleted.').ok, true);
  });

  it('refuses commands that would smuggle a second line', () => {
    assert.equal(badCommand('set weight be/s1 0'), undefined);
    assert.ok(badCommand('set weight be/s1 0\nshutdown frontend fe'));
    assert.ok(badCommand(''));
    assert.ok(badCommand(42));
  });
});

describe('config directives', () => {
  const cfg = [
    'global',
    '  stats socket unix@haproxy.sock mode 600 level admin expose-fd listeners # admin',
    '  server-state-base state',
    '  server-state-file haproxy.state',
    'defaults',
    '  stats socket /not/global.sock level admin',
    'frontend fe',
  ].join('\n');

  it('resolves the admin stats socket and the server-state file against the config directory', () => {
    assert.deepEqual(configDirectives(cfg, '/amp/conf'), { statsSocket: '/amp/conf/haproxy.sock', serverStateFile: '/amp/conf/state/haproxy.state' });
  });

  it('ignores a stats socket below admin level and keeps absolute paths', () => {
    const text = 'global\n  stats socket /run/a.sock level operator\n  stats socket /run/b.sock level admin\n  server-state-file /var/s.state\n';
    assert.deepEqual(configDirectives(text, '/x'), { statsSocket: '/run/b.sock', serverStateFile: '/var/s.state' });
  });
});

describe('server-state filter', () => {
  const state = [
    '1',
    '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port',
    '3 be 1 s1 127.0.0.1 2 0 0 1 17 1 0 2 0 0 0 0 - 8081 - 0 0 - - 0',
    '3 be 2 s2 127.0.0.1 2 1 1 1 17 1 0 2 0 0 0 0 - 8082 - 0 0 - - 0',
    '3 be 3 s3 ::1 2 0 1 1 17 1 0 2 0 0 0 0 - 8083 - 0 0 - - 0',
    '',
  ].join('\n');

  it('reads server addresses from backends and listens', () => {
    const servers = configuredServers('backend be\n  server s1 127.0.0.1:8081 check\n  server s3 [::1]:8083\nlisten l\n  server x ipv4@10.0.0.1:80\nfrontend f\n  bind :80\n');
    assert.deepEqual([...servers], [['be/s1', '127.0.0.1:8081'], ['be/s3', '::1:8083'], ['l/x', '10.0.0.1:80']]);
  });

  it('keeps rows whose server keeps its address, drops moved and removed servers', () => {
    const next = 'backend be\n  server s1 127.0.0.1:8081\n  server s2 127.0.0.1:9999\n  server s3 [::1]:8083\n';
    const kept = filterServerState(state, next).split('\n').filter((l) => /^\d+ be/.test(l)).map((l) => l.split(' ')[3]);
    assert.deepEqual(kept, ['s1', 's3']);
    assert.match(filterServerState(state, next), /^1\n# be_id/);
  });

  it('drops the row of a server found DOWN by checks the new config no longer runs', () => {
    const down = state.replace('3 be 1 s1 127.0.0.1 2 0', '3 be 1 s1 127.0.0.1 0 0');
    const rows = (cfg: string) => filterServerState(down, cfg).split('\n').filter((l) => /^\d+ be/.test(l)).map((l) => l.split(' ')[3]);
    assert.deepEqual(rows('backend be\n  server s1 127.0.0.1:8081 check inter 1s\n  server s3 [::1]:8083\n'), ['s1', 's3']);
    assert.deepEqual(rows('backend be\n  server s1 127.0.0.1:8081\n  server s3 [::1]:8083\n'), ['s3']);
  });
});

describe('maxconn budget', () => {
  it('leaves room under the fd limit for both sides and the splice pipes (20000 here: 9500 failed to reload)', () => {
    assert.equal(maxconnBudget(20_000), 7600);
    // 2 descriptors per side pair + maxconn/4 pipes of 2 + the reserve stay under the limit.
    assert.ok(maxconnBudget(20_000) * 2 + (maxconnBudget(20_000) / 4) * 2 + 1000 <= 20_000);
    assert.equal(maxconnBudget(1024), 9);
    assert.equal(maxconnBudget(100), 0);
    assert.ok(fdLimit() > 0);
  });
});

describe('request shapes', () => {
  const sha = 'ab'.repeat(32);
  const ok = { generation: 3, bundle: { files: [{ path: 'haproxy.cfg', content: 'x' }, { path: 'certs/a.pem', content: 'y', mode: 0o600 }], sha256: sha.toUpperCase() } };

  it('accepts a well-formed bundle and lower-cases its sha256', () => {
    assert.deepEqual(applyConfigRequest(ok), { generation: 3, bundle: { ...ok.bundle, sha256: sha } });
    assert.deepEqual(applyRuntimeRequest({ ...ok, commands: ['set weight be/s1 0'] }).commands, ['set weight be/s1 0']);
  });

  const bad: [string, unknown][] = [
    ['not an object', []],
    ['generation missing', { bundle: ok.bundle }],
    ['generation fractional', { ...ok, generation: 1.5 }],
    ['generation a string', { ...ok, generation: '3' }],
    ['unknown field', { ...ok, force: true }],
    ['bundle not an object', { generation: 1, bundle: 'x' }],
    ['sha256 short', { generation: 1, bundle: { ...ok.bundle, sha256: 'abc' } }],
    ['files empty', { generation: 1, bundle: { files: [], sha256: sha } }],
    ['no haproxy.cfg', { generation: 1, bundle: { files: [{ path: 'a.pem', content: '' }], sha256: sha } }],
    ['duplicate path', { generation: 1, bundle: { files: [{ path: 'haproxy.cfg', content: '' }, { path: 'haproxy.cfg', content: '' }], sha256: sha } }],
    ['file and directory', { generation: 1, bundle: { files: [{ path: 'haproxy.cfg', content: '' }, { path: 'a', content: '' }, { path: 'a/b', content: '' }], sha256: sha } }],
    ['absolute path', { generation: 1, bundle: { files: [{ path: '/etc/passwd', content: '' }, { path: 'haproxy.cfg', content: '' }], sha256: sha } }],
    ['content not a string', { generation: 1, bundle: { files: [{ path: 'haproxy.cfg', content: 1 }], sha256: sha } }],
    ['mode too large', { generation: 1, bundle: { files: [{ path: 'haproxy.cfg', content: '', mode: 0o1777 }], sha256: sha } }],
    ['unknown file field', { generation: 1, bundle: { files: [{ path: 'haproxy.cfg', content: '', owner: 'root' }], sha256: sha } }],
  ];
  for (const [name, body] of bad) {
    it(`refuses: ${name}`, () => assert.throws(() => applyConfigRequest(body), BadRequest));
  }

  it('refuses runtime bodies without a commands array or with a bad command', () => {
    assert.throws(() => applyRuntimeRequest(ok), BadRequest);
    assert.throws(() => applyRuntimeRequest({ ...ok, commands: 'set weight be/s1 0' }), BadRequest);
    assert.throws(() => applyRuntimeRequest({ ...ok, commands: ['ok', 'two\nlines'] }), /commands\[1\]/);
  });

  it('takes an optional base_sha256 (lower-cased) and refuses one that is not a sha256', () => {
    assert.equal(applyRuntimeRequest({ ...ok, commands: [], base_sha256: sha.toUpperCase() }).base_sha256, sha);
    assert.equal('base_sha256' in applyRuntimeRequest({ ...ok, commands: [] }), false);
    assert.throws(() => applyRuntimeRequest({ ...ok, commands: [], base_sha256: 'abc' }), /base_sha256/);
  });

  it('keeps bundle paths inside the config directory and amphora ids path-safe', () => {
    for (const p of ['haproxy.cfg', 'certs/x.pem', 'a/b/c']) assert.equal(badBundlePath(p), undefined, p);
    for (const p of ['', '/abs', '../x', 'a/../b', 'a//b', './a', '.hidden', 'a\\b', 'a\0b']) assert.ok(badBundlePath(p), p);
    assert.equal(isAmphoraId('6f3f5b3e-0d1c-4e55-9d7e-0a1b2c3d4e5f'), true);
    for (const id of ['', '..', '.x', 'a/b', 'x'.repeat(65)]) assert.equal(isAmphoraId(id), false, id);
  });
});
