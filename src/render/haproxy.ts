// IR → haproxy.cfg text. Deterministic: the same IR gives the same bytes, so a bundle's
// sha256 changes only when the configuration does. Every value that came from a tenant is
// written through escape.ts; the defaults chosen here carry their reason as a comment,
// because the figures behind them were measured on HAProxy 2.6 (see DESIGN.md).
import { bracketed, configWord } from './escape.ts';
import type { GlobalIR, HaproxyIR, PeersIR } from './ir.ts';
import { renderFrontend } from './haproxy-frontend.ts';
import { renderBackend } from './haproxy-backend.ts';
import { section } from './section.ts';

export function renderHaproxy(ir: HaproxyIR): string {
  const sections = [
    `# HAProxy configuration of load balancer ${ir.loadBalancerId}, rendered by Fulcrum.\n`
      + '# The agent rewrites this file; runtime changes are always written here as well.',
    renderGlobal(ir.global, ir.peers),
    ...(ir.peers ? [renderPeers(ir.peers)] : []),
    renderDefaults(ir.global),
    ...ir.frontends.map(renderFrontend),
    ...ir.backends.map(renderBackend),
  ];
  return `${sections.join('\n\n')}\n`;
}

function renderGlobal(g: GlobalIR, peers: PeersIR | null): string {
  return section('global', [
    '# The agent starts HAProxy in master-worker mode (-W -S <master socket>) and reloads',
    '# through the master; nothing below depends on that.',
    `maxconn ${g.maxconn}`,
    ...(g.pidFile ? [`pidfile ${configWord(g.pidFile)}`] : []),
    '# level admin: members change through the runtime API without a reload.',
    '# expose-fd listeners: a new worker takes over the listening sockets from the old one.',
    `stats socket ${configWord(g.statsSocket)} mode 600 level admin expose-fd listeners`,
    '# Saved before each reload so health, weights and maintenance survive it.',
    `server-state-file ${configWord(g.serverStateFile)}`,
    '# Old workers holding long-lived connections would otherwise pile up at every reload.',
    `hard-stop-after ${g.hardStopAfter}`,
    '# Close an old worker\'s idle keep-alive connections over a window, not all at once.',
    `close-spread-time ${g.closeSpreadTime}`,
    `mworker-max-reloads ${g.mworkerMaxReloads}`,
    '# Nothing here uses HAProxy\'s internal HTTP client; left verifying, it loads the system',
    '# CA store at every start: ~100 ms of each start, reload and check, and ~1 MB per worker.',
    'httpclient.ssl.verify none',
    ...(g.log ? [`log ${configWord(g.log.target)} ${configWord(g.log.facility)}`] : []),
    ...(peers ? [`localpeer ${peers.localName}`] : []),
    ...(g.externalCheck
      ? ['# PING monitors run an external program, which HAProxy forks only when asked to.', 'external-check', 'insecure-fork-wanted']
      : []),
  ]);
}

function renderPeers(p: PeersIR): string {
  return section(`peers ${p.name}`, p.peers.map((peer) => `peer ${peer.name} ${bracketed(peer.address)}:${peer.port}`));
}

function renderDefaults(g: GlobalIR): string {
  return section('defaults', [
    g.log ? 'log global' : 'no log',
    'load-server-state-from-file global',
    '# A connection refused by a dying member is retried on another one: without this,',
    '# clients saw 503s and 3 s stalls before the member was marked down.',
    'retries 3',
    'option redispatch 1',
    'option splice-request',
    'option splice-response',
    'option http-keep-alive',
  ]);
}
