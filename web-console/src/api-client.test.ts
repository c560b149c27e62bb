import { expect } from 'chai';
import { resolvePath } from './api-client.ts';

describe('the typed API client: paths', () => {
  it('fills path parameters, encoded, and appends the query', () => {
    expect(
      resolvePath(
        '/api/exercises/{id}/teams/{team}/reset',
        { id: 'ex 1', team: 'a/b' },
        { lang: 'ja', team: undefined, n: 2 },
      ),
    ).to.equal('/api/exercises/ex%201/teams/a%2Fb/reset?lang=ja&n=2');
  });

  it('leaves a path without parameters or query as it is', () => {
    expect(resolvePath('/api/auth/me', undefined, undefined)).to.equal('/api/auth/me');
    expect(resolvePath('/api/auth/me', undefined, {})).to.equal('/api/auth/me');
  });

  it('refuses a path parameter it was not given, naming it', () => {
    expect(() => resolvePath('/api/exercises/{id}', {}, undefined)).to.throw(
      'API path /api/exercises/{id}: no value for the parameter {id}',
    );
  });
});
