import type { InstallationStatus } from '../stores/status.ts';

export function formatStatus(status: InstallationStatus): string {
  const lines = [
    `backend   ${status.backend}${status.postgresUrl ? ` at ${status.postgresUrl}` : ''}`,
    `data dir  ${status.dataDir}`,
    `recorded  ${status.recorded ? `${status.recorded.backend} (${status.recorded.source === 'marker' ? 'piri-db.json' : 'from its SQLite files'})` : 'not yet (set up on first boot)'}`,
  ];
  if (status.piriInstallation) {
    lines.push('piri      a Piri installation, not yet adopted: run `piri-db adopt` to take it over (not `piri-db migrate`)');
  }
  for (const store of status.stores) {
    lines.push('', `${store.store}  ${store.location}${store.exists ? '' : '  (not created yet)'}${store.piri ? '  (set up by Piri)' : ''}`);
    lines.push(
      `  migrations  ${store.appliedMigrations.length} applied, ${store.pendingMigrations.length} pending` +
        (store.pendingMigrations.length > 0 ? ` (${store.pendingMigrations.join(', ')})` : ''),
    );
    if (store.tables.length > 0) {
      const rows = store.tables.reduce((sum, t) => sum + t.rows, 0);
      lines.push(`  tables      ${store.tables.length}, ${rows} row(s)`);
      const width = Math.max(...store.tables.map((t) => t.name.length));
      for (const table of store.tables) lines.push(`    ${table.name.padEnd(width)}  ${table.rows}`);
    }
  }
  return lines.join('\n');
}
