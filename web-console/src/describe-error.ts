import { ApiError } from './api.ts';
import { t } from './i18n/i18n.ts';
import { teamStateLabel } from './labels.ts';

/** A failed request, said in the current language: a sentence for people, never an internal code. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return t('error.generic', { message: String(error) });
  if (error.code === 'RATE_LIMITED')
    return error.retryAfterSeconds !== undefined
      ? t('error.rateLimitedRetry', { seconds: error.retryAfterSeconds })
      : t('error.rateLimited');
  return describeCode(error.code, error.message, error.status);
}

/**
 * An error code of the platform (REST, `/terminal` and `/scoring` answers) with its message, said as
 * a sentence in the current language. The server's message (English, written for people) is kept
 * where it names what was wrong; the code itself is never shown.
 */
export function describeCode(code: string, message: string, status = 0): string {
  switch (code) {
    case 'NETWORK':
      return t('error.network');
    case 'UNAUTHENTICATED':
      return t('error.unauthenticated');
    case 'FORBIDDEN':
      return t('error.forbidden', { message });
    case 'NOT_FOUND':
      return t('error.notFound');
    case 'RATE_LIMITED':
      return t('error.rateLimited');
    case 'EXERCISE_ENDED':
      return t('error.exerciseOver');
    case 'CONFLICT':
      return describeConflict(message);
    case 'BAD_REQUEST':
    case 'BAD_JSON':
    case 'BAD_SIZE':
    case 'UNSUPPORTED_MEDIA_TYPE':
      return t('error.badRequest', { message });
    case 'PAYLOAD_TOO_LARGE':
      return t('error.tooLarge');
    case 'SCENARIO_INVALID':
    case 'SCENARIO_TOO_COSTLY':
      return t('error.scenarioInvalid', { message });
    case 'QUOTA_EXCEEDED':
      return t('error.quota', { message });
    case 'POOL_EXHAUSTED':
    case 'SUBNET_CONFLICT':
      return t('error.noAddresses');
    case 'ENGINE_UNAVAILABLE':
    case 'ENGINE_VERSION':
    case 'ENGINE_NOT_FOUND':
    case 'ENGINE_CONFLICT':
    case 'ENGINE_IMAGE_MISSING':
    case 'ENGINE_TIMEOUT':
    case 'ENGINE_ERROR':
      return t('error.engine');
    case 'INTERNAL':
    case 'IO_ERROR':
      return t('error.internal');
    default:
      if (status >= 500 || /^HTTP_5\d\d$/.test(code)) return t('error.internal');
      return t('error.generic', { message });
  }
}

/** The conflicts people meet in a live class, each in its own sentence; others keep the server's words. */
function describeConflict(message: string): string {
  // "the exercise is ended, not running", "exercise 'x' is tearing-down", "the exercise ended at …"
  if (
    /\bexercise\b.*\bis (?:ended|tearing-down)\b/.test(message) ||
    /\bthe exercise ended at\b/.test(message)
  )
    return t('error.exerciseOver');
  if (/\bthe exercise is (?:created|launching), not running\b/.test(message))
    return t('error.exerciseNotRunning');
  const team = /\bthe team's environment is ([a-z-]+)/.exec(message);
  if (team) return t('error.teamNotReady', { state: teamStateLabel(team[1] ?? '') });
  return t('error.conflict', { message });
}
