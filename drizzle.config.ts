// One config for all eight (dialect, store) pairs; scripts/generate-migrations.ts loops over them.
import { defineConfig } from 'drizzle-kit';

const dialect = process.env.PIRI_DB_DIALECT ?? 'sqlite';
const store = process.env.PIRI_DB_STORE ?? 'scheduler';

export default defineConfig({
  dialect: dialect === 'postgres' ? 'postgresql' : 'sqlite',
  schema: `./schema/${dialect}/${store}.ts`,
  out: process.env.PIRI_DB_OUT ?? `./drizzle/${dialect}/${store}`,
  breakpoints: true,
});
