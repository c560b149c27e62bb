import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import express, { type Request, type Response, type Router } from 'express';
import { STAFF_ROLES, type Principal, type Role } from '../access/principal.ts';
import { CyropError } from '../errors.ts';

export { STAFF_ROLES, type Principal, type Role };

/**
 * Who may call a route. Resource rules (an instructor only sees the exercises of their organisation,
 * a trainee only their own team) are the handler's, checked against the principal.
 */
export type Access = 'public' | 'authenticated' | 'participant' | { roles: readonly Role[] };

export const STAFF: Access = { roles: STAFF_ROLES };

export type JsonSchema = Record<string, unknown>;

export interface RouteContext<B, P, Q> {
  principal: Principal | undefined;
  body: B;
  params: P;
  query: Q;
  req: Request;
  res: Response;
}

export interface RouteSpec<B = unknown, P = Record<string, string>, Q = Record<string, unknown>> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path, e.g. `/api/exercises/{id}` (express's `:id` is derived). */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  access: Access;
  params?: JsonSchema;
  query?: JsonSchema;
  body?: JsonSchema;
  /** Success status (200 unless said) and the schema of what the handler returns. */
  response: {
    status?: number;
    description: string;
    schema?: JsonSchema;
    contentType?: string;
    /** The same answer in other media types the handler may write (e.g. CSV beside JSON). */
    alternatives?: { contentType: string; schema: JsonSchema }[];
    /**
     * Other statuses the handler sets itself (`res.status(…)`) that are not errors: 201 when it
     * created what it could also find, 422 with a report of problems (a JSON body of `schema`), 304
     * for a matching If-None-Match (no `schema`: no body).
     */
    others?: { status: number; description: string; schema?: JsonSchema }[];
  };
  /** Returns the JSON body; or writes the response itself (then returns undefined). */
  handler: (ctx: RouteContext<B, P, Q>) => Promise<unknown>;
}

/** Resolves the principal of a request (session cookie, …); undefined when anonymous. */
export type Authenticator = (req: Request) => Promise<Principal | undefined>;

interface Compiled {
  spec: RouteSpec<unknown, unknown, unknown>;
  params?: ValidateFunction;
  query?: ValidateFunction;
  body?: ValidateFunction;
}

/**
 * Every API route is declared once with JSON Schemas for its params, query and body: the same
 * schemas validate requests (unknown fields refused, every problem listed) and make the OpenAPI 3.1
 * document served at /api/openapi.json, so the two cannot drift.
 */
export class ApiRegistry {
  private readonly routes: Compiled[] = [];
  private readonly ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    coerceTypes: false,
    useDefaults: true,
  });
  private readonly queryAjv = new Ajv2020({
    allErrors: true,
    strict: true,
    coerceTypes: true,
    useDefaults: true,
  });
  readonly components: Record<string, JsonSchema> = {};

  /** A named schema usable as `{ $ref: '#/components/schemas/NAME' }` in routes (inlined for validation). */
  schema(name: string, schema: JsonSchema): JsonSchema {
    this.components[name] = schema;
    return { $ref: `#/components/schemas/${name}` };
  }

  /** The schema with every component reference replaced by the component, for ajv. */
  private inline(schema: JsonSchema): JsonSchema {
    const walk = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(walk);
      if (!node || typeof node !== 'object') return node;
      const ref = (node as { $ref?: unknown }).$ref;
      if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
        const target = this.components[ref.slice('#/components/schemas/'.length)];
        if (!target) throw new Error(`unknown schema ${ref}`);
        return walk(target);
      }
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v)]));
    };
    return walk(schema) as JsonSchema;
  }

  add<B, P = Record<string, string>, Q = Record<string, unknown>>(spec: RouteSpec<B, P, Q>): void {
    if (this.routes.some((r) => r.spec.operationId === spec.operationId))
      throw new Error(`duplicate operationId ${spec.operationId}`);
    this.routes.push({
      spec: spec as unknown as RouteSpec<unknown, unknown, unknown>,
      ...(spec.params ? { params: this.queryAjv.compile(this.inline(closed(spec.params))) } : {}),
      ...(spec.query ? { query: this.queryAjv.compile(this.inline(closed(spec.query))) } : {}),
      ...(spec.body ? { body: this.ajv.compile(this.inline(spec.body)) } : {}),
    });
  }

  /** An express router with every route: authenticate, authorise, validate, run, answer JSON. */
  router(authenticate: Authenticator): Router {
    const router = express.Router();
    for (const route of this.routes) {
      const expressPath = route.spec.path.replace(/\{(\w+)\}/g, ':$1');
      router[route.spec.method](expressPath, (req, res, next) => {
        this.handle(route, authenticate, req, res).catch(next);
      });
    }
    return router;
  }

  private async handle(
    route: Compiled,
    authenticate: Authenticator,
    req: Request,
    res: Response,
  ): Promise<void> {
    const { spec } = route;
    const principal = await authenticate(req);
    authorise(spec.access, principal);
    const params = { ...req.params };
    const query = { ...(req.query as Record<string, unknown>) };
    check(route.params, params, 'path');
    check(route.query, query, 'query');
    let body: unknown = req.body;
    if (route.body) {
      if (!req.is('application/json'))
        throw new CyropError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
      check(route.body, body, 'body');
    } else if (
      spec.method !== 'get' &&
      req.body !== undefined &&
      Object.keys(req.body as object).length > 0
    ) {
      throw new CyropError('BAD_REQUEST', 'this request takes no body');
    } else body = undefined;
    const result = await spec.handler({ principal, body, params, query, req, res });
    if (res.headersSent) return;
    if (result === undefined) res.status(spec.response.status ?? 204).end();
    // A handler may choose another success status (e.g. 201 when it created what it could also find).
    else res.status(res.statusCode !== 200 ? res.statusCode : (spec.response.status ?? 200)).json(result);
  }

  /** The OpenAPI 3.1 document of every route. */
  openapi(info: { title: string; version: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const { spec } of this.routes) {
      const parameters = [
        ...Object.entries((spec.params?.properties ?? {}) as Record<string, JsonSchema>).map(
          ([name, schema]) => ({ name, in: 'path', required: true, schema }),
        ),
        ...Object.entries((spec.query?.properties ?? {}) as Record<string, JsonSchema>).map(
          ([name, schema]) => ({
            name,
            in: 'query',
            required: ((spec.query?.required ?? []) as string[]).includes(name),
            schema,
          }),
        ),
      ];
      (paths[spec.path] ??= {})[spec.method] = {
        operationId: spec.operationId,
        summary: spec.summary,
        tags: spec.tags,
        ...(spec.access === 'public' ? { security: [] } : {}),
        'x-cyrop-access': spec.access,
        ...(parameters.length ? { parameters } : {}),
        ...(spec.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: spec.body } } } }
          : {}),
        responses: {
          [String(spec.response.status ?? 200)]: {
            description: spec.response.description,
            ...(spec.response.schema
              ? {
                  content: {
                    [spec.response.contentType ?? 'application/json']: { schema: spec.response.schema },
                    ...Object.fromEntries(
                      (spec.response.alternatives ?? []).map((a) => [a.contentType, { schema: a.schema }]),
                    ),
                  },
                }
              : {}),
          },
          ...Object.fromEntries(
            (spec.response.others ?? []).map((o) => [
              String(o.status),
              {
                description: o.description,
                ...(o.schema ? { content: { 'application/json': { schema: o.schema } } } : {}),
              },
            ]),
          ),
          default: {
            description: 'An error',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
          },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info,
      paths,
      components: {
        schemas: {
          ...this.components,
          Error: {
            type: 'object',
            required: ['error'],
            properties: {
              error: {
                type: 'object',
                required: ['code', 'message'],
                properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
              },
            },
          },
        },
        securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'cyrop_session' } },
      },
      security: [{ session: [] }],
    };
  }
}

function closed(schema: JsonSchema): JsonSchema {
  return { type: 'object', additionalProperties: false, ...schema };
}

function authorise(access: Access, principal: Principal | undefined): void {
  if (access === 'public') return;
  if (!principal) throw new CyropError('UNAUTHENTICATED', 'sign in first');
  if (access === 'authenticated') return;
  if (access === 'participant') {
    if (principal.kind !== 'participant')
      throw new CyropError('FORBIDDEN', 'only members of a team may do this');
    return;
  }
  if (principal.kind !== 'user' || !access.roles.includes(principal.role)) {
    throw new CyropError('FORBIDDEN', `this needs the role ${access.roles.join(' or ')}`);
  }
}

function check(validate: ValidateFunction | undefined, value: unknown, where: string): void {
  if (!validate || validate(value)) return;
  const problems = (validate.errors ?? []).map((e) => ({ pointer: pointerOf(e), message: messageOf(e) }));
  throw new CyropError(
    'BAD_REQUEST',
    `invalid ${where}: ${problems.map((p) => `${p.pointer || '/'} ${p.message}`).join('; ')}`,
    { details: problems },
  );
}

function pointerOf(e: ErrorObject): string {
  const key =
    (e.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty ??
    (e.params as { missingProperty?: string }).missingProperty;
  return key === undefined ? e.instancePath : `${e.instancePath}/${key}`;
}

function messageOf(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return 'is not a known field';
  if (e.keyword === 'required') return 'is required';
  return e.message ?? 'is invalid';
}
