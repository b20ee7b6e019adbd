#!/usr/bin/env node
// The CLI as shipped: the compiled JavaScript that `pnpm build` (run by prepack) writes to dist/.
// In a clone, `pnpm piri-db` runs the TypeScript source instead.
await import('../dist/src/cli/main.js');
