// The Fulcrum the data-plane bench drives: the real `fulcrum up` command (src/cli/main.ts) run
// from the sources, in its own process, so the bench's clients and backends never share its
// event loop.
import { main } from '../../src/cli/main.ts';

main(process.argv.slice(2)).catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
