/** The routes of the console (hash based: the server serves one page). */
export type Route =
  | { name: 'home' }
  | { name: 'login'; next?: string }
  | { name: 'join'; code: string }
  | { name: 'play' }
  | { name: 'instructor' }
  | { name: 'exercise'; exerciseId: string }
  | { name: 'admin'; tab?: string }
  | { name: 'account' }
  | { name: 'business' }
  | { name: 'revenue' }
  | { name: 'sheet'; exerciseId: string }
  | { name: 'board'; exerciseId: string }
  | { name: 'scenario'; scenarioId: string; version?: string }
  | { name: 'exerciseScenario'; exerciseId: string }
  | { name: 'invite'; token: string }
  | { name: 'analytics' }
  | { name: 'progress' };

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => decodeURIComponent(p));
  const params = new URLSearchParams(query);
  if (parts[0] === 'login') {
    const next = params.get('next');
    return next !== null && next.startsWith('#/') ? { name: 'login', next } : { name: 'login' };
  }
  if (parts[0] === 'join' && parts[1] !== undefined) return { name: 'join', code: parts[1] };
  if (parts[0] === 'play') return { name: 'play' };
  if (parts[0] === 'instructor' && parts[1] === 'exercises' && parts[2] !== undefined)
    return parts[3] === 'sheet'
      ? { name: 'sheet', exerciseId: parts[2] }
      : parts[3] === 'board'
        ? { name: 'board', exerciseId: parts[2] }
        : parts[3] === 'scenario'
          ? { name: 'exerciseScenario', exerciseId: parts[2] }
          : { name: 'exercise', exerciseId: parts[2] };
  if (parts[0] === 'instructor' && parts[1] === 'scenarios' && parts[2] !== undefined)
    return parts[3] !== undefined
      ? { name: 'scenario', scenarioId: parts[2], version: parts[3] }
      : { name: 'scenario', scenarioId: parts[2] };
  if (parts[0] === 'invite' && parts[1] !== undefined) return { name: 'invite', token: parts[1] };
  if (parts[0] === 'instructor') return { name: 'instructor' };
  if (parts[0] === 'admin')
    return parts[1] !== undefined ? { name: 'admin', tab: parts[1] } : { name: 'admin' };
  if (parts[0] === 'account') return { name: 'account' };
  if (parts[0] === 'analytics') return parts[1] === 'me' ? { name: 'progress' } : { name: 'analytics' };
  if (parts[0] === 'business') return { name: 'business' };
  if (parts[0] === 'revenue') return { name: 'revenue' };
  return { name: 'home' };
}

/** Goes to a route (re-renders it when it is the current one). */
export function navigate(hash: string): void {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}
