// keepalived.conf for one amphora of an ACTIVE_STANDBY load balancer: one VRRP instance that
// holds the VIP(s), VRRP version 3 so adverts can be sub-second, unicast to the peer amphora,
// and a track_file the agent sets the moment this amphora's HAProxy exits.
//
// Figures behind the choices (DESIGN.md, measured here): advert_int 1 costs ~3.6 s when a
// master dies, 0.1 (needs version 3) ~0.4 s; a vrrp_script polls in whole seconds (~1.9 s to
// notice a dead HAProxy), a track_file written by the agent ~0.1 s; vrrp_track_process puts
// both instances in FAULT inside a network namespace, so it is never rendered. Priorities that
// differ by one keep the skew time of a graceful handover near zero. Both start BACKUP with
// nopreempt: the higher priority wins the first election, and an amphora that comes back does
// not take the VIP back (no second interruption).
import { RenderError } from './escape.ts';

export interface VrrpContext {
  /** keepalived's router_id: the amphora's name on the wire. */
  routerId: string;
  /** The interface the VIP and the VRRP adverts live on (the amphora row's vrrp_interface). */
  interface: string;
  /** VRRP router id, 1..255: distinct per load balancer sharing a network. */
  vrid: number;
  /** 1..254; the MASTER one higher than the BACKUP. */
  priority: number;
  /** This amphora's own address on the VIP network (vrrp_ip): the unicast source. */
  sourceIp: string;
  /** The other amphorae's vrrp_ips. */
  peers: string[];
  /** Prefix length of the VIP subnet. */
  vipPrefix: number;
  /** Seconds between adverts; below 1 needs VRRP v3 (default 0.1). */
  advertInt?: number;
  /** The track file, relative to the config directory (keepalived runs there). */
  trackFile: string;
}

export const VRRP_DEFAULTS = { advertInt: 0.1 } as const;

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const ADDRESS = /^[0-9A-Fa-f.:]{2,45}$/;
const FILE = /^[A-Za-z0-9_.-][A-Za-z0-9_./-]{0,200}$/;

function check(ok: boolean, what: string): void {
  if (!ok) throw new RenderError(`keepalived: ${what}`);
}

/** The text of keepalived.conf holding `vips` (first: the load balancer's VIP) for `ctx`. */
export function renderKeepalived(vips: string[], ctx: VrrpContext): string {
  const advert = ctx.advertInt ?? VRRP_DEFAULTS.advertInt;
  check(NAME.test(ctx.routerId), `router id ${JSON.stringify(ctx.routerId)} is not a plain name`);
  check(NAME.test(ctx.interface) && ctx.interface.length <= 15, `interface ${JSON.stringify(ctx.interface)} is not an interface name`);
  check(Number.isInteger(ctx.vrid) && ctx.vrid >= 1 && ctx.vrid <= 255, `virtual router id ${ctx.vrid} is not 1..255`);
  check(Number.isInteger(ctx.priority) && ctx.priority >= 1 && ctx.priority <= 254, `priority ${ctx.priority} is not 1..254`);
  check(advert > 0 && advert <= 255, `advert interval ${advert} is out of range`);
  check(FILE.test(ctx.trackFile) && !ctx.trackFile.split('/').includes('..'), `track file ${JSON.stringify(ctx.trackFile)} is not a relative path`);
  check(vips.length > 0, 'no VIP to hold');
  for (const a of [ctx.sourceIp, ...ctx.peers, ...vips]) check(ADDRESS.test(a), `${JSON.stringify(a)} is not an address`);
  const v6 = (a: string) => a.includes(':');
  const line = (a: string) => `        ${a}/${a === vips[0] ? ctx.vipPrefix : v6(a) ? 128 : 32} dev ${ctx.interface}`;
  const same = vips.filter((a) => v6(a) === v6(ctx.sourceIp));
  const other = vips.filter((a) => v6(a) !== v6(ctx.sourceIp));
  check(same.length > 0, `no VIP of the address family of ${ctx.sourceIp}`);
  return [
    `# keepalived configuration of amphora ${ctx.routerId}, rendered by Fulcrum.`,
    '# The agent writes 1 to the track file the moment HAProxy exits (FAULT: the peer takes the VIP).',
    '',
    'global_defs {',
    `    router_id ${ctx.routerId}`,
    '    # Version 3: sub-second adverts (version 2 rounds them up to whole seconds).',
    '    vrrp_version 3',
    '    vrrp_garp_master_delay 0',
    '    vrrp_garp_master_refresh 5',
    '    vrrp_garp_master_refresh_repeat 2',
    '    enable_script_security',
    '}',
    '',
    'track_file haproxy_down {',
    `    file "${ctx.trackFile}"`,
    '    weight 0',
    '    init_file 0 overwrite',
    '}',
    '',
    'vrrp_instance fulcrum {',
    '    state BACKUP',
    `    interface ${ctx.interface}`,
    `    virtual_router_id ${ctx.vrid}`,
    `    priority ${ctx.priority}`,
    '    nopreempt',
    '    accept',
    `    advert_int ${advert}`,
    `    unicast_src_ip ${ctx.sourceIp}`,
    '    unicast_peer {',
    ...ctx.peers.map((p) => `        ${p}`),
    '    }',
    '    virtual_ipaddress {',
    ...same.map(line),
    '    }',
    // VRRP adverts carry one address family; VIPs of the other one ride along, unadvertised.
    ...(other.length ? ['    virtual_ipaddress_excluded {', ...other.map(line), '    }'] : []),
    '    track_file {',
    '        haproxy_down',
    '    }',
    '}',
    '',
  ].join('\n');
}
