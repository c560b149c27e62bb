import { checkResponse, type CheckOptions } from './response-check.ts';

export interface ApiResponse {
  status: number;
  /** The JSON body (an empty object when there is none). */
  body: Record<string, unknown>;
  text: string;
}

/**
 * A client of the platform's HTTP API for tests and benchmarks, as a browser would be: it keeps the
 * session cookie the server sets and sends the Origin the server expects on every request. With
 * `checkResponses`, every answer is checked against the OpenAPI document (`response-check.ts`): a
 * status, content type or body the document does not declare throws, naming the operation.
 */
export function apiClient(baseUrl: string, { checkResponses = false }: { checkResponses?: boolean } = {}) {
  let cookie = '';
  const origin = new URL(baseUrl).origin;
  const send = (method: string, url: string, body?: unknown) =>
    fetch(new URL(url, baseUrl), {
      method,
      headers: {
        origin,
        ...(cookie ? { cookie } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const call = async (
    method: string,
    url: string,
    body?: unknown,
    options: CheckOptions = {},
  ): Promise<ApiResponse> => {
    const res = await send(method, url, body).catch((error: unknown) => {
      // A kept-alive connection the server closed as idle just as it was reused (e.g. after a test
      // blocked the event loop of an in-process server with spawnSync): a read is sent again once.
      const reset = (error as { cause?: { code?: string } }).cause?.code === 'ECONNRESET';
      if (reset && (method === 'GET' || method === 'HEAD')) return send(method, url, body);
      throw error;
    });
    const set = res.headers.get('set-cookie');
    if (set) cookie = set.split(';')[0]!;
    const text = await res.text();
    if (checkResponses && options.unchecked === undefined)
      checkResponse({
        method,
        url: res.url,
        status: res.status,
        contentType: res.headers.get('content-type'),
        text,
      });
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
  };
  return Object.assign(call, { cookie: () => cookie });
}
