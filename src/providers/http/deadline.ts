/**
 * An AbortSignal that fires when `parent` aborts or `timeoutMs` passes, whichever comes first, and
 * that is disposed of as soon as the call ends. Unlike AbortSignal.timeout + AbortSignal.any, the
 * timer and the parent listener are removed at once: under load, thousands of 30-second timers and
 * signals left pending until they fire cost measurable GC time and tail latency.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private expired = false;

  constructor(
    private readonly parent: AbortSignal | undefined,
    readonly timeoutMs: number,
  ) {
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
    this.timer.unref();
    if (parent?.aborted) this.onParentAbort();
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** This deadline's own timeout fired (as opposed to the parent being aborted). */
  get timedOut(): boolean {
    return this.expired;
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }

  private readonly onParentAbort = (): void => {
    this.controller.abort(this.parent?.reason);
  };
}

/** Whether an abort reason means "time ran out" (ours, AbortSignal.timeout's, or a caller's deadline). */
export function isTimeoutReason(reason: unknown): boolean {
  return (reason as Error | undefined)?.name === 'TimeoutError';
}
