import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { INestApplication, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Response } from 'express';
import { setupAdminSwagger } from './admin/admin-swagger.setup';
import { serveDashboard } from './admin/dashboard/dashboard-static';
import { ApiModule } from './api.module';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { ErrorEnvelopes } from './common/errors/error-envelopes';
import { writeError } from './common/errors/error-writer';
import { RequestFailureListeners } from './common/errors/request-failures';
import { validationErrorToTtsError } from './common/errors/validation-error';
import { jsonBodyParser, requireJsonContentType } from './common/http/json-body.middleware';
import { requestIdMiddleware } from './common/http/request-id.middleware';
import type { ServiceRequest } from './common/request-context';
import { AppConfig } from './config/app-config';
import { setupSautiSwagger } from './faces/sauti/sauti-swagger.setup';
import { setupElevenLabsSwagger } from './faces/elevenlabs/elevenlabs-swagger.setup';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsRegistry } from './metrics/metrics.registry';
import { Logger } from 'nestjs-pino';
import { accessLogger } from './logging/access-log';
import { RootLogger } from './logging/root-logger';

/**
 * Node's `server.close()` stops taking connections and closes those idle at that moment; any other
 * (one whose answer is under way, one opened but not used yet) then stays open until the keep-alive
 * timeout (65 s by default here), and the shutdown waits for it. While closing, answers say
 * `Connection: close`, and once no answer is under way every connection left is closed (one still
 * sending a request's headers with it): answers under way are not cut short, and the shutdown does not
 * wait for idle connections.
 */
function closeConnectionsOnceAnswered(server: Server): void {
  let answering = 0;
  let closing = false;
  const closeIfDone = () => {
    if (closing && answering === 0) server.closeAllConnections();
  };
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    answering++;
    if (closing) response.setHeader('connection', 'close');
    // An answer queued behind another on a pipelining connection that the client closed never emits
    // 'close'; its socket does.
    const { socket } = request;
    let done = false;
    const answered = () => {
      if (done) return; // the socket's 'close' may already be under way when the answer's comes
      done = true;
      socket.off('close', answered); // a kept-alive socket carries many answers: one listener each would pile up
      answering--;
      closeIfDone();
    };
    response.once('close', answered);
    socket.once('close', answered);
  });
  const close = server.close.bind(server);
  server.close = ((callback?: (error?: Error) => void) => {
    closing = true;
    close(callback);
    closeIfDone();
    return server;
  }) as Server['close'];
}

/** Builds the api application (not yet listening): shared by `main.ts`, tests and benchmarks. */
export async function createApiApp(config: AppConfig): Promise<INestApplication> {
  RootLogger.processName = 'api';
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
  });
  const logger = app.get(RootLogger);
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.set('etag', false);
  // Idle client connections stay open as long as a load balancer in front expects (HTTP_KEEP_ALIVE_TIMEOUT_MS).
  const server = app.getHttpServer() as Server;
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  closeConnectionsOnceAnswered(server);

  const envelopes = app.get(ErrorEnvelopes);
  const failures = app.get(RequestFailureListeners);
  app.use(requestIdMiddleware);
  app.use(httpMetricsMiddleware(app.get(MetricsRegistry)));
  app.use(accessLogger(logger.root));
  app.use(requireJsonContentType);
  app.use(jsonBodyParser(config.http.bodyLimitBytes));
  // Body parsing fails before Nest's pipeline: render those failures in the face's envelope here.
  app.use((error: unknown, request: ServiceRequest, response: Response, _next: NextFunction) =>
    writeError(error, request, response, envelopes, request.log ?? logger.root, failures),
  );

  app.useGlobalFilters(new AllExceptionsFilter(envelopes, logger, failures));
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationErrorToTtsError }),
  );
  setupSautiSwagger(app, config);
  setupAdminSwagger(app, config);
  setupElevenLabsSwagger(app, config);
  serveDashboard(app);
  return app;
}
