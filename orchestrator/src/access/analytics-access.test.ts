import { expect } from 'chai';
import { mayReadClass, traineeEvidenceScope } from './analytics-access.ts';
import type { Principal } from './principal.ts';

const user = (
  userId: string,
  orgId: string,
  role: 'operator' | 'org-admin' | 'instructor' | 'trainee',
): Principal => ({
  kind: 'user',
  userId,
  orgId,
  role,
  name: userId,
});

describe('analytics access: an instructor’s class', () => {
  const launchedByA = { orgId: 'org-1', createdBy: 'instr-a', assigned: ['instr-c'] };

  it('the launcher and the assigned instructors read it; another instructor of the organisation does not', () => {
    expect(mayReadClass(user('instr-a', 'org-1', 'instructor'), launchedByA)).to.equal(true);
    expect(mayReadClass(user('instr-c', 'org-1', 'instructor'), launchedByA)).to.equal(true);
    expect(mayReadClass(user('instr-b', 'org-1', 'instructor'), launchedByA)).to.equal(false);
  });

  it('org-admins read their whole organisation, the operator all; other organisations and trainees never', () => {
    expect(mayReadClass(user('admin-1', 'org-1', 'org-admin'), launchedByA)).to.equal(true);
    expect(mayReadClass(user('op', 'org-op', 'operator'), launchedByA)).to.equal(true);
    expect(mayReadClass(user('admin-2', 'org-2', 'org-admin'), launchedByA)).to.equal(false);
    // an instructor id that launched it elsewhere does not carry over to another organisation
    expect(mayReadClass(user('instr-a', 'org-2', 'instructor'), launchedByA)).to.equal(false);
    expect(mayReadClass(user('trainee', 'org-1', 'trainee'), launchedByA)).to.equal(false);
    expect(mayReadClass(undefined, launchedByA)).to.equal(false);
    expect(mayReadClass(user('op', 'org-op', 'operator'), undefined)).to.equal(false);
  });

  it('an exercise nobody launched by account (CLI, before 0013) is the org-admins’, no instructor’s', () => {
    const legacy = { orgId: 'org-1', createdBy: null, assigned: [] };
    expect(mayReadClass(user('instr-a', 'org-1', 'instructor'), legacy)).to.equal(false);
    expect(mayReadClass(user('admin-1', 'org-1', 'org-admin'), legacy)).to.equal(true);
  });

  it('a trainee’s evidence: instructors their class, org-admins their organisation', () => {
    expect(traineeEvidenceScope(user('instr-a', 'org-1', 'instructor'), 't1')).to.deep.equal({
      kind: 'class',
      orgId: 'org-1',
      instructorId: 'instr-a',
    });
    expect(traineeEvidenceScope(user('admin-1', 'org-1', 'org-admin'), 't1')).to.deep.equal({
      kind: 'org',
      orgId: 'org-1',
    });
    expect(traineeEvidenceScope(user('t1', 'org-1', 'trainee'), 't1')).to.deep.equal({ kind: 'all' });
    expect(traineeEvidenceScope(user('t2', 'org-1', 'trainee'), 't1')).to.deep.equal({ kind: 'none' });
  });
});
