// The renderer's public surface: graph → IR → haproxy.cfg, bundles, and runtime deltas.
export { toIR } from './translate.ts';
export { renderHaproxy } from './haproxy.ts';
export { runtimeDelta, dynamicServersRefused } from './delta.ts';
export type { RuntimeCommand } from './delta.ts';
export { makeBundle, haproxyBundle, DEFAULT_FILE_MODE } from './bundle.ts';
export type { BundleFile, ConfigBundle } from './bundle.ts';
export { certPaths, DEFAULTS } from './context.ts';
export type { AmphoraContext, AmphoraPaths, PeerContext } from './context.ts';
export { RenderError } from './escape.ts';
export type * from './ir.ts';
export { certificateFiles, certificateRefsOf, pemFile } from './certs.ts';
export { toUdpConfig, renderUdp, UDP_CONFIG_FILE } from './udp.ts';
export type * from './udp.ts';
export { renderKeepalived, VRRP_DEFAULTS } from './keepalived.ts';
export type { VrrpContext } from './keepalived.ts';
