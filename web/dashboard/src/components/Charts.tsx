import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { get } from '../api';
import { usePolling } from '../polling';
import type { History, SubjectSeries } from '../types';
import { Problem } from './common';

/** Colour-blind-safe (Okabe–Ito), dark enough for lines on white. */
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000'];
/** Newest slots may still grow: each poll asks again from this many slots back and replaces them. */
const REREAD_SLOTS = 3;

type Pick = (series: SubjectSeries) => Array<number | null>;

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  source: 'providers' | 'faces';
  lines: Array<{ suffix: string; pick: Pick; dash?: number[] }>;
}

const CHARTS: ChartSpec[] = [
  {
    id: 'http-rate',
    title: 'API requests per second, by face',
    unit: 'req/s',
    source: 'faces',
    lines: [{ suffix: '', pick: (s) => s.per_second }],
  },
  {
    id: 'provider-rate',
    title: 'Provider calls per second',
    unit: 'calls/s',
    source: 'providers',
    lines: [{ suffix: '', pick: (s) => s.per_second }],
  },
  {
    id: 'provider-latency',
    title: 'Provider latency, p50 (solid) and p95 (dashed)',
    unit: 'ms',
    source: 'providers',
    lines: [
      { suffix: ' p50', pick: (s) => s.p50_ms },
      { suffix: ' p95', pick: (s) => s.p95_ms, dash: [6, 4] },
    ],
  },
  {
    id: 'provider-failures',
    title: 'Provider failures per 10 s',
    unit: 'failures',
    source: 'providers',
    lines: [{ suffix: '', pick: (s) => s.failures }],
  },
];

/** Merges a newer answer into the hour held so far: slots replaced by time, older than an hour dropped. */
export function mergeHistory(held: History | undefined, fresh: History): History {
  if (!held) return fresh;
  const slots = [...new Set([...held.slots, ...fresh.slots])].sort((a, b) => a - b).filter((slot) => slot > fresh.slots.at(-1)! - 3600);
  const merged: History = { slot_seconds: fresh.slot_seconds, slots, providers: {}, faces: {} };
  for (const source of ['providers', 'faces'] as const) {
    const names = new Set([...Object.keys(held[source]), ...Object.keys(fresh[source])]);
    for (const name of names) {
      const series: SubjectSeries = { per_second: [], failures: [], p50_ms: [], p95_ms: [] };
      slots.forEach((slot) => {
        const [from, index] = fresh.slots.includes(slot) ? [fresh, fresh.slots.indexOf(slot)] : [held, held.slots.indexOf(slot)];
        const own = from[source][name];
        series.per_second.push(own?.per_second[index] ?? 0);
        series.failures.push(own?.failures[index] ?? 0);
        series.p50_ms.push(own?.p50_ms[index] ?? null);
        series.p95_ms.push(own?.p95_ms[index] ?? null);
      });
      merged[source][name] = series;
    }
  }
  return merged;
}

function Chart({ spec, history }: { spec: ChartSpec; history: History }) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const names = Object.keys(history[spec.source]).sort();
  const lines = names.flatMap((name, index) => spec.lines.map((line) => ({ name, line, color: PALETTE[index % PALETTE.length] })));
  const signature = lines.map(({ name, line }) => name + line.suffix).join(',');
  const data = [history.slots, ...lines.map(({ name, line }) => line.pick(history[spec.source][name]))] as uPlot.AlignedData;

  useEffect(() => {
    const element = container.current!;
    const width = () => Math.max(280, element.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: 220,
        scales: { x: { time: true } },
        axes: [{}, { label: spec.unit, size: 60 }],
        series: [
          {},
          ...lines.map(({ name, line, color }) => ({
            label: name + line.suffix,
            stroke: color,
            width: 2,
            dash: line.dash,
            spanGaps: false,
          })),
        ],
      },
      data,
      element,
    );
    const observer = new ResizeObserver(() => plot.current?.setSize({ width: width(), height: 220 }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      plot.current?.destroy();
    };
    // A new set of lines needs a new plot; new figures only new data (below).
  }, [signature]);

  useEffect(() => plot.current?.setData(data), [history]);

  const latest = (values: Array<number | null>) => values.filter((value) => value !== null).at(-1);
  return (
    <figure class="chart" aria-labelledby={`${spec.id}-title`}>
      <figcaption id={`${spec.id}-title`}>{spec.title}</figcaption>
      <div ref={container} aria-hidden="true" data-testid={`chart-${spec.id}`} />
      {lines.length === 0 ? <p class="muted">Nothing counted in the last hour.</p> : null}
      <table class="visually-hidden">
        <caption>{spec.title}: latest value of each line</caption>
        <tbody>
          {lines.map(({ name, line }) => (
            <tr key={name + line.suffix}>
              <th scope="row">{name + line.suffix}</th>
              <td>
                {latest(line.pick(history[spec.source][name])) ?? 'none'} {spec.unit}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

export function ChartsPanel({ refreshMs, active }: { refreshMs: number; active: boolean }) {
  const [history, setHistory] = useState<History>();
  const held = useRef<History | undefined>(undefined);
  const polled = usePolling(
    async () => {
      const newest = held.current?.slots.at(-1);
      const fresh = await get<History>(
        newest === undefined ? '/metrics/history' : `/metrics/history?since=${newest - REREAD_SLOTS * 10 - 1}`,
      );
      held.current = mergeHistory(held.current, fresh);
      setHistory(held.current);
      return true;
    },
    refreshMs,
    active,
  );
  if (!history) return polled.error ? <Problem message={polled.error} /> : <p>Loading…</p>;
  return (
    <>
      <Problem message={polled.error} />
      <p class="muted">Last hour in 10-second slots, summed over every api and worker process.</p>
      <div class="charts">
        {CHARTS.map((spec) => (
          <Chart key={spec.id} spec={spec} history={history} />
        ))}
      </div>
    </>
  );
}
