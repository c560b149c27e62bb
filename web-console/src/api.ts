/** An error answer of the platform API (`{ error: { code, message, details? } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined,
    /** From the Retry-After header (seconds), when the server sent one. */
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * Calls the platform API with the session cookie. Bodies are JSON; the browser adds the Origin
 * header to state-changing requests (the server's CSRF check). Resolves with the parsed JSON body
 * (undefined for 204), rejects with ApiError for error answers.
 */
export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  };
  let response: Response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new ApiError(
      0,
      'NETWORK',
      error instanceof Error ? error.message : String(error),
      undefined,
      undefined,
    );
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON (a proxy's error page): described by the status alone
  }
  if (!response.ok) {
    const error = (
      parsed as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined
    )?.error;
    const retry = Number(response.headers.get('retry-after'));
    throw new ApiError(
      response.status,
      error?.code ?? `HTTP_${response.status}`,
      error?.message ?? response.statusText,
      error?.details,
      Number.isFinite(retry) && retry > 0 ? retry : undefined,
    );
  }
  return parsed as T;
}
