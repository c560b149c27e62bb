import { client } from '../api-client.ts';

/** What an owner may do with one version of a scenario from the catalogue or the admin pages. */
export type VersionAction = 'archive' | 'restore' | 'publish' | 'withdraw';

/**
 * Archive a version, restore it, ask the operator to publish it, or withdraw that request (typed
 * calls; each answers with the version's catalogue entry). Refusals throw `ApiError`.
 */
export async function scenarioVersionAction(
  v: { readonly id: string; readonly version: string },
  action: VersionAction,
): Promise<void> {
  const path = { id: v.id, version: v.version };
  if (action === 'archive') await client.post('/api/scenarios/{id}/versions/{version}/archive', { path });
  else if (action === 'restore')
    await client.post('/api/scenarios/{id}/versions/{version}/restore', { path });
  else
    await client.post('/api/scenarios/{id}/versions/{version}/publication', {
      path,
      body: action === 'withdraw' ? { withdraw: true } : {},
    });
}
