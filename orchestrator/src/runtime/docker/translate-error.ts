import { CyropError } from '../../errors.ts';

/**
 * Docker engine errors → CyropError, keeping the original as `cause`. dockerode rejects with an
 * Error carrying `statusCode` and `json.message` for API errors, and a Node errno error when the
 * socket does not answer.
 */
export function translateDockerError(error: unknown, what: string): CyropError {
  if (error instanceof CyropError) return error;
  const e = error as {
    statusCode?: number;
    json?: { message?: string } | null;
    code?: string;
    message?: string;
    reason?: string;
  };
  const detail = e.json?.message ?? e.reason ?? e.message ?? String(error);
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'EACCES') {
    return new CyropError(
      'ENGINE_UNAVAILABLE',
      `Docker engine not reachable while ${what}: ${e.code} (is dockerd running? infra/engine/ensure-docker.sh starts it)`,
      { cause: error },
    );
  }
  switch (e.statusCode) {
    case 404:
      if (/no such image/i.test(detail)) {
        return new CyropError(
          'ENGINE_IMAGE_MISSING',
          `${what}: ${detail} (build images with: npx cyrop images build)`,
          { cause: error },
        );
      }
      return new CyropError('ENGINE_NOT_FOUND', `${what}: ${detail}`, { cause: error });
    case 409:
      return new CyropError('ENGINE_CONFLICT', `${what}: ${detail}`, { cause: error });
    default:
      return new CyropError('ENGINE_ERROR', `${what}: ${detail}`, { cause: error });
  }
}

export function isStatus(error: unknown, status: number): boolean {
  return (error as { statusCode?: number } | null)?.statusCode === status;
}
