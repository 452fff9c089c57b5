/**
 * The signal of one provider call. It aborts when the caller's signal does, when the call is stopped
 * (`stop`: its stream was abandoned), or when the timer runs out while armed. The timer covers only
 * time spent waiting on the provider: armed until the first audio, then again while each next chunk is
 * awaited, so a client that reads slowly (back-pressure) is never taken for a provider that stalls.
 */
export class CallTimer {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  private expired = false;

  constructor(
    private readonly parent: AbortSignal,
    readonly timeoutMs: number,
  ) {
    if (parent.aborted) this.onParentAbort();
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** This call's own timer fired (as opposed to the caller aborting or the stream being stopped). */
  get timedOut(): boolean {
    return this.expired;
  }

  /** The caller gave up (its signal aborted): nothing to say about the provider. */
  get callerLeft(): boolean {
    return this.parent.aborted;
  }

  /** The provider has `timeoutMs` from now to produce what is awaited. */
  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new DOMException(`timed out after ${this.timeoutMs} ms`, 'TimeoutError'));
    }, this.timeoutMs);
    this.timer.unref();
  }

  disarm(): void {
    clearTimeout(this.timer);
  }

  /** Ends the provider's work at once: its stream was abandoned or the call failed. */
  stop(reason: Error): void {
    this.disarm();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.parent.removeEventListener('abort', this.onParentAbort);
  }

  private readonly onParentAbort = (): void => {
    this.disarm();
    this.controller.abort(this.parent.reason);
  };
}
