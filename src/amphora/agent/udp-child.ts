// The UDP engine of one amphora in a network namespace, as its own process: the agent starts it
// with `ip netns exec <ns>` (udp-process.ts) so its sockets bind the VIP inside the amphora's
// namespace. It speaks only over the IPC channel: configs in, results, stats and logs out.
// It exits when the channel closes, so an agent that dies (even by SIGKILL) leaves no orphan.
import { UdpEngine } from './udp.ts';
import type { AgentLog } from './amphora.ts';
import type { UdpChildMessage, UdpParentMessage } from './udp-process.ts';

/** How often the stats go up: the agent's heartbeats (1 s) read the last rows sent. */
const STATS_MS = 250;

function send(msg: UdpChildMessage): void {
  // A closed channel means the agent is gone; 'disconnect' ends this process.
  if (process.connected) process.send!(msg);
}

const log: AgentLog = {
  info: (obj) => send({ kind: 'log', level: 'info', obj }),
  warn: (obj) => send({ kind: 'log', level: 'warn', obj }),
  error: (obj) => send({ kind: 'log', level: 'error', obj }),
};

function main(): void {
  if (!process.send) {
    console.error('udp-child: started without an IPC channel (the agent starts it)');
    process.exit(2);
  }
  const engine = new UdpEngine(log, process.argv[2] ?? 'unknown');
  // Applies run one at a time, in arrival order, as the agent's operations do.
  let queue: Promise<unknown> = Promise.resolve();
  process.on('message', (msg: UdpParentMessage) => {
    if (msg.kind !== 'apply') return;
    queue = queue.then(() => engine.apply(msg.config)).then(
      () => send({ kind: 'applied', seq: msg.seq, rows: engine.stats() }),
      (err: Error) => send({ kind: 'applied', seq: msg.seq, error: err.message, rows: engine.stats() }),
    );
  });
  process.on('disconnect', () => {
    engine.close();
    process.exit(0);
  });
  setInterval(() => send({ kind: 'stats', rows: engine.stats() }), STATS_MS);
  send({ kind: 'ready', pid: process.pid });
}

main();
