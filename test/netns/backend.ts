// A member for the netns tests: an HTTP server in its own namespace that answers its name (body
// and X-Backend), and sets an application cookie `sid` when the request has none (APP_COOKIE
// persistence sticks on it). Usage: backend.ts NAME ADDRESS PORT
import { createServer } from 'node:http';

const [name, address, port] = process.argv.slice(2);
let issued = 0;
const server = createServer((req, res) => {
  const headers: Record<string, string> = { 'x-backend': name, 'content-type': 'text/plain', connection: 'close' };
  if (!/(^|;\s*)sid=/.test(req.headers.cookie ?? '')) headers['set-cookie'] = `sid=${name}-${++issued}; Path=/`;
  res.writeHead(200, headers).end(name);
});
server.listen(Number(port), address, () => process.stdout.write(`listening ${address}:${port}\n`));
process.on('SIGTERM', () => process.exit(0));
