import { expect } from 'chai';
import { isNewer, mergeRows, mergeStats } from './scoreboard-state.ts';

const row = (teamId: string, rank: number, points: number) => ({
  teamId,
  teamName: teamId,
  rank,
  points,
  solves: 0,
  lastScoringAt: null,
});
const stats = (objectiveId: string, solves: number) => ({
  objectiveId,
  solves,
  value: 100,
  firstBlood: null,
});

describe('scoreboard state (the merge of /scoring pushes)', () => {
  it('replaces the rows a delta carries and orders the board by rank', () => {
    const board = [row('red', 1, 100), row('blue', 2, 50), row('green', 3, 0)];
    const merged = mergeRows(board, [row('green', 1, 150), row('red', 2, 100), row('blue', 3, 50)]);
    expect(merged.map((r) => [r.teamId, r.rank, r.points])).to.deep.equal([
      ['green', 1, 150],
      ['red', 2, 100],
      ['blue', 3, 50],
    ]);
  });

  it('keeps the rows a delta leaves out, and adds a team it did not know', () => {
    const board = [row('red', 1, 100), row('blue', 3, 0)];
    const merged = mergeRows(board, [row('green', 2, 20)]);
    expect(merged.map((r) => r.teamId)).to.deep.equal(['red', 'green', 'blue']);
    expect(
      board.map((r) => r.teamId),
      'the old board is not changed',
    ).to.deep.equal(['red', 'blue']);
  });

  it('replaces objective statistics in place and appends new ones', () => {
    const merged = mergeStats([stats('a', 0), stats('b', 1)], [stats('b', 2), stats('c', 1)]);
    expect(merged.map((s) => [s.objectiveId, s.solves])).to.deep.equal([
      ['a', 0],
      ['b', 2],
      ['c', 1],
    ]);
  });

  it('applies only pushes newer than the shown sequence number', () => {
    expect(isNewer(5, 4)).to.equal(true);
    expect(isNewer(4, 4)).to.equal(false);
    expect(isNewer(3, 4)).to.equal(false);
  });
});
