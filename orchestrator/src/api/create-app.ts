import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { REPO_ROOT } from '../config/load-config.ts';
import { CyropError, isCyropError } from '../errors.ts';
import type { ScenarioLibrary } from '../scenarios/scenario-library.ts';
import { ApiRegistry, type Authenticator } from './api-registry.ts';
import { HTTP_STATUS } from './http-status.ts';
import { scenarioRoutes } from './routes/scenario-routes.ts';

export interface AppDependencies {
  /** The scenario catalogue with its owners (uploads, archive, publication). */
  scenarios: ScenarioLibrary;
  logger: Logger;
  /** Who is calling (sessions come with the accounts module); anonymous by default. */
  authenticate?: Authenticator;
  /** More routes (exercises, accounts, scoring) registered by the composition root. */
  routes?: (api: ApiRegistry) => void;
  /** Readiness beyond "the process is up" (database, engine). */
  ready?: () => Promise<Record<string, unknown>>;
}

export const BODY_LIMIT_BYTES = 64 * 1024;
export const UPLOAD_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * The platform's HTTP app: request ids and structured logs, JSON bodies with a size limit, the API
 * routes (validated by their JSON Schemas, documented at /api/openapi.json), health and readiness,
 * Prometheus metrics, the console's static files, and one error middleware that maps error codes to
 * statuses as `{ error: { code, message } }` — never a stack trace.
 */
export function createApp({
  scenarios,
  logger,
  authenticate = () => Promise.resolve(undefined),
  routes,
  ready,
}: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const requests = new Counter({
    name: 'cyrop_http_requests_total',
    help: 'HTTP requests',
    labelNames: ['method', 'route', 'status'],
    registers: [metrics],
  });
  const latency = new Histogram({
    name: 'cyrop_http_request_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [metrics],
  });

  app.use((req, res, next) => {
    const id = randomUUID();
    res.setHeader('x-request-id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (req.route as { path?: string } | undefined)?.path ?? 'unmatched';
      requests.inc({ method: req.method, route, status: res.statusCode });
      latency.observe({ method: req.method, route }, seconds);
      logger.info(
        { reqId: id, method: req.method, url: req.originalUrl, status: res.statusCode, ms: seconds * 1000 },
        'request',
      );
    });
    next();
  });
  // Scenario uploads carry whole folders; everything else is small.
  app.use('/api/scenarios', express.json({ limit: UPLOAD_LIMIT_BYTES, strict: true }));
  app.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true }));

  const api = new ApiRegistry();
  scenarioRoutes(api, scenarios);
  routes?.(api);
  const openapi = api.openapi({ title: 'CYROP platform API', version: '1' });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res, next) => {
    (ready ?? (() => Promise.resolve({})))()
      .then((details) =>
        res.json({ status: 'ready', scenarios: scenarios.catalogue.list().length, ...details }),
      )
      .catch(next);
  });
  app.get('/metrics', (_req, res, next) => {
    metrics
      .metrics()
      .then((text) => res.type(metrics.contentType).send(text))
      .catch(next);
  });
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openapi);
  });
  app.use(api.router(authenticate));
  app.use('/api', (req) => {
    throw new CyropError('NOT_FOUND', `no API route ${req.method} ${req.path}`);
  });
  // The web console, built by `npm run build:web` (file names carry a content hash; index.html does not).
  const consoleDir = path.join(REPO_ROOT, 'web-console', 'dist');
  app.use(
    express.static(consoleDir, {
      index: 'index.html',
      fallthrough: true,
      setHeaders: (res, file) => {
        if (path.basename(file) === 'index.html') res.setHeader('cache-control', 'no-cache');
      },
    }),
  );
  app.get('/', (_req, res) => {
    res
      .status(503)
      .type('text/plain; charset=utf-8')
      .send(
        'The CYROP web console is not built: run `npm run build:web` (npm start does it), then reload.\n' +
          'CYROP のウェブコンソールがビルドされていません。`npm run build:web` を実行してから再読み込みしてください。\n',
      );
  });

  const errors: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const known = isCyropError(error) ? error : fromBodyParser(error);
    const status = known ? HTTP_STATUS[known.code] : 500;
    if (status >= 500) logger.error({ err: error, url: req.originalUrl }, 'request failed');
    res.status(status).json({
      error: {
        code: known?.code ?? 'INTERNAL',
        message: known && status < 500 ? known.message : 'internal error',
        ...(known && status < 500 && known.details !== undefined ? { details: known.details } : {}),
      },
    });
  };
  app.use(errors);
  return app;
}

/** body-parser's own errors (bad JSON, too large, wrong charset) as our codes. */
function fromBodyParser(error: unknown): CyropError | undefined {
  const e = error as { type?: string; status?: number; expose?: boolean; limit?: number };
  switch (e.type) {
    case 'entity.parse.failed':
      return new CyropError('BAD_JSON', 'the body is not valid JSON');
    case 'entity.too.large':
      // The limit of the parser that refused it: scenario uploads have a larger one than the rest.
      return new CyropError(
        'PAYLOAD_TOO_LARGE',
        `the body is larger than ${e.limit ?? BODY_LIMIT_BYTES} bytes, the limit of this route`,
      );
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new CyropError('UNSUPPORTED_MEDIA_TYPE', 'send the body as UTF-8 JSON');
    default:
      return e.status && e.status < 500 && e.expose
        ? new CyropError('BAD_REQUEST', 'the request is malformed')
        : undefined;
  }
}
