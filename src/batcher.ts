/**
 * Group commit: callers hand in one item each and wait for it; the items that arrive while a write is in
 * flight are written together by the next one. A lone item is written at once (after the current turn of
 * the event loop, so everything one socket read brought in goes together), and under load batches grow by
 * themselves to what arrives during one round trip: one Redis call for many messages, no timer to tune.
 */
export interface BatcherOptions {
  /** Items per write at most; the rest wait for the next write. */
  maxBatch: number;
  /** Writes in flight at once. */
  maxInFlight: number;
}

interface Waiting<T, R> { item: T; resolve(result: R): void; reject(err: unknown): void }

export class Batcher<T, R> {
  private waiting: Array<Waiting<T, R>> = [];
  private inFlight = 0;
  private scheduled = false;

  /** `write` gets a batch and returns one result per item, in order; a rejection fails every item of the batch. */
  constructor(private readonly write: (items: T[]) => Promise<R[]>, private readonly options: BatcherOptions) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.options.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    while (this.waiting.length && this.inFlight < this.options.maxInFlight) {
      const batch = this.waiting.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.write(batch.map((w) => w.item)).then(
        (results) => batch.forEach((w, i) => w.resolve(results[i]!)),
        (err) => batch.forEach((w) => w.reject(err)),
      ).finally(() => {
        this.inFlight--;
        if (this.waiting.length) this.schedule();
      });
    }
  }
}
