/**
 * The replay marks of `memoryStore`: each kept until its own expiry and never evicted, since
 * a mark dropped early lets its replay through. Marks are grouped by the second they expire
 * in, so dropping the expired ones touches those groups only, never the whole set; the
 * groups are at most as many as the longest TTL has seconds (a tolerance window).
 *
 * Bounds are the store's (`memory.ts`): this class only counts entries and bytes.
 */

interface Mark {
  readonly value: string;
  /** Epoch milliseconds. */
  readonly expires: number;
  readonly bytes: number;
}

export class ReplayMarks {
  readonly #marks = new Map<string, Mark>();
  /** Second (ceiling of `expires / 1000`) → keys whose mark expires by then. */
  readonly #bySecond = new Map<number, Set<string>>();
  /** The earliest second in `#bySecond`; `Infinity` when empty. */
  #earliest = Infinity;
  #bytes = 0;

  get size(): number {
    return this.#marks.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** The mark's value while it is unexpired at `now`, else `undefined`. */
  get(key: string, now: number): string | undefined {
    const mark = this.#marks.get(key);
    if (mark === undefined) return undefined;
    if (mark.expires > now) return mark.value;
    this.delete(key);
    return undefined;
  }

  add(key: string, value: string, expires: number, bytes: number): void {
    this.delete(key);
    this.#marks.set(key, { value, expires, bytes });
    this.#bytes += bytes;
    const second = Math.ceil(expires / 1000);
    let keys = this.#bySecond.get(second);
    if (keys === undefined) this.#bySecond.set(second, (keys = new Set()));
    keys.add(key);
    if (second < this.#earliest) this.#earliest = second;
  }

  delete(key: string): void {
    const mark = this.#marks.get(key);
    if (mark === undefined) return;
    this.#marks.delete(key);
    this.#bytes -= mark.bytes;
    const second = Math.ceil(mark.expires / 1000);
    const keys = this.#bySecond.get(second);
    keys?.delete(key);
    if (keys?.size === 0) this.#bySecond.delete(second);
  }

  /** Drops every mark of a second that has passed; cheap when none has. */
  purgeExpired(now: number): void {
    if (this.#earliest * 1000 > now) return;
    let earliest = Infinity;
    for (const [second, keys] of this.#bySecond) {
      if (second * 1000 > now) {
        if (second < earliest) earliest = second;
        continue;
      }
      for (const key of keys) {
        const mark = this.#marks.get(key)!;
        this.#marks.delete(key);
        this.#bytes -= mark.bytes;
      }
      this.#bySecond.delete(second);
    }
    this.#earliest = earliest;
  }

  /** Seconds until the earliest mark expires (at least 1): when a full store has room again. */
  secondsUntilRoom(now: number): number {
    const earliest = this.#earliest === Infinity ? now : this.#earliest * 1000;
    return Math.max(1, Math.ceil((earliest - now) / 1000));
  }
}
