import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express, type Request } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { REPO_ROOT } from '../config/load-config.ts';
import { CyropError, isCyropError } from '../errors.ts';
import type { ScenarioLibrary } from '../scenarios/scenario-library.ts';
import { ApiRegistry, type Authenticator } from './api-registry.ts';
import { originCheck } from './auth/origin-check.ts';
import { PublicOrigins } from './auth/public-origins.ts';
import { HTTP_STATUS } from './http-status.ts';
import { OPENAPI_INFO } from './openapi-document.ts';
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
  /** Where browsers reach the platform (Host/Origin of state-changing requests); loopback by default. */
  origins?: PublicOrigins;
  /** Express's `trust proxy`: whose X-Forwarded-For names the client (`req.ip`); none by default. */
  trustProxy?: false | number | readonly string[];
  /** A bearer token for /metrics scrapers (operators may read it with their session). */
  metricsToken?: string | undefined;
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
  origins = new PublicOrigins(),
  trustProxy = false,
  metricsToken,
}: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // The client address (req.ip) for throttling and audit: X-Forwarded-For only from trusted proxies.
  app.set('trust proxy', typeof trustProxy === 'object' ? [...trustProxy] : trustProxy);

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
  app.use(securityHeaders());
  // Host and Origin of every state-changing request, before any body is read.
  app.use(originCheck(origins));
  // Scenario uploads carry whole folders; everything else is small.
  app.use('/api/scenarios', express.json({ limit: UPLOAD_LIMIT_BYTES, strict: true }));
  // A sales CSV import carries the file as text in JSON.
  app.use(
    '/api/billing/organisations/:org/sales/import',
    express.json({ limit: UPLOAD_LIMIT_BYTES, strict: true }),
  );
  app.use(express.json({ limit: BODY_LIMIT_BYTES, strict: true }));

  const api = new ApiRegistry();
  scenarioRoutes(api, scenarios);
  routes?.(api);
  const openapi = api.openapi(OPENAPI_INFO);

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
  // Not public: operators (session) and scrapers holding the configured bearer token.
  app.get('/metrics', (req, res, next) => {
    mayReadMetrics(req, authenticate, metricsToken)
      .then(() => metrics.metrics())
      .then((text) => res.type(metrics.contentType).send(text))
      .catch((error: unknown) => {
        if (isCyropError(error) && error.code === 'UNAUTHENTICATED')
          res.setHeader('WWW-Authenticate', 'Bearer realm="cyrop-metrics"');
        next(error);
      });
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

/**
 * helmet's headers with a strict Content-Security-Policy for the console: scripts, styles, images,
 * fonts and connections (fetch and the socket.io websockets: `'self'` covers ws:/wss: to the same
 * host) from the platform's own origin only; no plugins, no <base>, no framing; forms post only
 * here. One allowance: inline styles, because xterm.js 6 writes `<style>` elements with computed
 * cell sizes and style attributes at run time (no nonce or hash can name them); scenario markdown
 * cannot use it, since the console's sanitiser removes every style from authored text. Images:
 * same origin and `data:` (the only images scenario markdown may carry), nothing external.
 */
export function securityHeaders() {
  const permissions = ['camera', 'microphone', 'geolocation', 'payment', 'usb']
    .map((f) => `${f}=()`)
    .join(', ');
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'"],
        'connect-src': ["'self'"],
        'media-src': ["'none'"],
        'object-src': ["'none'"],
        'frame-src': ["'none'"],
        'worker-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  return [
    headers,
    (_req: Request, res: express.Response, next: express.NextFunction) => {
      res.setHeader('Permissions-Policy', permissions);
      next();
    },
  ];
}

/** /metrics: the configured bearer token, or an operator's session; else 401/403. */
async function mayReadMetrics(
  req: Request,
  authenticate: Authenticator,
  token: string | undefined,
): Promise<void> {
  const header = req.get('authorization');
  const bearer = /^Bearer (\S+)$/i.exec(header ?? '')?.[1];
  if (bearer !== undefined) {
    if (token !== undefined && sameSecret(bearer, token)) return;
    throw new CyropError('UNAUTHENTICATED', 'this bearer token may not read the metrics');
  }
  const principal = await authenticate(req);
  if (!principal)
    throw new CyropError(
      'UNAUTHENTICATED',
      'the metrics are for operators and for scrapers holding the metrics token (CYROP_METRICS_TOKEN)',
    );
  if (principal.kind !== 'user' || principal.role !== 'operator')
    throw new CyropError('FORBIDDEN', 'the metrics are for platform operators');
}

/** Constant-time comparison of two secrets of any length. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
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
