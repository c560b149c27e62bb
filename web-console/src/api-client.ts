/**
 * The typed client of the platform API: paths, methods, path and query parameters, bodies and
 * answers come from `api-schema.gen.ts` (generated from the server's OpenAPI document by
 * `npm run gen:api`), so a call the server does not offer, a wrong body or a misread answer fails
 * the type-check. Requests go through `api()` (session cookie, JSON, `ApiError`).
 */
import { api } from './api.ts';
import type { paths } from './api-schema.gen.ts';

export { ApiError } from './api.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The paths that offer `M`. */
export type PathOf<M extends Method> = {
  [P in keyof paths]: paths[P] extends Record<M, object> ? P : never;
}[keyof paths];

type Operation<M extends Method, P extends PathOf<M>> = paths[P] extends Record<M, infer Op> ? Op : never;

type Json<C> = C extends { content: { 'application/json': infer T } } ? T : undefined;

/** The JSON answer of a successful call (undefined for 204). */
export type Answer<M extends Method, P extends PathOf<M>> =
  Operation<M, P> extends { responses: infer R }
    ? R extends { 200: infer OK }
      ? Json<OK>
      : R extends { 201: infer Created }
        ? Json<Created>
        : R extends { 202: infer Accepted }
          ? Json<Accepted>
          : undefined
    : never;

/** A request body, when the operation takes one. */
export type Body<M extends Method, P extends PathOf<M>> =
  Operation<M, P> extends { requestBody: { content: { 'application/json': infer B } } } ? B : never;

type PathParams<M extends Method, P extends PathOf<M>> =
  Operation<M, P> extends { parameters: { path: infer PP } } ? PP : never;
type QueryParams<M extends Method, P extends PathOf<M>> =
  Operation<M, P> extends { parameters: { query?: infer Q } } ? Q : never;

/** What a call adds to its path: `path` parameters, `query`, `body` — each only where the operation has it. */
export type CallOptions<M extends Method, P extends PathOf<M>> = ([PathParams<M, P>] extends [never]
  ? { path?: never }
  : { path: PathParams<M, P> }) &
  ([QueryParams<M, P>] extends [never] ? { query?: never } : { query?: QueryParams<M, P> }) &
  ([Body<M, P>] extends [never] ? { body?: never } : { body: Body<M, P> });

type Rest<M extends Method, P extends PathOf<M>> = [PathParams<M, P>] extends [never]
  ? [Body<M, P>] extends [never]
    ? [options?: CallOptions<M, P>]
    : [options: CallOptions<M, P>]
  : [options: CallOptions<M, P>];

/** The path with its `{name}` parameters filled in (encoded) and the query string appended. */
export function resolvePath(
  template: string,
  pathParams: Readonly<Record<string, string | number>> | undefined,
  query: Readonly<Record<string, string | number | boolean | undefined>> | undefined,
): string {
  const path = template.replace(/\{([^}]+)\}/g, (_whole, name: string) => {
    const value = pathParams?.[name];
    if (value === undefined) throw new Error(`API path ${template}: no value for the parameter {${name}}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined) search.set(key, String(value));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

async function call<M extends Method, P extends PathOf<M>>(
  method: M,
  path: P,
  options: CallOptions<M, P> | undefined,
): Promise<Answer<M, P>> {
  const o = (options ?? {}) as {
    path?: Record<string, string | number>;
    query?: Record<string, string | number | boolean | undefined>;
    body?: unknown;
  };
  return api<Answer<M, P>>(
    method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    resolvePath(path, o.path, o.query),
    o.body,
  );
}

/** `client.get('/api/exercises/{id}', { path: { id } })` and so on; answers typed by the schema. */
export const client = {
  get: <P extends PathOf<'get'>>(path: P, ...[options]: Rest<'get', P>) => call('get', path, options),
  post: <P extends PathOf<'post'>>(path: P, ...[options]: Rest<'post', P>) => call('post', path, options),
  put: <P extends PathOf<'put'>>(path: P, ...[options]: Rest<'put', P>) => call('put', path, options),
  patch: <P extends PathOf<'patch'>>(path: P, ...[options]: Rest<'patch', P>) => call('patch', path, options),
  delete: <P extends PathOf<'delete'>>(path: P, ...[options]: Rest<'delete', P>) =>
    call('delete', path, options),
};
