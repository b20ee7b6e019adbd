/**
 * A table's row count and content checksum: sha256 over every value of every row, rows in primary-key order,
 * each value as (tag, length, canonical bytes) (values.ts). Both sides of a copy, a backup and its restore
 * compute it with this code, each from its own driver's values.
 */
import { createHash, type Hash } from 'node:crypto';
import type { Dialect } from '../catalog/registry.ts';
import type { TableSpec } from './catalog.ts';
import { canonical, type RawRow } from './values.ts';

export interface TableDigest {
  readonly rows: number;
  /** sha256, hex. */
  readonly checksum: string;
}

export class TableDigester {
  readonly #hash: Hash = createHash('sha256');
  readonly #header = Buffer.alloc(5);
  #rows = 0;

  constructor(
    readonly dialect: Dialect,
    readonly table: TableSpec,
  ) {}

  add(rows: readonly RawRow[]): void {
    const { columns } = this.table;
    for (const row of rows) {
      for (let i = 0; i < columns.length; i++) {
        const { tag, bytes } = canonical(this.dialect, columns[i]!.kind, row[i]!);
        this.#header.writeUInt8(tag, 0);
        this.#header.writeUInt32BE(typeof bytes === 'string' ? Buffer.byteLength(bytes) : bytes.length, 1);
        this.#hash.update(this.#header);
        this.#hash.update(bytes);
      }
    }
    this.#rows += rows.length;
  }

  digest(): TableDigest {
    return { rows: this.#rows, checksum: this.#hash.digest('hex') };
  }
}

/** Digests a stream of row batches. */
export async function digestRows(dialect: Dialect, table: TableSpec, batches: AsyncIterable<RawRow[]>): Promise<TableDigest> {
  const digester = new TableDigester(dialect, table);
  for await (const rows of batches) digester.add(rows);
  return digester.digest();
}
