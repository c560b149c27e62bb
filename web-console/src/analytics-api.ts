import { client } from './api-client.ts';
import { FALLBACK_TIME_ZONE } from './platform-zone.ts';
import type {
  AnalyticsConfig,
  CoverageReport,
  Evidence,
  Fraction,
  FrameworkEvidence,
  GapReport,
  MaterialUse,
  NiceFramework,
  NiceStatementType,
  RoleProgress,
  UsageReport,
} from '../../contract/analytics.ts';

/**
 * Every call the analytics pages make, in one place, through the typed client (`api-client.ts`:
 * paths, parameters and answers from the OpenAPI document). The answers' types are the contract's
 * (`contract/analytics.ts`, which the server's analytics modules build); the document declares the
 * same shapes, so the type-check fails if the two drift. Download links are plain URLs: the browser
 * sends the session cookie with them.
 */

export type {
  AnalyticsConfig,
  CoverageReport,
  Evidence,
  Fraction,
  FrameworkEvidence,
  GapReport,
  MaterialUse,
  NiceFramework,
  NiceStatementType,
  RoleProgress,
  UsageReport,
};

let config: Promise<AnalyticsConfig> | undefined;

/**
 * The framework versions (ids, NIST's names, imported or not), the one to open with and the
 * platform's time zone; asked once per page load (a failure is asked again next time).
 */
export function fetchAnalyticsConfig(): Promise<AnalyticsConfig> {
  config ??= client.get('/api/analytics/config').catch((error: unknown) => {
    config = undefined;
    throw error;
  });
  return config;
}

/**
 * The platform's reporting time zone (`timeZone` of the config, `CYROP_TIME_ZONE` on the server): the
 * zone of every calendar day a page shows or sends. `FALLBACK_TIME_ZONE` when the config cannot be
 * read (the page's other calls then fail too and say why).
 */
export async function platformTimeZone(): Promise<string> {
  try {
    return (await fetchAnalyticsConfig()).timeZone;
  } catch {
    return FALLBACK_TIME_ZONE;
  }
}

export type CoverageScope = 'shipped' | 'available' | 'org';

export interface CoverageQuery {
  framework: NiceFramework;
  scope: CoverageScope;
  crosswalk: boolean;
}

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, value);
  return search.toString();
}

export function fetchCoverage(q: CoverageQuery): Promise<CoverageReport> {
  return client.get('/api/analytics/coverage', {
    query: { framework: q.framework, scope: q.scope, crosswalk: q.crosswalk },
  });
}

export function gapsUrl(q: Omit<CoverageQuery, 'crosswalk'>, role: string, format: 'json' | 'csv'): string {
  return `/api/analytics/gaps?${query({ framework: q.framework, scope: q.scope, role, format })}`;
}

export function fetchGaps(q: Omit<CoverageQuery, 'crosswalk'>, role: string): Promise<GapReport> {
  return client.get('/api/analytics/gaps', {
    query: { framework: q.framework, scope: q.scope, role, format: 'json' },
  });
}

/** `from`/`to`: `YYYY-MM-DD`, both days included (platform time zone). */
export function usageUrl(from: string, to: string, format: 'json' | 'csv'): string {
  return `/api/analytics/usage?${query({ from, to, format })}`;
}

export function fetchUsage(from: string, to: string): Promise<UsageReport> {
  return client.get('/api/analytics/usage', { query: { from, to, format: 'json' } });
}

export function fetchEvidence(userId: string): Promise<Evidence> {
  return client.get('/api/analytics/trainees/{userId}/evidence', { path: { userId } });
}

export function transcriptUrl(
  userId: string,
  format: 'pdf' | 'csv',
  lang: 'en' | 'ja',
  framework?: NiceFramework,
): string {
  return `/api/analytics/trainees/${encodeURIComponent(userId)}/transcript?${query({ format, lang, framework })}`;
}
