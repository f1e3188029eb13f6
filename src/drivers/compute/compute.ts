// What the amphora driver needs from a compute driver: somewhere to run an amphora, the agent
// that drives it, and the facts the renderer needs about that host. Octavia's compute
// drivers boot VMs; Fulcrum's run HAProxy processes (local: this host, embedded agent).
import type { AgentClient } from '../../amphora/client.ts';
import type { AgentInfo } from '../../amphora/protocol.ts';

/** Where a new amphora lives, as the amphora row records it. */
export interface AmphoraPlacement {
  /** The agent's name for the amphora (Octavia: the Nova server id). */
  computeId: string;
  /** The address the controller reaches the agent at (Octavia: lb_network_ip). */
  lbNetworkIp: string;
  /** When the agent's certificate expires (ISO time). */
  certExpiration: string | null;
}

export interface Compute {
  readonly name: string;
  /** Places the amphora `amphoraId`; nothing runs until its first configuration is applied. */
  place(amphoraId: string): AmphoraPlacement;
  /** The agent client for an amphora placed by this driver. */
  agentFor(computeId: string): AgentClient;
  /** The host's facts (HAProxy version, maxconn budget); cached after the first answer. */
  info(computeId: string): Promise<AgentInfo>;
  /** Stops the amphora's HAProxy and removes its files; fine when it never existed. */
  delete(computeId: string): Promise<void>;
}
