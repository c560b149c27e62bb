/**
 * The one error base class of CYROP. Every expected failure carries a `code` from this union;
 * adapters translate foreign errors at the boundary and keep the original as `cause`.
 * Edges (CLI, HTTP, socket.io) map codes to exit statuses / HTTP statuses in one place each.
 */
export type { ErrorCode } from '../../contract/errors.ts';
import type { ErrorCode } from '../../contract/errors.ts';

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
