import { percentile, round } from './suite';
import type { Engine, SynthesisTiming } from './vits-engines';

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
}

type Timed = SynthesisTiming & { cpuMs: number };

const median = (values: number[]) => percentile(values, 50);

function summarise(timings: Timed[]): Figures {
  const totals = timings.map((t) => t.totalMs);
  return {
    runs: timings.length,
    // Durations come from the (random) duration predictor with noise: audio length varies a little per run.
    audioSeconds: round(median(timings.map((t) => t.audioSeconds)), 2),
    p50Ms: round(median(totals), 1),
    p95Ms: round(percentile(totals, 95), 1),
    rtf: round(median(timings.map((t) => t.totalMs / 1000 / t.audioSeconds)), 4),
    firstAudioP50Ms: round(median(timings.map((t) => t.firstAudioMs)), 1),
    cpuP50Ms: round(median(timings.map((t) => t.cpuMs)), 1),
    cpuRtf: round(median(timings.map((t) => t.cpuMs / 1000 / t.audioSeconds)), 4),
  };
}

async function timedSpeak(engine: Engine, text: string): Promise<Timed> {
  const cpu = process.cpuUsage();
  const timing = await engine.speak(text);
  const used = process.cpuUsage(cpu);
  return { ...timing, cpuMs: (used.user + used.system) / 1000 };
}

/**
 * One warm-up each, then the engines take turns run by run, so a change in the shared machine's load
 * falls on all of them alike instead of on whichever happened to run then. Engines run one at a time,
 * so the process's CPU time during a run is that engine's.
 */
export async function sideBySide(engines: Engine[], text: string, runs: number): Promise<Map<Engine, Figures>> {
  const timings = new Map<Engine, Timed[]>(engines.map((engine) => [engine, []]));
  for (const engine of engines) await engine.speak(text);
  for (let i = 0; i < runs; i++) for (const engine of engines) timings.get(engine)!.push(await timedSpeak(engine, text));
  return new Map(engines.map((engine) => [engine, summarise(timings.get(engine)!)]));
}

export async function measure(engine: Engine, text: string, runs: number): Promise<Figures> {
  return (await sideBySide([engine], text, runs)).get(engine)!;
}

export type Table = Record<number, Record<string, Figures | string>>;

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
    const [provider, bare, sherpa] = [fig(chars, 'provider'), fig(chars, 'bare'), fig(chars, 'sherpa')];
    return [
      row(`provider/bare ≤ 1.10, ${chars} chars`, 1.1, ratio(provider, bare, 'p50Ms'), ratio(provider, bare, 'cpuP50Ms')),
      row(`provider/sherpa-onnx-node ≤ 1, ${chars} chars`, 1, ratio(provider, sherpa, 'p50Ms'), ratio(provider, sherpa, 'cpuP50Ms')),
      row(`provider RTF ≤ 0.10, ${chars} chars`, 0.1, provider?.rtf, provider?.cpuRtf),
    ];
  });
  rows.push(row('first audio of 1,000 chars ≤ 300 ms', 300, fig(1000, 'provider')?.firstAudioP50Ms));
  rows.push(row('event-loop lag p99 ≤ 20 ms (4 syntheses)', 20, lagMs));
  return rows;
}
