/**
 * docs/benchmarks.md is shared by several benches: each owns one section between HTML comment markers and
 * rewrites only that, so running one bench never erases another's figures.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export function writeSection(file: string, section: string, body: string): void {
  const start = `<!-- ${section}:start -->`;
  const end = `<!-- ${section}:end -->`;
  const block = `${start}\n${body.trim()}\n${end}`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  const next = from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + end.length) : `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, next);
}
