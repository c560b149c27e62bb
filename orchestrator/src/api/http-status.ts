import type { ErrorCode } from '../errors.ts';

/** The one map from error codes to HTTP statuses. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  BAD_JSON: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  EXERCISE_ENDED: 409,
  /** The subnet pool has no free block left: an operator matter, not a server fault. */
  POOL_EXHAUSTED: 409,
  /** An organisation's quota (exercises, teams, hosts, CPU, memory, disk, lifetime) would be exceeded. */
  QUOTA_EXCEEDED: 409,
  /** A subnet overlaps a network in use (another exercise, another network on the engine, the host). */
  SUBNET_CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SCENARIO_INVALID: 422,
  SCENARIO_TOO_COSTLY: 422,
  NICE_FORMAT_UNKNOWN: 400,
  NICE_CATALOGUE_MISSING: 404,
  ENGINE_IMAGE_MISSING: 424,
  RATE_LIMITED: 429,
  CONFIG_INVALID: 500,
  IO_ERROR: 500,
  INTERNAL: 500,
  ENGINE_ERROR: 502,
  ENGINE_UNAVAILABLE: 503,
  ENGINE_VERSION: 503,
  ENGINE_NOT_FOUND: 404,
  ENGINE_CONFLICT: 409,
  ENGINE_TIMEOUT: 504,
};
