import { availableParallelism } from 'node:os';
import { AbortableQueue, QueuedCall } from '../common/abortable-queue';
import { EspeakSession, EspeakSessionResult } from './espeak-session';
import type { EspeakSessionOutput } from './espeak-session.worker';

/** Sessions kept for one set of arguments: enough to use two cores, few enough to bound memory (~40 MB each). */
const MAX_SESSIONS_PER_GROUP = Math.max(1, Math.min(2, availableParallelism()));
/** Distinct argument sets (voice × rate × output) kept; the least recently used idle one goes first. */
const MAX_GROUPS = 8;
/** A session unused this long is closed; the next call starts one again (~80 ms). */
const IDLE_CLOSE_MS = 5 * 60_000;

/**
 * The sessions for one set of eSpeak arguments and the calls waiting for one of them. A call whose
 * signal aborts leaves the queue at once; one already running is released at once too, and its
 * session finishes the lines in the background (milliseconds) before taking the next call.
 */
class EspeakSessionGroup {
  private readonly sessions: EspeakSession[] = [];
  private readonly waiting = new AbortableQueue<string[], EspeakSessionResult>();

  constructor(
    private readonly args: string[],
    private readonly output: EspeakSessionOutput,
  ) {}

  get active(): boolean {
    return this.waiting.length > 0 || this.sessions.some((session) => session.busy);
  }

  get size(): number {
    return this.sessions.length;
  }

  run(lines: string[], signal?: AbortSignal): Promise<EspeakSessionResult> {
    const result = this.waiting.add(lines, signal);
    this.dispatch();
    return result;
  }

  closeIdle(idleSince: number): void {
    for (const session of [...this.sessions]) if (!session.busy && session.lastUsedAt < idleSince) session.close();
  }

  close(): void {
    this.waiting.rejectAll(new Error('eSpeak sessions closed'));
    for (const session of [...this.sessions]) session.close();
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const session = this.sessions.find((candidate) => !candidate.busy) ?? this.start();
      if (!session) return;
      const call = this.waiting.take() as QueuedCall<string[], EspeakSessionResult>;
      void session
        .run(call.item)
        .then(call.resolve, call.reject)
        .finally(() => this.dispatch());
    }
  }

  private start(): EspeakSession | undefined {
    if (this.sessions.length >= MAX_SESSIONS_PER_GROUP) return undefined;
    const session = new EspeakSession(this.args, this.output, (ended) => {
      const index = this.sessions.indexOf(ended);
      if (index >= 0) this.sessions.splice(index, 1);
    });
    this.sessions.push(session);
    return session;
  }
}

/** The process's eSpeak sessions, grouped by their arguments. Shared by every provider in the process. */
export class EspeakSessions {
  private readonly groups = new Map<string, EspeakSessionGroup>();
  private sweeper?: NodeJS.Timeout;

  run(args: string[], output: EspeakSessionOutput, lines: string[], signal?: AbortSignal): Promise<EspeakSessionResult> {
    return this.group(args, output).run(lines, signal);
  }

  /** Live sessions (threads) across every group. */
  get size(): number {
    let sessions = 0;
    for (const group of this.groups.values()) sessions += group.size;
    return sessions;
  }

  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const group of this.groups.values()) group.close();
    this.groups.clear();
  }

  private group(args: string[], output: EspeakSessionOutput): EspeakSessionGroup {
    const key = JSON.stringify([output, ...args]);
    let group = this.groups.get(key);
    if (group) {
      // Re-inserted so the map's order is least recently used first.
      this.groups.delete(key);
    } else {
      group = new EspeakSessionGroup(args, output);
      this.evictBeyond(MAX_GROUPS - 1);
    }
    this.groups.set(key, group);
    this.sweeper ??= setInterval(() => this.closeIdle(), IDLE_CLOSE_MS / 5).unref();
    return group;
  }

  private evictBeyond(limit: number): void {
    for (const [key, group] of this.groups) {
      if (this.groups.size <= limit) return;
      if (group.active) continue;
      group.close();
      this.groups.delete(key);
    }
  }

  private closeIdle(): void {
    const idleSince = Date.now() - IDLE_CLOSE_MS;
    for (const group of this.groups.values()) group.closeIdle(idleSince);
  }
}

export const espeakSessions = new EspeakSessions();
