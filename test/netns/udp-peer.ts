// UDP ends for the netns UDP test, run inside a namespace:
//   udp-peer.ts serve NAME ADDRESS PORT   a member: answers "NAME:<datagram>" to every datagram
//   udp-peer.ts ask HOST PORT COUNT TIMEOUT_MS
//                                         a client: COUNT sockets (COUNT flows), one datagram
//                                         each, prints the replies as JSON (null: none in time)
import { createSocket } from 'node:dgram';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'serve') {
  const [name, address, port] = args;
  const sock = createSocket('udp4');
  sock.on('message', (msg, r) => sock.send(`${name}:${msg.toString()}`, r.port, r.address));
  sock.bind(Number(port), address, () => process.stdout.write(`listening ${address}:${port}\n`));
  process.on('SIGTERM', () => process.exit(0));
} else {
  const [host, port, count, timeoutMs] = args;
  const ask = (i: number) => new Promise<string | null>((resolve) => {
    const sock = createSocket('udp4');
    const timer = setTimeout(() => finish(null), Number(timeoutMs));
    function finish(reply: string | null) {
      clearTimeout(timer);
      sock.close();
      resolve(reply);
    }
    sock.on('message', (msg) => finish(msg.toString()));
    sock.on('error', () => undefined);
    sock.send(`ping${i}`, Number(port), host);
  });
  const replies = await Promise.all(Array.from({ length: Number(count) }, (_, i) => ask(i)));
  process.stdout.write(JSON.stringify(replies));
}
