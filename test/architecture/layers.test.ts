/**
 * The folder tree is the architecture (docs/architecture.md): each folder under src/ is a layer and imports only the
 * layers this table allows, all of them below it, so no two folders import each other, directly or around a circle.
 * Every relative import of every file under src/ is checked (static, `export ... from`, `import type` and dynamic
 * `import()`): a type-only import still ties one folder to another. Adding a folder means adding it here and to the
 * document.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * `root`: the files directly under src/ (clock, errors, lifecycle, logger, narrow, package-root, services), utilities every
 * layer may use; `index`: src/index.ts, the public entry, on top; `schema`: the drizzle tables in schema/ at the package
 * root, outside src/. Every other name is a folder under src/.
 */
type Layer = 'root' | 'config' | 'catalog' | 'schema' | 'backend' | 'queue' | 'stores' | 'scheduler' | 'operations' | 'cli' | 'index';

/** What each layer may import (besides itself and packages). Lowest first; docs/architecture.md shows the same table. */
const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  root: [],
  config: ['root'],
  catalog: ['root'],
  schema: [],
  backend: ['root', 'config', 'catalog', 'schema'],
  queue: ['root', 'config', 'catalog', 'schema', 'backend'],
  scheduler: ['root', 'config', 'catalog', 'schema', 'backend'],
  stores: ['root', 'config', 'catalog', 'schema', 'backend', 'queue', 'scheduler'],
  operations: ['root', 'config', 'catalog', 'schema', 'backend', 'queue', 'stores'],
  cli: ['root', 'config', 'catalog', 'schema', 'backend', 'queue', 'stores', 'scheduler', 'operations'],
  index: ['root', 'config', 'catalog', 'schema', 'backend', 'queue', 'stores', 'scheduler', 'operations'],
};

interface Import {
  /** Repository-relative, with forward slashes. */
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  /** The importing file's layer; a folder missing from the table keeps its name, and fails the test. */
  readonly from: string;
  /** The layer the import lands in: a folder missing from the table keeps its name; undefined outside src/ and schema/. */
  readonly to: string | undefined;
}

const posix = (path: string) => path.split(sep).join('/');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(?:ts|mts|js|mjs)$/.test(entry.name) ? [path] : [];
  });
}

/** The layer of a repository-relative path; a name that is not in the table is returned as is, to be reported. */
function layerOf(path: string): string | undefined {
  const parts = path.split('/');
  if (parts[0] === 'schema') return 'schema';
  if (parts[0] !== 'src') return undefined;
  if (parts.length === 2) return parts[1] === 'index.ts' ? 'index' : 'root';
  return parts[1];
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const from = layerOf(file)!;
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.filter((imported) => imported.fileName.startsWith('.'))
    .map((imported) => {
      const target = posix(relative(ROOT, join(ROOT, dirname(file), imported.fileName)));
      const line = text.slice(0, imported.pos).split('\n').length;
      return { file, line, specifier: imported.fileName, from, to: layerOf(target) };
    });
}

/** The folder-to-folder edges, each with the imports that make it. */
function edges(imports: readonly Import[]): Map<string, Map<string, Import[]>> {
  const graph = new Map<string, Map<string, Import[]>>();
  for (const i of imports) {
    if (i.to === undefined || i.to === i.from) continue;
    const out = graph.get(i.from) ?? new Map<string, Import[]>();
    graph.set(i.from, out);
    out.set(i.to, [...(out.get(i.to) ?? []), i]);
  }
  return graph;
}

/** Every elementary cycle through the graph, each once, starting at its smallest name. */
function cycles<T extends string>(next: (node: T) => Iterable<T>, nodes: Iterable<T>): T[][] {
  const found: T[][] = [];
  const walk = (start: T, path: T[]) => {
    for (const n of next(path.at(-1)!)) {
      if (n === start) found.push([...path, start]);
      else if (n > start && !path.includes(n)) walk(start, [...path, n]);
    }
  };
  for (const start of nodes) walk(start, [start]);
  return found;
}

const isLayer = (name: string): name is Layer => Object.hasOwn(ALLOWED, name);

const where = (i: Import) => `${i.file}:${i.line} imports '${i.specifier}'`;

const files = sourceFiles('src');
const imports = files.flatMap(importsOf);

describe('layers', () => {
  it('reads the files under src/', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(imports.some((i) => i.from === 'stores' && i.to === 'backend')).toBe(true);
  });

  it('the table of allowed imports is itself without a cycle', () => {
    const layers = Object.keys(ALLOWED) as Layer[];
    expect(cycles((layer: Layer) => ALLOWED[layer], layers).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('no file under src/ imports a folder its layer may not import', () => {
    const unknown = files.filter((file) => !isLayer(layerOf(file)!));
    const bad = imports.flatMap((i) => {
      if (!isLayer(i.from)) return [];
      if (i.to === undefined) return [`${where(i)}: it leaves src/ (only schema/ may be imported from outside)`];
      if (i.to === i.from || (isLayer(i.to) && ALLOWED[i.from].includes(i.to))) return [];
      return [`${where(i)}: ${i.from} may not import ${i.to} (it may import: ${ALLOWED[i.from].join(', ') || 'only itself'})`];
    });
    const report = [
      ...new Set(unknown.map((file) => `${file}: src/${layerOf(file)}/ is not in the layer table (add it there and to docs/architecture.md)`)),
      ...bad,
    ];
    expect(report, report.join('\n')).toEqual([]);
  });

  it('no two folders import each other, directly or around a circle', () => {
    const graph = edges(imports);
    const found = cycles((layer: string) => graph.get(layer)?.keys() ?? [], graph.keys()).map((cycle) =>
      cycle
        .slice(1)
        .map((to, k) => `${cycle[k]} -> ${to} (${where(graph.get(cycle[k]!)!.get(to)![0]!)})`)
        .join('; '),
    );
    expect(found, found.join('\n')).toEqual([]);
  });
});
