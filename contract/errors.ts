/**
 * Every error code of CYROP (`{ error: { code, message } }` in HTTP answers, `scoring:error` and
 * terminal errors on sockets). The server throws them (orchestrator/src/errors.ts); the console says
 * each one in words (web-console/src/describe-error.ts, whose test checks it knows them all).
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
