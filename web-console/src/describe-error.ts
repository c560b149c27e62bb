import { ApiError } from './api.ts';
import { t } from './i18n/i18n.ts';

/** A failed request, said in the current language. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return t('error.generic', { message: String(error) });
  switch (error.code) {
    case 'NETWORK':
      return t('error.network');
    case 'UNAUTHENTICATED':
      return t('error.unauthenticated');
    case 'FORBIDDEN':
      return t('error.forbidden', { message: error.message });
    case 'NOT_FOUND':
      return t('error.notFound');
    case 'RATE_LIMITED':
      return error.retryAfterSeconds !== undefined
        ? t('error.rateLimitedRetry', { seconds: error.retryAfterSeconds })
        : t('error.rateLimited');
    default:
      return t('error.generic', { message: error.message });
  }
}
