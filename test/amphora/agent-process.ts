// Entry point for tests that run `fulcrum agent` as its own process (through tsx, no build).
import { main } from '../../src/cli/main.ts';

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
