import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import express, { NextFunction, Request, Response } from 'express';

/** Where `npm run build` puts the page (vite, web/dashboard → dist/dashboard), from compiled or source code. */
export function dashboardDirectory(): string | undefined {
  return [resolve(__dirname, '../../../dashboard'), resolve(__dirname, '../../../dist/dashboard')].find((dir) =>
    existsSync(join(dir, 'index.html')),
  );
}

/**
 * The page may load only its own scripts and styles, talk only to this origin, play audio it made
 * itself (blob:), and never be framed (clickjacking). uPlot sets inline style attributes: allowed.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "media-src 'self' blob:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('referrer-policy', 'no-referrer');
  response.setHeader('x-frame-options', 'DENY');
  next();
}

/**
 * `/dashboard`: the built page, served by the api itself. File names under assets/ carry a content
 * hash (cached for a year); index.html is revalidated on every load so a new build shows at once.
 * The page holds no data: everything it shows comes from /admin/v1, which checks the operator.
 */
export function serveDashboard(app: INestApplication, directory = dashboardDirectory()): void {
  if (!directory) {
    app.use('/dashboard', (_request: Request, response: Response) => {
      response.status(503).type('text/plain').send('The dashboard has not been built: run `npm run build` (npm run quickstart does).\n');
    });
    return;
  }
  app.use(
    '/dashboard',
    securityHeaders,
    express.static(directory, {
      index: 'index.html',
      setHeaders: (response, path) =>
        response.setHeader(
          'cache-control',
          path.includes(`${join('dashboard', 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        ),
    }),
  );
}
