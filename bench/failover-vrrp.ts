/**
 * ACTIVE_STANDBY failover under constant load, on network namespaces (root only).
 *
 *   node --import tsx bench/failover-vrrp.ts          (ROUNDS=3 by default)
 *
 * Each round starts a lab (test/netns/lab.ts: three amphora hosts = two `fulcrum agent`
 * processes in their own namespaces, a fabric bridge, two Node members, a client namespace)
 * and a Fulcrum whose worker places ACTIVE_STANDBY amphorae there through the API. For each
 * failure — the VIP holder's HAProxy killed (SIGKILL), its keepalived killed (SIGKILL), its
 * switch port cut, an operator's failover of it through the API (it still runs), its whole
 * host killed (agent + amphora namespaces) — a fresh load balancer
 * serves 6 clients (new TCP connection per request, 200 ms timeout; 4 on a SOURCE_IP pool, 2
 * on an APP_COOKIE pool) and the longest stretch with no successful response is measured, and
 * whether any client changed member. After the host case the health role (the agents beat to
 * it over their management links) finds the lost amphora silent for heartbeat_timeout (3 s) and
 * replaces it on a third host with no API call; the time from the failure until the load
 * balancer has two amphorae again, and the gap meanwhile, are measured too (the gap should be
 * ~0: the survivor keeps the VIP); the same for the API case's successor. Goal: every gap ≤ 500 ms.
 *
 * Reference (not re-run here; DESIGN.md, measured on this machine with Octavia's keepalived
 * defaults: advert_int 1, check script every 5 s, fall 2): ~3600 ms for a dead master,
 * ~10000 ms to notice a dead HAProxy. The ratio column divides by those.
 */
import { startLab } from '../test/netns/lab.ts';
import { activeStandbyFlavor, FAILURES, prepareLab, REPLACED, runCase } from '../test/netns/failover.ts';
import type { CaseResult, FailureKind } from '../test/netns/failover.ts';
import * as ipcmd from '../src/drivers/netns/ip.ts';

const ROUNDS = Math.max(1, Number(process.env.ROUNDS ?? 3));
const GOAL_MS = 500;
const OCTAVIA_MS: Record<FailureKind, number> = { haproxy: 10_000, keepalived: 3600, link: 3600, host: 3600, api: 3600, lb: 3600 };

async function main(): Promise<void> {
  const support = ipcmd.netnsSupport();
  if (!support.ok) {
    process.stderr.write(`bench: ${support.reason}\n`);
    process.exit(2);
  }
  const results: CaseResult[] = [];
  const replaced: NonNullable<CaseResult['replacement']>[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const lab = await startLab({ hosts: 3 });
    try {
      await prepareLab(lab);
      const flavor = await activeStandbyFlavor(lab);
      for (const kind of FAILURES) {
        const r = await runCase(lab, flavor, kind, 2500, REPLACED.has(kind));
        results.push(r);
        process.stdout.write(`round ${round} ${kind.padEnd(10)} gap ${String(r.gapMs).padStart(5)} ms  ok ${r.requests} failed ${r.failed}  moved ${r.moved.length ? r.moved.join('; ') : 'none'}\n`);
        if (r.replacement) {
          replaced.push(r.replacement);
          process.stdout.write(`round ${round} ${kind} replace gap ${String(r.replacement.gapMs).padStart(5)} ms  (successor serving ${r.replacement.durationMs} ms after the failure, ${kind === 'lb' ? `VIP on a successor: ${r.replacement.holder.length === 1}` : `VIP on the survivor: ${r.replacement.holder.join() === r.before.filter((id) => id !== r.holderBefore).join()}`})\n`);
        }
      }
    } finally {
      await lab.close();
    }
  }
  process.stdout.write(`\nfailure      gaps (ms, ${ROUNDS} rounds)        max   goal ${GOAL_MS}   Octavia ref   ratio   persistence\n`);
  let ok = true;
  for (const kind of FAILURES) {
    const rs = results.filter((r) => r.kind === kind);
    const gaps = rs.map((r) => r.gapMs);
    const max = Math.max(...gaps);
    const moved = rs.flatMap((r) => r.moved);
    ok &&= max <= GOAL_MS && moved.length === 0;
    process.stdout.write(`${kind.padEnd(12)} ${gaps.join(' / ').padEnd(26)} ${String(max).padStart(5)}   ${max <= GOAL_MS ? 'met ' : 'MISS'}        ${String(OCTAVIA_MS[kind]).padStart(6)}     ${(max / OCTAVIA_MS[kind]).toFixed(3)}   ${moved.length ? `${moved.length} moved` : 'kept'}\n`);
  }
  const rg = replaced.map((r) => r.gapMs);
  ok &&= Math.max(...rg) <= GOAL_MS;
  process.stdout.write(`${'replace'.padEnd(12)} ${rg.join(' / ').padEnd(26)} ${String(Math.max(...rg)).padStart(5)}   ${Math.max(...rg) <= GOAL_MS ? 'met ' : 'MISS'}   (successor serving ${replaced.map((r) => r.durationMs).join(' / ')} ms after the failure: api, lb and host (health role, heartbeat_timeout 3000) in turn)\n`);
  process.exit(ok ? 0 : 1);
}

void main();
