import { expect } from 'chai';
import { recordingFileName } from './terminal-routes.ts';

describe('recordingFileName', () => {
  it('names a downloaded recording for a person: exercise, team, host, UTC start, id prefix', () => {
    expect(
      recordingFileName({
        exerciseId: 'class-7',
        teamId: 'team-1',
        host: 'workstation',
        startedAt: '2026-12-04T10:24:41.123Z',
        recordingId: '1a2b3c4d-0000-4000-8000-000000000000',
      }),
    ).to.equal('class-7-team-1-workstation-20261204-102441-1a2b3c4d.cast');
  });

  it('keeps the name safe in a header whatever a field holds', () => {
    const name = recordingFileName({
      exerciseId: 'a"b',
      teamId: 't/1',
      host: 'h\r\nx',
      startedAt: '2026-12-04T10:24:41Z',
      recordingId: 'ffffffff',
    });
    expect(name).to.equal('a-b-t-1-h-x-20261204-102441-ffffffff.cast');
  });
});
