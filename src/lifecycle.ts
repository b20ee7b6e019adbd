/**
 * Resources acquired while opening are pushed here and released in reverse order, whether opening finished
 * or failed half way (graphile-worker's releasers). The first error wins; the rest still run.
 */
export class ReleaseStack {
  #releasers: (() => unknown)[] = [];
  #released = false;

  push(release: () => unknown): void {
    this.#releasers.push(release);
  }

  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    let first: unknown;
    for (const release of this.#releasers.reverse()) {
      try {
        await release();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== undefined) throw first;
  }
}
