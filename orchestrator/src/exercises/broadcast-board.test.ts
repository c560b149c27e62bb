import { expect } from 'chai';
import { BroadcastBoard } from './broadcast-board.ts';

describe('BroadcastBoard', () => {
  it('keeps the last broadcasts per exercise and tells listeners of each new one', () => {
    let now = Date.parse('2026-11-22T10:00:00Z');
    const board = new BroadcastBoard(2, () => now);
    const heard: string[] = [];
    const unsubscribe = board.subscribe((b) => heard.push(`${b.exerciseId}:${b.message}`));
    board.send('ex1', 'one');
    now += 1000;
    board.send('ex1', 'two');
    board.send('ex2', 'other');
    board.send('ex1', 'three');
    unsubscribe();
    board.send('ex1', 'unheard');
    expect(heard).to.deep.equal(['ex1:one', 'ex1:two', 'ex2:other', 'ex1:three']);
    expect(board.of('ex1').map((b) => b.message)).to.deep.equal(['three', 'unheard']);
    expect(board.of('ex2')).to.deep.equal([
      { exerciseId: 'ex2', at: '2026-11-22T10:00:01.000Z', message: 'other' },
    ]);
    expect(board.of('none')).to.deep.equal([]);
  });

  it('keeps a message to one team from the other teams, not from the instructors', () => {
    const board = new BroadcastBoard(10, () => Date.parse('2026-12-04T10:00:00Z'));
    board.send('ex1', 'to all');
    board.send('ex1', 'team 1: look at /var/log', 'team-1');
    board.send('ex1', 'team 2: your web server is down', 'team-2');
    expect(board.of('ex1', 'team-1').map((b) => b.message)).to.deep.equal([
      'to all',
      'team 1: look at /var/log',
    ]);
    expect(board.of('ex1', 'team-2').map((b) => b.message)).to.deep.equal([
      'to all',
      'team 2: your web server is down',
    ]);
    expect(board.of('ex1')).to.have.length(3);
    expect(board.of('ex1')[1]).to.deep.include({ teamId: 'team-1' });
  });
});
