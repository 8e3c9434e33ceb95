/**
 * The embedding rows a model has already computed, by token id. An embedding graph maps each token to
 * one fixed row, so a cached row is exactly what the graph would return; looking it up saves a session
 * run on every step that feeds embeddings (noise, soft thoughts, a sequence kept on the embeddings
 * decoder), which costs about as much as a small model's whole layer stack at batch 1.
 * Least recently used rows are dropped past `maxRows`.
 */
export class EmbeddingRows {
  private readonly rows = new Map<number, Float32Array>();
  readonly maxRows: number;

  constructor(
    readonly width: number,
    maxBytes: number,
  ) {
    this.maxRows = Math.max(0, Math.floor(maxBytes / (4 * width)));
  }

  get size(): number {
    return this.rows.size;
  }

  /**
   * The rows of `tokens`, concatenated; `compute` runs once for the distinct tokens not cached (in
   * first-seen order) and returns their rows concatenated.
   */
  async lookup(tokens: Int32Array, compute: (missing: Int32Array) => Promise<Float32Array>): Promise<Float32Array> {
    const { width } = this;
    const missing = new Set<number>();
    for (const t of tokens) if (!this.rows.has(t)) missing.add(t);
    const fresh = new Map<number, Float32Array>();
    if (missing.size > 0) {
      const computed = await compute(Int32Array.from(missing));
      let i = 0;
      for (const t of missing) fresh.set(t, computed.slice(i * width, ++i * width));
    }
    const out = new Float32Array(tokens.length * width);
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      const row = this.rows.get(t) ?? fresh.get(t)!;
      out.set(row, i * width);
      this.touch(t, row);
    }
    return out;
  }

  private touch(token: number, row: Float32Array): void {
    if (this.maxRows === 0) return;
    // Map order is insertion order: re-inserting marks the row most recently used.
    this.rows.delete(token);
    this.rows.set(token, row);
    if (this.rows.size > this.maxRows) this.rows.delete(this.rows.keys().next().value!);
  }
}
