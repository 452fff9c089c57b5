import { Injectable } from '@nestjs/common';
import {
  AggregatorRegistry,
  collectDefaultMetrics,
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
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
    return (this.registry.getSingleMetric(config.name) as Counter<Label> | undefined) ?? new Counter({ ...config, registers: [this.registry] });
  }

  gauge<Label extends string>(config: Omit<GaugeConfiguration<Label>, 'registers'>): Gauge<Label> {
    return (this.registry.getSingleMetric(config.name) as Gauge<Label> | undefined) ?? new Gauge({ ...config, registers: [this.registry] });
  }

  histogram<Label extends string>(config: Omit<HistogramConfiguration<Label>, 'registers'>): Histogram<Label> {
    return (this.registry.getSingleMetric(config.name) as Histogram<Label> | undefined) ?? new Histogram({ ...config, registers: [this.registry] });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * This registry and other processes' snapshots in one exposition. Each snapshot's series carry its
   * labels, so no two processes' series merge; families keep one HELP and TYPE.
   */
  async renderWith(snapshots: MetricsSnapshot[]): Promise<string> {
    if (snapshots.length === 0) return this.render();
    const labelled = snapshots.map(({ labels, metrics }) => metrics.map((metric) => ({ ...metric, values: metric.values.map((value) => ({ ...value, labels: { ...value.labels, ...labels } })) })));
    return AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...labelled]).metrics();
  }
}
