import type { NextFunction, Request, Response } from 'express';
import type { MetricsRegistry } from './metrics.registry';

export type MetricsFace = 'sauti' | 'fish' | 'bifrost' | 'openai' | 'elevenlabs' | 'other';

/** Which API face a path belongs to; a label with a handful of values, never the raw path. */
export function faceOfPath(path: string): MetricsFace {
  if (path === '/elevenlabs' || path.startsWith('/elevenlabs/')) return 'elevenlabs';
  if (path.startsWith('/v1/text-to-speech') || path.startsWith('/v1/tts') || path.startsWith('/v1/voices')) return 'sauti';
  if (path.startsWith('/api/open')) return 'fish';
  if (path.startsWith('/v1/async')) return 'bifrost';
  if (path.startsWith('/v1/audio')) return 'openai';
  return 'other';
}

/** Counts every HTTP request and times it, labelled by face, method and status class. */
export function httpMetricsMiddleware(metrics: MetricsRegistry) {
  const requests = metrics.counter({
    name: 'tts_http_requests_total',
    help: 'HTTP requests by API face, method and status',
    labelNames: ['face', 'method', 'status'] as const,
  });
  const latency = metrics.histogram({
    name: 'tts_http_request_duration_seconds',
    help: 'HTTP request latency by API face and status class',
    labelNames: ['face', 'status_class'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  return (request: Request, response: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const face = faceOfPath(request.path);
    response.on('finish', () => {
      const status = response.statusCode;
      requests.inc({ face, method: request.method, status: String(status) });
      latency.observe({ face, status_class: `${Math.floor(status / 100)}xx` }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
}
