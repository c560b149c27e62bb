import { expect } from 'chai';
import type { PlannedScoring } from '../compiler/environment-plan.ts';
import {
  compareStandings,
  compareTeamIds,
  dynamicValue,
  firstBloodBonus,
  freezeDueAt,
  objectiveValue,
  type DynamicScoring,
} from './scoring-rules.ts';

const values = (curve: DynamicScoring, solves: number[]): number[] =>
  solves.map((n) => dynamicValue(curve, n));

describe('scoring-rules', () => {
  describe('dynamic values (hand-computed from the formulas)', () => {
    it('linear 500 → 100 over 20 solves: the note’s worked column', () => {
      const curve: DynamicScoring = { initial: 500, minimum: 100, decay: 20, function: 'linear' };
      // V = max(100, ⌈500 − 400·k/20⌉), k = n − 1
      expect(values(curve, [0, 1, 2, 5, 10, 20, 21, 50, 100])).to.deep.equal([
        500, 500, 480, 420, 320, 120, 100, 100, 100,
      ]);
    });

    it('parabolic 500 → 100 over 20 solves: the note’s worked column', () => {
      const curve: DynamicScoring = { initial: 500, minimum: 100, decay: 20, function: 'parabolic' };
      // V = max(100, ⌈500 − 400·k²/400⌉) = 500 − k²
      expect(values(curve, [1, 2, 3, 5, 10, 20, 21, 22])).to.deep.equal([
        500, 499, 496, 484, 419, 139, 100, 100,
      ]);
    });

    it('rounds up (ceil of the value, i.e. floor of the loss) when the division is not exact', () => {
      const linear: DynamicScoring = { initial: 100, minimum: 10, decay: 7, function: 'linear' };
      // k=1: ⌈100 − 90/7⌉ = ⌈87.14⌉ = 88 ; k=3: ⌈100 − 270/7⌉ = ⌈61.43⌉ = 62 ; k=6: ⌈100 − 540/7⌉ = ⌈22.86⌉ = 23
      expect(values(linear, [2, 4, 7, 8, 9])).to.deep.equal([88, 62, 23, 10, 10]);
      const parabolic: DynamicScoring = { ...linear, function: 'parabolic' };
      // k=3: ⌈100 − 810/49⌉ = ⌈83.47⌉ = 84 ; k=6: ⌈100 − 3240/49⌉ = ⌈33.88⌉ = 34 ; k=7: 10
      expect(values(parabolic, [4, 7, 8, 30])).to.deep.equal([84, 34, 10, 10]);
    });

    it('reads decay as a number of solves for linear too (not CTFd’s points per solve)', () => {
      const curve: DynamicScoring = { initial: 1000, minimum: 100, decay: 3, function: 'linear' };
      // 900 points over 3 solves after the first: 1000, 700, 400, 100 (CTFd linear would give 1000, 997, 994, 991)
      expect(values(curve, [1, 2, 3, 4, 5])).to.deep.equal([1000, 700, 400, 100, 100]);
    });

    it('values objectives by model; zero-point objectives stay unscored', () => {
      const dynamic: PlannedScoring = {
        model: 'dynamic',
        dynamic: { initial: 500, minimum: 100, decay: 20, function: 'parabolic' },
        firstBloodBonusPercent: 0,
      };
      expect(objectiveValue(dynamic, 200, 5)).to.equal(484);
      expect(objectiveValue(dynamic, 0, 5)).to.equal(0);
      expect(objectiveValue({ ...dynamic, model: 'static' }, 200, 5)).to.equal(200);
    });
  });

  it('first-blood bonus is a floored percentage of the value', () => {
    expect(firstBloodBonus(500, 10)).to.equal(50);
    expect(firstBloodBonus(499, 10)).to.equal(49);
    expect(firstBloodBonus(500, 0)).to.equal(0);
    expect(firstBloodBonus(0, 10)).to.equal(0);
  });

  it('ranks by points, then earlier last scoring time, then team id; never-scored last among equals', () => {
    const rows = [
      { teamId: 'c', points: 100, lastScoringAt: 50 },
      { teamId: 'b', points: 100, lastScoringAt: 50 },
      { teamId: 'a', points: 100, lastScoringAt: 60 },
      { teamId: 'd', points: 300, lastScoringAt: 90 },
      { teamId: 'e', points: 0, lastScoringAt: null },
      { teamId: 'f', points: 0, lastScoringAt: 10 },
    ];
    expect([...rows].sort(compareStandings).map((r) => r.teamId)).to.deep.equal([
      'd',
      'b',
      'c',
      'a',
      'f',
      'e',
    ]);
  });

  it('orders tied teams as people count them: team-2 before team-10, and totally', () => {
    const ids = ['team-10', 'team-2', 'team-1', 'team-11', 'team-3', 'blue', 'team-02', 'team-1b', 'team-1a'];
    const tied = ids.map((teamId) => ({ teamId, points: 0, lastScoringAt: null }));
    expect(tied.sort(compareStandings).map((r) => r.teamId)).to.deep.equal([
      'blue',
      'team-1',
      'team-1a',
      'team-1b',
      'team-02',
      'team-2',
      'team-3',
      'team-10',
      'team-11',
    ]);
    for (const a of ids)
      for (const b of ids) {
        expect(Math.sign(compareTeamIds(a, b)), `${a} ${b}`).to.equal(-Math.sign(compareTeamIds(b, a)));
        if (a !== b) expect(compareTeamIds(a, b), `${a} ${b}`).to.not.equal(0);
      }
  });

  it('schedules the freeze before the planned end', () => {
    const scoring: PlannedScoring = {
      model: 'static',
      firstBloodBonusPercent: 0,
      freezeBeforeEndMs: 600_000,
    };
    expect(freezeDueAt(scoring, 10_000_000)).to.equal(9_400_000);
    expect(freezeDueAt(scoring, undefined)).to.equal(undefined);
    expect(freezeDueAt({ model: 'static', firstBloodBonusPercent: 0 }, 10_000_000)).to.equal(undefined);
  });
});
