/** A caller's place in an AbortableQueue, handed to whatever serves it. */
export interface QueuedCall<T, R> {
  readonly item: T;
  resolve(value: R): void;
  reject(reason: unknown): void;
  /** From now on the caller's signal no longer releases it: it waits for this call's own answer. */
  ignoreAbort(): void;
}

interface Entry<T, R> {
  item: T;
  signal?: AbortSignal;
  resolve(value: R): void;
  reject(reason: unknown): void;
  onAbort(): void;
}

/**
 * Calls waiting, first in first out, for something that serves one at a time (a thread, a session).
 * A call whose signal aborts leaves the queue at once, rejected with the signal's reason, so it never
 * reaches a server; a call already taken is released the same way unless its server said
 * `ignoreAbort()`.
 */
export class AbortableQueue<T, R> {
  private readonly entries: Entry<T, R>[] = [];

  get length(): number {
    return this.entries.length;
  }

  /** Queues `item`; the promise is the call's answer. Already aborted → rejected, never queued. */
  add(item: T, signal?: AbortSignal): Promise<R> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<R>((resolve, reject) => {
      const entry: Entry<T, R> = {
        item,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const index = this.entries.indexOf(entry);
          if (index >= 0) this.entries.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      this.entries.push(entry);
    });
  }

  /** The oldest waiting call, now the taker's to answer. */
  take(): QueuedCall<T, R> | undefined {
    const entry = this.entries.shift();
    if (!entry) return undefined;
    const ignoreAbort = () => entry.signal?.removeEventListener('abort', entry.onAbort);
    return {
      item: entry.item,
      resolve: (value) => {
        ignoreAbort();
        entry.resolve(value);
      },
      reject: (reason) => {
        ignoreAbort();
        entry.reject(reason);
      },
      ignoreAbort,
    };
  }

  /** Rejects every waiting call with `reason` (the server is closing). */
  rejectAll(reason: Error): void {
    for (const entry of this.entries.splice(0)) {
      entry.signal?.removeEventListener('abort', entry.onAbort);
      entry.reject(reason);
    }
  }
}
