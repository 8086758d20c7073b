/**
 * "The live figures have changed": raised by the KPI counter after it counts a batch of the ACD's events (or a call
 * record), so readers that push (the wallboard stream) refresh at once rather than at their next period. It carries
 * no data: a listener reads the figures itself, so a burst of changes costs it one reading, not one per change.
 */
export class ChangeSignal {
  private readonly listeners = new Set<() => void>();

  /** The returned function removes the listener (calling it twice is harmless). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  emit(): void {
    for (const l of this.listeners) l();
  }
}
