/**
 * The one error base class of CYROP. Every expected failure carries a `code` from this union;
 * adapters translate foreign errors at the boundary and keep the original as `cause`.
 * Edges (CLI, HTTP, socket.io) map codes to exit statuses / HTTP statuses in one place each.
 */
export type ErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_JSON'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'RATE_LIMITED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONFIG_INVALID'
  | 'NOT_FOUND'
  | 'SCENARIO_INVALID'
  | 'SCENARIO_TOO_COSTLY'
  | 'NICE_FORMAT_UNKNOWN'
  | 'NICE_CATALOGUE_MISSING'
  | 'IO_ERROR'
  | 'CONFLICT'
  | 'EXERCISE_ENDED'
  | 'POOL_EXHAUSTED'
  | 'QUOTA_EXCEEDED'
  | 'SUBNET_CONFLICT'
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_VERSION'
  | 'ENGINE_NOT_FOUND'
  | 'ENGINE_CONFLICT'
  | 'ENGINE_IMAGE_MISSING'
  | 'ENGINE_TIMEOUT'
  | 'ENGINE_ERROR'
  | 'INTERNAL';

export class CyropError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CyropError';
    this.code = code;
    this.details = options.details;
  }
}

export function isCyropError(value: unknown): value is CyropError {
  return value instanceof CyropError;
}
