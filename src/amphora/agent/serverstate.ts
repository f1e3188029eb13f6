// The server-state file carried across reloads. HAProxy restores weight and admin state from
// it (good: runtime weights and maint survive), but also each server's address and port, which
// would silently undo an address change in the new config. So before a reload the agent keeps
// only the rows of servers the new config declares with the same address and port: for those
// the saved state is still true, and for every other server the config decides. A server the
// new config no longer checks (its monitor was disabled or deleted) keeps its row only while
// it is up: a DOWN found by the old checks would otherwise be restored with nothing left to
// ever bring it back.

/** `backend/server` → `addr:port` for every server line of the config's backends and listens. */
export function configuredServers(cfg: string): Map<string, string> {
  return new Map([...serverLines(cfg)].map(([key, s]) => [key, s.endpoint]));
}

/** Every server line of the config's backends and listens: its endpoint and whether it is checked. */
function serverLines(cfg: string): Map<string, { endpoint: string; checked: boolean }> {
  const servers = new Map<string, { endpoint: string; checked: boolean }>();
  let proxy: string | undefined;
  for (const raw of cfg.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (!line) continue;
    const words = line.split(/\s+/);
    if (!/^\s/.test(raw)) {
      proxy = words[0] === 'backend' || words[0] === 'listen' ? words[1] : undefined;
      continue;
    }
    if (proxy && words[0] === 'server' && words.length >= 3) {
      const endpoint = normalise(words[2]);
      if (endpoint) servers.set(`${proxy}/${words[1]}`, { endpoint, checked: words.includes('check') });
    }
  }
  return servers;
}

/** `ipv4@10.0.0.1:80`, `[2001:db8::1]:80`, `2001:db8::1:80` → `addr:port`; undefined when unsure. */
function normalise(address: string): string | undefined {
  const bare = address.replace(/^ipv[46]@/, '');
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(bare);
  if (bracketed) return `${bracketed[1]}:${bracketed[2]}`;
  const at = bare.lastIndexOf(':');
  if (at <= 0 || !/^\d+$/.test(bare.slice(at + 1))) return undefined;
  return `${bare.slice(0, at)}:${bare.slice(at + 1)}`;
}

/**
 * Keeps the version line, the header and the rows of `show servers state` whose server the
 * new config declares at the same address and port.
 */
export function filterServerState(state: string, newConfig: string): string {
  const lines = state.split('\n');
  const header = lines.findIndex((l) => l.startsWith('# '));
  if (header < 0) return lines[0] + '\n';
  const columns = lines[header].slice(2).trim().split(/\s+/);
  const col = (name: string) => columns.indexOf(name);
  const [be, srv, addr, port, op] = [col('be_name'), col('srv_name'), col('srv_addr'), col('srv_port'), col('srv_op_state')];
  const wanted = serverLines(newConfig);
  const kept = lines.slice(header + 1).filter((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length <= Math.max(be, srv, addr, port, op)) return false;
    const server = wanted.get(`${f[be]}/${f[srv]}`);
    if (server?.endpoint !== `${f[addr]}:${f[port]}`) return false;
    // srv_op_state 2 is SRV_ST_RUNNING.
    return server.checked || f[op] === '2';
  });
  return [...lines.slice(0, header + 1), ...kept, ''].join('\n');
}
