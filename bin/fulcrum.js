#!/usr/bin/env node
// The published entry point runs the compiled CLI; `npm run build` produces dist/.
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
