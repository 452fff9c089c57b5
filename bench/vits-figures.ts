import { percentile, round } from './suite';
import type { Engine, SynthesisTiming } from './vits-engines';
import { threadCpuDeltaMs, threadCpuNs } from './vits-threads';

/** What the vits bench reports for one engine on one text, and the goals of issue 22 checked against it. */
export interface Figures {
  runs: number;
  audioSeconds: number;
  p50Ms: number;
  p95Ms: number;
  rtf: number;
  firstAudioP50Ms: number;
  /** CPU time of the whole process (every thread) per synthesis: what the work costs, whatever else the machine runs. */
  cpuP50Ms: number;
  cpuRtf: number;
  /** Audio without the pauses an engine adds between chunks, and CPU ms per second of it: the model's own output, whatever the pauses. */
  speechSeconds: number;
  cpuMsPerSpeechSecond: number;
  /** CPU ms per synthesis (p50) by group of threads (see ThreadGroups), when the process's threads are labelled. */
  cpuByThreads?: Record<string, number>;
}

/** Names a thread of this process by its id (Linux thread ids; `undefined` for one the bench did not label). */
export type ThreadGroups = (tid: number) => string | undefined;

type Timed = SynthesisTiming & { cpuMs: number; byThreads: Record<string, number> };

const median = (values: number[]) => percentile(values, 50);

function summarise(timings: Timed[]): Figures {
  const totals = timings.map((t) => t.totalMs);
  const figures: Figures = {
    runs: timings.length,
    // Durations come from the (random) duration predictor with noise: audio length varies a little per run.
    audioSeconds: round(median(timings.map((t) => t.audioSeconds)), 2),
    p50Ms: round(median(totals), 1),
    p95Ms: round(percentile(totals, 95), 1),
    rtf: round(median(timings.map((t) => t.totalMs / 1000 / t.audioSeconds)), 4),
    firstAudioP50Ms: round(median(timings.map((t) => t.firstAudioMs)), 1),
    cpuP50Ms: round(median(timings.map((t) => t.cpuMs)), 1),
    cpuRtf: round(median(timings.map((t) => t.cpuMs / 1000 / t.audioSeconds)), 4),
    speechSeconds: round(median(timings.map((t) => t.speechSeconds)), 2),
    cpuMsPerSpeechSecond: round(median(timings.map((t) => t.cpuMs / t.speechSeconds)), 1),
  };
  const groups = [...new Set(timings.flatMap((t) => Object.keys(t.byThreads)))].sort();
  if (groups.length > 0)
    figures.cpuByThreads = Object.fromEntries(
      groups.map((group) => [group, round(median(timings.map((t) => t.byThreads[group] ?? 0)), 1)]),
    );
  return figures;
}

export async function timedSpeak(engine: Engine, text: string, groups?: ThreadGroups): Promise<Timed> {
  const threads = groups ? threadCpuNs() : undefined;
  const cpu = process.cpuUsage();
  const timing = await engine.speak(text);
  const used = process.cpuUsage(cpu);
  const byThreads: Record<string, number> = {};
  if (groups && threads)
    for (const [tid, ms] of threadCpuDeltaMs(threads, threadCpuNs())) {
      const group = groups(tid) ?? 'other';
      byThreads[group] = (byThreads[group] ?? 0) + ms;
    }
  return { ...timing, cpuMs: (used.user + used.system) / 1000, byThreads };
}

/**
 * One warm-up each, then the engines take turns run by run, so a change in the shared machine's load
 * falls on all of them alike instead of on whichever happened to run then. Engines run one at a time,
 * so the process's CPU time during a run is that engine's.
 */
export async function sideBySide(engines: Engine[], text: string, runs: number, groups?: ThreadGroups): Promise<Map<Engine, Figures>> {
  const timings = new Map<Engine, Timed[]>(engines.map((engine) => [engine, []]));
  for (const engine of engines) await engine.speak(text);
  for (let i = 0; i < runs; i++) for (const engine of engines) timings.get(engine)!.push(await timedSpeak(engine, text, groups));
  return new Map(engines.map((engine) => [engine, summarise(timings.get(engine)!)]));
}

export async function measure(engine: Engine, text: string, runs: number): Promise<Figures> {
  return (await sideBySide([engine], text, runs)).get(engine)!;
}

export type Table = Record<number, Record<string, Figures | string>>;

/** The name of sherpa-onnx-node's engine with two intra-op threads in the table (the other is `sherpa`, with INFERENCE_THREADS). */
export const SHERPA_2_THREADS = 'sherpa 2 threads';

/** Each goal on wall time and, where it applies, on CPU time (which the shared machine's load does not inflate). */
export function goals(table: Table, lagMs: number) {
  const fig = (chars: number, engine: string) => {
    const figures = table[chars][engine];
    return typeof figures === 'string' ? undefined : figures;
  };
  const verdict = (value: number | undefined, limit: number) => (value === undefined ? 'not measured' : value <= limit ? 'met' : 'missed');
  const row = (goal: string, limit: number, wall: number | undefined, cpu?: number) => ({
    goal,
    wall,
    'wall result': verdict(wall, limit),
    CPU: cpu ?? '—',
    'CPU result': cpu === undefined ? '—' : verdict(cpu, limit),
  });
  const ratio = (a: Figures | undefined, b: Figures | undefined, key: 'p50Ms' | 'cpuP50Ms') =>
    a && b ? round(a[key] / b[key], 2) : undefined;
  const rows = [200, 1000].flatMap((chars) => {
    const [provider, bare, sherpa, sherpa2] = [
      fig(chars, 'provider'),
      fig(chars, 'bare'),
      fig(chars, 'sherpa'),
      fig(chars, SHERPA_2_THREADS),
    ];
    return [
      row(`provider/bare ≤ 1.10, ${chars} chars`, 1.1, ratio(provider, bare, 'p50Ms'), ratio(provider, bare, 'cpuP50Ms')),
      row(`provider/sherpa-onnx-node ≤ 1, ${chars} chars`, 1, ratio(provider, sherpa, 'p50Ms'), ratio(provider, sherpa, 'cpuP50Ms')),
      // The provider's pool runs two threads; sherpa-onnx given two intra-op threads is its counterpart on wall time.
      row(
        `provider/sherpa-onnx-node 2 threads ≤ 1, ${chars} chars`,
        1,
        ratio(provider, sherpa2, 'p50Ms'),
        ratio(provider, sherpa2, 'cpuP50Ms'),
      ),
      row(`provider RTF ≤ 0.10, ${chars} chars`, 0.1, provider?.rtf, provider?.cpuRtf),
    ];
  });
  rows.push(row('first audio of 1,000 chars ≤ 300 ms', 300, fig(1000, 'provider')?.firstAudioP50Ms));
  rows.push(row('event-loop lag p99 ≤ 20 ms (4 syntheses)', 20, lagMs));
  return rows;
}
