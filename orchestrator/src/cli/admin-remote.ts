import type { Organisation, User } from '../accounts/account-service.ts';
import type { Diagnostic } from '../compiler/diagnostic.ts';
import { CyropError, type ErrorCode } from '../errors.ts';
import type { ScenarioFiles } from '../scenarios/scenario-uploads.ts';
import { byScenarioId, scenarioRow, type AdminBackend, type ScenarioRow } from './admin-backend.ts';
import type { SessionFile, StoredSession } from './cli-sessions.ts';

const SESSION_COOKIE = 'cyrop_session';
/** Long enough for an upload to compile on a busy server; an unanswered request still ends. */
const TIMEOUT_MS = 120_000;

interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

interface Me {
  kind: string;
  userId?: string;
  orgId?: string;
  role?: string;
}

/**
 * One request to a CYROP server's API, as the console makes it: JSON, the session cookie, and the
 * Origin the server checks (its own). A refusal becomes the CyropError the server named; a server
 * that cannot be reached becomes an IO_ERROR naming it.
 */
export async function request<T>(
  origin: string,
  method: string,
  url: string,
  options: { cookie?: string; body?: unknown } = {},
): Promise<Answer<T>> {
  let res: Response;
  try {
    res = await fetch(new URL(url, origin), {
      method,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
      headers: {
        origin,
        accept: 'application/json',
        ...(options.cookie ? { cookie: options.cookie } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
  } catch (error) {
    throw new CyropError('IO_ERROR', `cannot reach the server at ${origin}: ${reason(error)}`, {
      cause: error,
    });
  }
  let text: string;
  try {
    text = await res.text();
  } catch (error) {
    throw new CyropError('IO_ERROR', `the server at ${origin} broke off its answer: ${reason(error)}`, {
      cause: error,
    });
  }
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      throw new CyropError(
        'IO_ERROR',
        `${method} ${new URL(url, origin).href} answered ${res.status} with something that is not JSON: is ${origin} a CYROP server?`,
      );
    }
  }
  if (res.status >= 300) {
    const error = (body as { error?: { code?: string; message?: string; details?: unknown } } | undefined)
      ?.error;
    if (!error?.code)
      throw new CyropError('IO_ERROR', `${method} ${new URL(url, origin).href} answered ${res.status}`);
    throw new CyropError(error.code as ErrorCode, error.message ?? `HTTP ${res.status}`, {
      details: error.details,
    });
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

function reason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.message ?? cause?.code ?? (error instanceof Error ? error.message : String(error));
}

/**
 * Sign in with email and password and keep the session cookie for `origin`. An account that must
 * still change its one-time password is signed out again and told so.
 */
export async function login(
  origin: string,
  email: string,
  password: string,
  sessions: SessionFile,
): Promise<{ principal: Me & { name?: string }; expiresAt: number | null }> {
  const answer = await request<{
    principal: Me & { name?: string };
    mustChangePassword: boolean;
    expiresAt?: number;
  }>(origin, 'POST', '/api/auth/login', { body: { email, password } });
  const cookie = answer.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith(`${SESSION_COOKIE}=`) && c.length > SESSION_COOKIE.length + 1);
  if (!cookie)
    throw new CyropError('IO_ERROR', `the server at ${origin} signed in but set no session cookie`);
  if (answer.body.mustChangePassword) {
    await request(origin, 'POST', '/api/auth/logout', { cookie }).catch(() => undefined);
    throw new CyropError(
      'FORBIDDEN',
      `${email} still has a one-time password: sign in to the console at ${origin}/ and choose a new password, then run cyrop login again`,
    );
  }
  const expiresAt = answer.body.expiresAt ?? null;
  sessions.set(origin, { cookie, email, expiresAt });
  return { principal: answer.body.principal, expiresAt };
}

/** End the session on the server and forget it here (forgotten even when the server cannot be told). */
export async function logout(origin: string, sessions: SessionFile): Promise<StoredSession | undefined> {
  const stored = sessions.get(origin);
  if (!stored) return undefined;
  sessions.delete(origin);
  try {
    await request(origin, 'POST', '/api/auth/logout', { cookie: stored.cookie });
  } catch (error) {
    if (!(error instanceof CyropError)) throw error;
    throw new CyropError(
      error.code,
      `${error.message} (the session is forgotten here; on the server it lasts until it expires)`,
      { cause: error },
    );
  }
  return stored;
}

/** The administration back-end of a running server: its REST API, as the user signed in with `cyrop login`. */
export function remoteBackend(origin: string, sessions: SessionFile): AdminBackend {
  const stored = sessions.get(origin);
  const signIn = `cyrop login --server ${origin} --email <your email>`;
  const call = async <T>(method: string, url: string, body?: unknown): Promise<Answer<T>> => {
    if (!stored) throw new CyropError('UNAUTHENTICATED', `not signed in to ${origin}: run ${signIn}`);
    try {
      return await request<T>(origin, method, url, {
        cookie: stored.cookie,
        ...(body !== undefined ? { body } : {}),
      });
    } catch (error) {
      if (error instanceof CyropError && error.code === 'UNAUTHENTICATED')
        throw new CyropError(
          'UNAUTHENTICATED',
          `${error.message} (the session of ${stored.email} at ${origin} has ended: run ${signIn})`,
        );
      throw error;
    }
  };
  const get = async <T>(url: string) => (await call<T>('GET', url)).body;
  const post = async <T>(url: string, body?: unknown) => (await call<T>('POST', url, body ?? {})).body;
  const seg = encodeURIComponent;
  let whoAmI: Promise<Me> | undefined;
  const me = () => (whoAmI ??= get<{ principal: Me }>('/api/auth/me').then((b) => b.principal));
  const versionUrl = (id: string, version: string) => `/api/scenarios/${seg(id)}/versions/${seg(version)}`;
  const getVersion = (id: string, version: string) =>
    get<ScenarioRow>(`/api/scenarios/${seg(id)}?version=${seg(version)}`);

  const listUsers = async (orgId?: string): Promise<User[]> => {
    const p = await me();
    const org = orgId ?? (p.role === 'operator' ? undefined : p.orgId);
    const url = org === undefined ? '/api/users' : `/api/organisations/${seg(org)}/users`;
    return (await get<{ users: User[] }>(url)).users;
  };
  const userId = async (ref: string): Promise<string> => {
    if (!ref.includes('@')) return ref;
    const found = (await listUsers()).find((u) => u.email === ref.trim().toLowerCase());
    if (!found) throw new CyropError('NOT_FOUND', `no user '${ref}'`);
    return found.id;
  };
  const owned = async (orgId: string) =>
    (await get<{ versions: ScenarioRow[] }>(`/api/organisations/${seg(orgId)}/scenarios`)).versions;

  return {
    listOrganisations: async () =>
      (await get<{ organisations: Organisation[] }>('/api/organisations')).organisations,
    createOrganisation: (input) => post<Organisation>('/api/organisations', input),
    setOrganisationDisabled: async (id, disabled) =>
      (await call<Organisation>('PATCH', `/api/organisations/${seg(id)}`, { disabled })).body,
    updateOrganisation: async (id, changes) =>
      (await call<Organisation>('PATCH', `/api/organisations/${seg(id)}`, changes)).body,
    setCoNexus: async (id, names) =>
      (await call<{ names: string[] }>('PUT', `/api/billing/organisations/${seg(id)}/co-nexus`, { names }))
        .body.names,
    listUsers,
    createUser: ({ orgId, ...body }) =>
      post<{ user: User; oneTimePassword?: string }>(`/api/organisations/${seg(orgId)}/users`, body),
    setUserDisabled: async (ref, disabled) =>
      (await call<User>('PATCH', `/api/users/${seg(await userId(ref))}`, { disabled })).body,
    resetPassword: async (ref) =>
      post<{ user: User; oneTimePassword: string }>(`/api/users/${seg(await userId(ref))}/password-reset`),
    listScenarios: async (orgId) => {
      if (orgId !== undefined) return byScenarioId((await owned(orgId)).map(scenarioRow));
      // Every id the caller may see: the offered ones, and every upload (archived too) it manages.
      const p = await me();
      const ids = new Set(
        (await get<{ scenarios: { id: string }[] }>('/api/scenarios')).scenarios.map((s) => s.id),
      );
      const managed =
        p.role === 'operator'
          ? (await get<{ organisations: Organisation[] }>('/api/organisations')).organisations.map(
              (o) => o.id,
            )
          : p.role === 'org-admin' && p.orgId
            ? [p.orgId]
            : [];
      for (const org of managed) for (const v of await owned(org)) ids.add(v.id);
      const rows: ScenarioRow[] = [];
      for (const id of [...ids].sort())
        rows.push(...(await get<{ versions: ScenarioRow[] }>(`/api/scenarios/${seg(id)}/versions`)).versions);
      return byScenarioId(rows.map(scenarioRow));
    },
    uploadScenario: async (files: ScenarioFiles, orgId) => {
      const p = await me();
      if (orgId !== undefined && orgId !== p.orgId)
        throw new CyropError(
          'FORBIDDEN',
          `an upload belongs to the organisation of the signed-in user (${p.orgId ?? '-'}), not '${orgId}': sign in as a user of that organisation`,
        );
      try {
        const answer = await call<ScenarioRow>('POST', '/api/scenarios', { files });
        return { stored: true, row: { ...scenarioRow(answer.body), created: answer.status === 201 } };
      } catch (error) {
        if (error instanceof CyropError && error.code === 'SCENARIO_INVALID' && Array.isArray(error.details))
          return { stored: false, diagnostics: error.details as Diagnostic[] };
        throw error;
      }
    },
    setScenarioArchived: async (id, version, archived) =>
      scenarioRow(await post<ScenarioRow>(`${versionUrl(id, version)}/${archived ? 'archive' : 'restore'}`)),
    publishScenario: async (id, version, note) => {
      const withNote = note !== undefined ? { note } : {};
      const p = await me();
      const current = await getVersion(id, version);
      if (p.role !== 'operator')
        return scenarioRow(await post<ScenarioRow>(`${versionUrl(id, version)}/publication`, withNote));
      if (current.publication !== 'published') {
        if (current.publication !== 'requested')
          await post(`${versionUrl(id, version)}/publication`, withNote);
        await post(`${versionUrl(id, version)}/publication/decision`, { approve: true, ...withNote });
      }
      return scenarioRow(await getVersion(id, version));
    },
    close: () => Promise.resolve(),
  };
}
