import { expect } from 'chai';
import { mayWatchExercise, mustWatchExercise } from './exercise-access.ts';
import type { Principal } from './principal.ts';

const user = (role: 'operator' | 'org-admin' | 'instructor' | 'trainee', orgId = 'org-a'): Principal => ({
  kind: 'user',
  userId: `${role}-${orgId}`,
  orgId,
  role,
  name: role,
});

describe('exercise access', () => {
  it('lets operators see every exercise, and staff only their organisation’s', () => {
    const ownedByA = { orgId: 'org-a' };
    expect(mayWatchExercise(user('operator', 'ops'), ownedByA)).to.equal(true);
    expect(mayWatchExercise(user('org-admin'), ownedByA)).to.equal(true);
    expect(mayWatchExercise(user('instructor'), ownedByA)).to.equal(true);
    expect(mayWatchExercise(user('instructor', 'org-b'), ownedByA)).to.equal(false);
    expect(mayWatchExercise(user('org-admin', 'org-b'), ownedByA)).to.equal(false);
    // trainees play through their team, never as staff; the operator's own exercises (null) are the operator's
    expect(mayWatchExercise(user('trainee'), ownedByA)).to.equal(false);
    expect(mayWatchExercise(user('instructor'), { orgId: null })).to.equal(false);
    const participant: Principal = { kind: 'participant', exerciseId: 'e', teamId: 't', name: 'p' };
    expect(mayWatchExercise(participant, ownedByA)).to.equal(false);
    // an exercise that does not exist is nobody's but the operator's to ask about
    expect(mayWatchExercise(user('instructor'), undefined)).to.equal(false);
  });

  it('answers a stranger as if the exercise did not exist (404, never 403)', async () => {
    const refused = await mustWatchExercise(() => false, user('instructor', 'org-b'), 'ex-a').catch(
      (e: unknown) => e,
    );
    expect(refused).to.include({ code: 'NOT_FOUND', message: "no exercise 'ex-a'" });
    const anonymous = await mustWatchExercise(() => true, undefined, 'ex-a').catch((e: unknown) => e);
    expect(anonymous).to.include({ code: 'NOT_FOUND' });
    const allowed = user('instructor');
    expect(await mustWatchExercise(() => Promise.resolve(true), allowed, 'ex-a')).to.equal(allowed);
  });
});
