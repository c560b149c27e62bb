import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from 'pino';
import { REPO_ROOT } from '../config/load-config.ts';
import { CyropError, isCyropError, type ErrorCode } from '../errors.ts';
import type { ScenarioCatalogue } from '../scenarios/scenario-catalogue.ts';

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  CONFIG_INVALID: 500,
  NOT_FOUND: 404,
  SCENARIO_INVALID: 422,
  NICE_FORMAT_UNKNOWN: 400,
  NICE_CATALOGUE_MISSING: 404,
  IO_ERROR: 500,
  CONFLICT: 409,
  ENGINE_UNAVAILABLE: 503,
  ENGINE_VERSION: 503,
  ENGINE_NOT_FOUND: 404,
  ENGINE_CONFLICT: 409,
  ENGINE_IMAGE_MISSING: 424,
  ENGINE_TIMEOUT: 504,
  ENGINE_ERROR: 502,
  INTERNAL: 500,
};

export interface AppDependencies {
  catalogue: ScenarioCatalogue;
  logger: Logger;
}

/** The platform's HTTP API. At this stage: health and the scenario catalogue; the console page is static. */
export function createApp({ catalogue, logger }: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req, res, next) => {
    const id = randomUUID();
    res.setHeader('x-request-id', id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        {
          reqId: id,
          method: req.method,
          url: req.originalUrl,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    res.json({ status: 'ready', scenarios: catalogue.list().length });
  });
  app.get('/api/scenarios', (_req, res) => {
    res.json({
      scenarios: catalogue
        .list()
        .map(({ diagnostics, ...entry }) => ({ ...entry, warnings: diagnostics.length })),
      invalid: catalogue.invalid(),
    });
  });
  app.get('/api/scenarios/:id', (req, res) => {
    const entry = catalogue.get(req.params.id);
    if (!entry) throw new CyropError('NOT_FOUND', `no scenario '${req.params.id}' in the catalogue`);
    res.json(entry);
  });
  app.use('/api', (req) => {
    throw new CyropError('NOT_FOUND', `no API route ${req.method} ${req.path}`);
  });
  app.use(
    express.static(path.join(REPO_ROOT, 'web-console', 'public'), { index: 'index.html', fallthrough: true }),
  );

  const errors: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const known = isCyropError(error) ? error : undefined;
    const status = known ? STATUS[known.code] : 500;
    if (status >= 500) logger.error({ err: error, url: req.originalUrl }, 'request failed');
    res.status(status).json({
      error: {
        code: known?.code ?? 'INTERNAL',
        message: known && status < 500 ? known.message : 'internal error',
      },
    });
  };
  app.use(errors);
  return app;
}
