/**
 * One run at a time per key: asked for again while a run for that key is under way, the same
 * promise is handed back rather than a second run started; the key is free once it settles.
 */
export class SingleFlight<Key, Value> {
  private readonly running = new Map<Key, Promise<Value>>();

  run(key: Key, work: () => Promise<Value>): Promise<Value> {
    const under = this.running.get(key);
    if (under) return under;
    const attempt = work().finally(() => this.running.delete(key));
    this.running.set(key, attempt);
    return attempt;
  }

  /** The runs under way now, for a stop to wait for. */
  underWay(): Promise<Value>[] {
    return [...this.running.values()];
  }
}
