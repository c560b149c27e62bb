import { expect } from 'chai';
import { AckCounter } from './ack-counter.ts';
import { parseAsciicast, parseResize } from './asciicast.ts';
import { splitInput, utf8Length } from './split-input.ts';

describe('web console terminal helpers', () => {
  describe('splitInput', () => {
    it('keeps every piece within the byte limit and joins back to the input', () => {
      const text = 'ls -la; echo 日本語テキスト 🎌 done\n'.repeat(500);
      const pieces = splitInput(text, 1000);
      expect(pieces.length).to.be.greaterThan(1);
      expect(pieces.join('')).to.equal(text);
      for (const piece of pieces) expect(utf8Length(piece)).to.be.at.most(1000);
    });

    it('never splits a surrogate pair or a multi-byte character', () => {
      const text = '🎌'.repeat(10); // 4 bytes each
      const pieces = splitInput(text, 6);
      expect(pieces).to.have.length(10);
      for (const piece of pieces) expect(piece).to.equal('🎌');
    });

    it('leaves small input whole', () => {
      expect(splitInput('abc', 64)).to.deep.equal(['abc']);
    });
  });

  describe('AckCounter', () => {
    function fakeTimers() {
      const pending: { fn: () => void; id: number }[] = [];
      let next = 0;
      return {
        pending,
        timers: {
          set: (fn: () => void) => {
            next += 1;
            pending.push({ fn, id: next });
            return next as unknown as ReturnType<typeof setTimeout>;
          },
          clear: (id: ReturnType<typeof setTimeout>) => {
            const i = pending.findIndex((p) => p.id === (id as unknown as number));
            if (i >= 0) pending.splice(i, 1);
          },
        },
        fire() {
          for (const p of pending.splice(0)) p.fn();
        },
      };
    }

    it('acknowledges at once every `everyBytes` and the rest once output stops', () => {
      const sent: number[] = [];
      const clock = fakeTimers();
      const acks = new AckCounter(100, (b) => sent.push(b), 25, clock.timers);
      acks.written(60);
      expect(sent).to.deep.equal([]);
      acks.written(50);
      expect(sent).to.deep.equal([110]);
      acks.written(30);
      expect(sent).to.deep.equal([110]);
      clock.fire();
      expect(sent).to.deep.equal([110, 30]);
      clock.fire();
      expect(sent).to.deep.equal([110, 30]);
    });

    it('forgets pending bytes on reset', () => {
      const sent: number[] = [];
      const clock = fakeTimers();
      const acks = new AckCounter(100, (b) => sent.push(b), 25, clock.timers);
      acks.written(40);
      acks.reset();
      clock.fire();
      acks.flush();
      expect(sent).to.deep.equal([]);
    });
  });

  describe('parseAsciicast', () => {
    it('reads the header and the events, skipping a torn last line', () => {
      const cast = parseAsciicast(
        [
          '{"version":2,"width":100,"height":30,"timestamp":1763840000}',
          '[0.5,"o","hello "]',
          '[1.25,"i","x"]',
          '[2,"r","120x40"]',
          '[3.5,"o","world\\r\\n"]',
          '[4.0,"o","tor',
        ].join('\n'),
      );
      expect(cast.width).to.equal(100);
      expect(cast.height).to.equal(30);
      expect(cast.events.map((e) => e.code)).to.deep.equal(['o', 'i', 'r', 'o']);
      expect(cast.duration).to.equal(3.5);
      expect(parseResize('120x40')).to.deep.equal({ cols: 120, rows: 40 });
      expect(parseResize('bad')).to.equal(undefined);
    });

    it('refuses a file without an asciicast v2 header', () => {
      expect(() => parseAsciicast('[0.1,"o","x"]')).to.throw(/version 2|header/);
      expect(() => parseAsciicast('not json')).to.throw(/header/);
    });
  });
});
