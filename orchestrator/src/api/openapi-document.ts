import { ApiRegistry } from './api-registry.ts';
import { allRoutes, type PlatformRouteDeps } from './platform-routes.ts';

/** The title and version of the platform's OpenAPI document (served at /api/openapi.json). */
export const OPENAPI_INFO = { title: 'CYROP platform API', version: '1' } as const;

/**
 * The OpenAPI document of every route, built from the route registry without a server, a database
 * or an engine: each route module registers its routes with services that are never called (a
 * route's schemas do not depend on them). `npm run gen:api` turns it into the console's types.
 */
export function buildOpenApiDocument(): Record<string, unknown> {
  const api = new ApiRegistry();
  const unused = inert('services');
  const deps: Required<PlatformRouteDeps> = {
    account: unused,
    admin: unused,
    invitation: unused,
    course: unused,
    scenarioGuide: unused,
    analytics: unused,
    quota: unused,
    billing: unused,
    exercise: unused,
    play: unused,
    roster: unused,
    web: unused,
    help: unused,
    scoring: unused,
    terminal: unused,
  };
  allRoutes(api, unused, deps);
  return api.openapi(OPENAPI_INFO);
}

/** A stand-in for services: any property reads as another stand-in; calling one throws. */
function inert(path: string): never {
  const target = function () {
    /* never called */
  };
  return new Proxy(target, {
    get: (_target, key) => (typeof key === 'symbol' ? undefined : inert(`${path}.${key}`)),
    apply: () => {
      throw new Error(
        `${path}() was called while building the OpenAPI document: a route module used a service at registration`,
      );
    },
  }) as never;
}
