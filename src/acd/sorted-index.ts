/**
 * An ordered set of ids by (score, id), the in-memory twin of a Redis sorted set (ties broken by id in code-unit
 * order, which equals Redis' byte order for ASCII ids). Sorted arrays: O(log n) search, O(n) memmove on insert
 * and removal, which for queues and ready lists of a few thousand is faster than a tree and allocation-free.
 */
export class SortedIndex {
  private ids: string[] = [];
  private scores: number[] = [];
  private readonly scoreOf = new Map<string, number>();

  get size(): number {
    return this.ids.length;
  }

  has(id: string): boolean {
    return this.scoreOf.has(id);
  }

  score(id: string): number | undefined {
    return this.scoreOf.get(id);
  }

  add(id: string, score: number): void {
    if (this.scoreOf.has(id)) this.remove(id);
    const i = this.lowerBound(score, id);
    this.ids.splice(i, 0, id);
    this.scores.splice(i, 0, score);
    this.scoreOf.set(id, score);
  }

  remove(id: string): boolean {
    const s = this.scoreOf.get(id);
    if (s === undefined) return false;
    const i = this.lowerBound(s, id);
    this.ids.splice(i, 1);
    this.scores.splice(i, 1);
    this.scoreOf.delete(id);
    return true;
  }

  first(): string | undefined {
    return this.ids[0];
  }

  /** The id at 0-based position `i` (no copy: do not mutate the index while walking it). */
  at(i: number): string | undefined {
    return this.ids[i];
  }

  /** 0-based rank, or -1. */
  rank(id: string): number {
    const s = this.scoreOf.get(id);
    return s === undefined ? -1 : this.lowerBound(s, id);
  }

  /** The first `n` ids in order (a copy, safe to iterate while mutating the index). */
  head(n: number): string[] {
    return this.ids.slice(0, n);
  }

  all(): string[] {
    return this.ids.slice();
  }

  private lowerBound(score: number, id: string): number {
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const s = this.scores[mid]!;
      if (s < score || (s === score && this.ids[mid]! < id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
