import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { buildOpenApiDocument } from '../orchestrator/src/api/openapi-document.ts';

// ajv-formats is CommonJS: its default export is the plugin under NodeNext's interop.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/**
 * Every answer of the platform's API checked against its OpenAPI document (what /api/openapi.json
 * serves and what `npm run gen:api` turns into the console's types): the status must be one the
 * operation declares (an error status: the document's `default`, the Error shape), the content type
 * one declared for that status, and a JSON body must match the schema. Tests call `checkResponse`
 * through `checkedFetch` or `apiClient`, so a handler that answers something the console's types do
 * not say fails the test that saw it.
 */

interface MediaType {
  schema?: Record<string, unknown>;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  operationId: string;
  responses: Record<string, ResponseObject>;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
};

/** What a test saw: the request's method and URL, and the answer. */
export interface SeenResponse {
  method: string;
  url: string | URL;
  status: number;
  /** The Content-Type header (null when there is none). */
  contentType: string | null;
  /** The body as text (empty when there is none). */
  text: string;
}

/** An answer the OpenAPI document does not describe. */
export class ResponseMismatch extends Error {
  override name = 'ResponseMismatch';
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  /** Literal segments count more than parameters when two templates match (`/runs` over `/{id}`). */
  rank: number[];
  operation: Operation;
}

export interface ResponseChecker {
  check(seen: SeenResponse): void;
  /** The operation a method and path belong to, if any (for messages and tests). */
  operationOf(method: string, pathname: string): { operationId: string; template: string } | undefined;
  /** Compiles every JSON response schema now (strict ajv: an unknown keyword or format throws). */
  compileAll(): number;
}

/** A checker over a document (the platform's own by default; tests of the checker plant their own). */
export function responseChecker(document: Document = buildOpenApiDocument() as Document): ResponseChecker {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, validateFormats: true });
  addFormats(ajv);
  // OpenAPI 3.1 schema-object keywords beside JSON Schema's.
  ajv.addVocabulary(['example', 'xml', 'externalDocs']);
  const COMPONENTS = 'cyrop-openapi-components';
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== 'object') return node;
    return Object.fromEntries(
      Object.entries(node).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
          ? `${COMPONENTS}#/$defs/${v.slice('#/components/schemas/'.length)}`
          : rewrite(v),
      ]),
    );
  };
  ajv.addSchema({ $id: COMPONENTS, $defs: rewrite(document.components.schemas) as object });

  const routes: Route[] = [];
  for (const [template, methods] of Object.entries(document.paths)) {
    const segments = template.split('/');
    const pattern = new RegExp(
      `^${segments.map((s) => (/^\{\w+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`,
    );
    const rank = segments.map((s) => (/^\{\w+\}$/.test(s) ? 0 : 1));
    for (const [method, operation] of Object.entries(methods))
      routes.push({ method: method.toUpperCase(), template, pattern, rank, operation });
  }
  const better = (a: number[], b: number[]) => {
    for (let i = 0; i < Math.max(a.length, b.length); i++)
      if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
    return false;
  };
  const find = (method: string, pathname: string): Route | undefined => {
    let found: Route | undefined;
    for (const r of routes)
      if (r.method === method && r.pattern.test(pathname) && (!found || better(r.rank, found.rank)))
        found = r;
    return found;
  };

  const compiled = new Map<object, ValidateFunction>();
  const validatorOf = (schema: Record<string, unknown>): ValidateFunction => {
    let v = compiled.get(schema);
    if (!v) {
      v = ajv.compile(rewrite(schema) as object);
      compiled.set(schema, v);
    }
    return v;
  };
  // A path no operation has (an unknown route, a method the path does not take): an error is expected.
  const errorResponse: ResponseObject = {
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };

  const check = (seen: SeenResponse): void => {
    const url = new URL(seen.url, 'http://placeholder');
    const method = seen.method.toUpperCase();
    if (!url.pathname.startsWith('/api/') || url.pathname === '/api/openapi.json') return;
    const route = find(method, url.pathname);
    const name = route
      ? `${method} ${route.template} (${route.operation.operationId})`
      : `${method} ${url.pathname} (no operation in the OpenAPI document)`;
    const fail = (what: string): never => {
      throw new ResponseMismatch(`${name} answered ${seen.status}: ${what}`);
    };
    let declared: ResponseObject | undefined = route?.operation.responses[String(seen.status)];
    if (!declared && seen.status >= 400)
      declared = route ? route.operation.responses['default'] : errorResponse;
    if (!declared) {
      const statuses = route ? Object.keys(route.operation.responses).join(', ') : 'none (errors only)';
      fail(`a status the document does not declare (declared: ${statuses})`);
    }
    const content = declared!.content;
    if (!content) {
      if (seen.text !== '') fail(`a body where the document declares none: ${seen.text.slice(0, 200)}`);
      return;
    }
    const type = (seen.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    const media = content[type];
    if (!media)
      fail(
        `content type '${seen.contentType ?? '(none)'}' where the document declares ${Object.keys(content)
          .map((t) => `'${t}'`)
          .join(' or ')}`,
      );
    if (type !== 'application/json' || !media!.schema) return;
    let body: unknown;
    try {
      body = JSON.parse(seen.text);
    } catch {
      fail(`a body that is not JSON: ${seen.text.slice(0, 200)}`);
    }
    const validate = validatorOf(media!.schema);
    if (validate(body)) return;
    fail(`a body that does not match its schema:\n${describe(validate.errors ?? [], body)}`);
  };
  return {
    check,
    compileAll: () => {
      let n = 0;
      for (const r of routes)
        for (const [status, response] of Object.entries(r.operation.responses)) {
          const schema = response.content?.['application/json']?.schema;
          if (!schema) continue;
          try {
            validatorOf(schema);
          } catch (error) {
            throw new Error(
              `${r.method} ${r.template} (${r.operation.operationId}) ${status}: ${(error as Error).message}`,
              { cause: error },
            );
          }
          n++;
        }
      return n;
    },
    operationOf: (method, pathname) => {
      const r = find(method.toUpperCase(), pathname);
      return r && { operationId: r.operation.operationId, template: r.template };
    },
  };
}

/** Each ajv error with the path in the body (`/teams/0/name`), the schema path and the value found there. */
function describe(errors: ErrorObject[], body: unknown): string {
  return errors
    .slice(0, 8)
    .map((e) => {
      const extra =
        (e.params as { additionalProperty?: string; missingProperty?: string }).additionalProperty ??
        (e.params as { missingProperty?: string }).missingProperty;
      const where = extra === undefined ? e.instancePath || '/' : `${e.instancePath}/${extra}`;
      const found = valueAt(body, e.instancePath);
      const value = found === undefined ? 'nothing' : JSON.stringify(found).slice(0, 120);
      return `  ${where} ${e.message ?? e.keyword} (schema ${e.schemaPath}${extra === undefined ? `; found ${value}` : ''})`;
    })
    .concat(errors.length > 8 ? [`  … and ${errors.length - 8} more`] : [])
    .join('\n');
}

function valueAt(body: unknown, pointer: string): unknown {
  let node = body;
  for (const key of pointer
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~')))
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

let platformChecker: ResponseChecker | undefined;

/** Checks an answer against the platform's own OpenAPI document (built once per process). */
export function checkResponse(seen: SeenResponse): void {
  (platformChecker ??= responseChecker()).check(seen);
}

/** Options of one checked call. */
export interface CheckOptions {
  /**
   * Why this answer is not checked: only for a test that deliberately sends what no client would
   * (garbage the schema cannot describe an answer to). Checked by default.
   */
  unchecked?: string;
}

/**
 * `fetch`, with the answer of an `/api/` request checked by `checkResponse` (a copy of the body is
 * read; the Response returned is untouched). Paths outside `/api/` are not checked.
 */
export async function checkedFetch(
  input: string | URL,
  init: RequestInit = {},
  options: CheckOptions = {},
): Promise<Response> {
  const res = await fetch(input, init);
  const url = new URL(input);
  if (options.unchecked === undefined && url.pathname.startsWith('/api/')) {
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.clone().arrayBuffer());
    checkResponse({
      method: init.method ?? 'GET',
      url,
      status: res.status,
      contentType: res.headers.get('content-type'),
      text: isText(res.headers.get('content-type')) ? text : '',
    });
  }
  return res;
}

/** Whether a body is text the checker reads (binary bodies are checked by their content type only). */
function isText(contentType: string | null): boolean {
  return contentType === null || /^(application\/json|text\/)/i.test(contentType);
}
