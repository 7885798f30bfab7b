// Single-flight: concurrent requests for the same key share one in-flight call instead of each going
// upstream (many PROPFINDs of one cold directory cost one listing).

export class SingleFlight<K, V> {
  private readonly inFlight = new Map<K, Promise<V>>();

  run(key: K, fn: () => Promise<V>): Promise<V> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const p = fn().finally(() => {
      if (this.inFlight.get(key) === p) this.inFlight.delete(key);
    });
    this.inFlight.set(key, p);
    return p;
  }

  has(key: K): boolean {
    return this.inFlight.has(key);
  }
}
