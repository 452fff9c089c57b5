import { Injectable } from '@nestjs/common';
import {
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Metric,
  MetricObjectWithValues,
  MetricValue,
  Registry,
} from 'prom-client';

/** Another process's registry as JSON, and the labels that tell its series apart from this process's. */
export interface MetricsSnapshot {
  labels: Record<string, string>;
  metrics: MetricObjectWithValues<MetricValue<string>>[];
}

/**
 * The process's Prometheus registry. Any module adds its metrics here (get-or-create by name, so two
 * services asking for the same metric share it). A registry per application instance, not prom-client's
 * global one, so tests and benchmarks that boot several apps in one process never collide.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  counter<Label extends string>(config: Omit<CounterConfiguration<Label>, 'registers'>): Counter<Label> {
    return (
      (this.registry.getSingleMetric(config.name) as Counter<Label> | undefined) ?? new Counter({ ...config, registers: [this.registry] })
    );
  }

  gauge<Label extends string>(config: Omit<GaugeConfiguration<Label>, 'registers'>): Gauge<Label> {
    return (this.registry.getSingleMetric(config.name) as Gauge<Label> | undefined) ?? new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<Label extends string>(config: Omit<HistogramConfiguration<Label>, 'registers'>): Histogram<Label> {
    return (
      (this.registry.getSingleMetric(config.name) as Histogram<Label> | undefined) ??
      new Histogram({ ...config, registers: [this.registry] })
    );
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * This registry and other processes' snapshots in one exposition: each family once (one HELP and
   * TYPE), with this process's series and every snapshot's, the latter carrying the snapshot's labels.
   * Nothing is summed or dropped (prom-client's cluster aggregation would drop process_start_time_seconds).
   */
  async renderWith(snapshots: MetricsSnapshot[]): Promise<string> {
    if (snapshots.length === 0) return this.render();
    const families = new Map<string, MetricObjectWithValues<MetricValue<string>>>();
    const add = (metrics: MetricObjectWithValues<MetricValue<string>>[], labels: Record<string, string>) => {
      for (const metric of metrics) {
        const family = families.get(metric.name) ?? { ...metric, values: [] };
        families.set(metric.name, family);
        for (const value of metric.values) family.values.push({ ...value, labels: { ...value.labels, ...labels } });
      }
    };
    add(await this.registry.getMetricsAsJSON(), {});
    for (const snapshot of snapshots) add(snapshot.metrics, snapshot.labels);
    const merged = new Registry();
    for (const family of families.values()) merged.registerMetric(Object.assign({ get: () => family }, family) as unknown as Metric);
    return merged.metrics();
  }
}
