import { expect } from 'chai';
import { io as ioClient } from 'socket.io-client';
import {
  inputFlood,
  lyingAcks,
  sleep,
  startAbusePlatform,
  type AbusePlatform,
  type AttackOutcome,
} from '../bench/abuse/abuse-kit.ts';

const MiB = 1024 * 1024;
/** The bars: health p99 during an attack, RSS over idle during it, RSS left after it. */
const HEALTH_P99_MS = 250;
const RSS_DURING_BUDGET = 64 * MiB;
const RSS_AFTER_BUDGET = 24 * MiB;
const ATTACK_SECONDS = 12;
const PER_PRINCIPAL = 3;
const PER_EXERCISE = 8;

/**
 * Trainees attacking the terminal gateway of a real server (a child process, so that its RSS is its
 * own) on the real engine: an input flood into a program that ignores stdin (H1), a client that
 * acknowledges output it never reads (M1), the scoring socket after sign-out, and the shells one
 * trainee may hold across re-joins. During an attack `/healthz` keeps answering and RSS stays within
 * budget; once the attacker is gone, memory is back near the idle baseline.
 */
describe('terminal gateway under abuse (Docker engine)', function () {
  this.timeout(300_000);
  let platform: AbusePlatform;
  let baseline: number;

  before(async () => {
    platform = await startAbusePlatform({
      subnetPool: '10.250.0.0/17',
      env: {
        CYROP_TERMINALS_PER_PRINCIPAL: String(PER_PRINCIPAL),
        CYROP_TERMINALS_PER_EXERCISE: String(PER_EXERCISE),
      },
    });
    // warm up (a terminal opened and closed once), then the idle baseline
    const c = await platform.connect(await platform.join('warm-up'));
    const id = (await c.openOk({ host: 'console', cols: 80, rows: 24 })).terminal.terminalId;
    await c.run(id, 'echo WARM$((1+1))', /WARM2/);
    await c.close(id);
    c.disconnect();
    await sleep(1000);
    baseline = await platform.settledRss();
  });

  after(async () => {
    if (platform as AbusePlatform | undefined) await platform.stop();
  });

  const expectWithinBudget = (name: string, outcome: AttackOutcome) => {
    const figures = JSON.stringify({ baselineMiB: baseline / MiB, ...outcome }, null, 1);
    expect(outcome.during.healthFailures, `${name}: /healthz failed ${figures}`).to.equal(0);
    expect(outcome.during.healthP99Ms, `${name}: /healthz p99 ${figures}`).to.be.at.most(HEALTH_P99_MS);
    expect(outcome.during.rssMaxBytes - baseline, `${name}: RSS during ${figures}`).to.be.at.most(
      RSS_DURING_BUDGET,
    );
    expect(outcome.rssAfterBytes - baseline, `${name}: RSS after ${figures}`).to.be.at.most(RSS_AFTER_BUDGET);
  };

  it('H1: an input flood into a program that ignores stdin is refused beyond a bounded queue', async () => {
    const outcome = await inputFlood.run(platform, ATTACK_SECONDS);
    expectWithinBudget('input flood', outcome);
    // the flood really was one (tens of MiB offered), and the trainee was told once that input is dropped
    expect(outcome.details.sentBytes).to.be.above(4 * MiB);
    expect(outcome.details.backlogNotices).to.equal(1);
  });

  it('M1: a client that acknowledges output it never reads is paused, then dropped', async () => {
    // The server drops a client whose backlog has not shrunk for 10 s (DEFAULT_CONNECTION_LIMITS) once
    // the kernel's buffers are full: on a loaded machine filling them takes seconds, so the attack
    // lasts long enough for both.
    const outcome = await lyingAcks.run(platform, ATTACK_SECONDS + 10);
    expectWithinBudget('lying acks', outcome);
    // the server closed the connection (the client saw the transport close once it read again)
    expect(outcome.details.dropped, JSON.stringify(outcome.details)).to.be.oneOf([
      'transport close',
      'transport error',
    ]);
  });

  it('closes the scoring socket of a trainee who signs out', async () => {
    const cookie = await platform.join('leaver');
    const origin = new URL(platform.url).origin;
    const socket = ioClient(new URL('/scoring', platform.url).toString(), {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      extraHeaders: { origin, cookie },
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('board:snapshot', () => resolve());
        socket.once('connect_error', reject);
      });
      const gone = new Promise<string>((resolve) => socket.once('disconnect', resolve));
      const res = await fetch(new URL('/api/auth/logout', platform.url), {
        method: 'POST',
        headers: { origin, cookie },
      });
      expect(res.status).to.be.within(200, 299);
      const reason = await Promise.race([gone, sleep(5000).then(() => 'still connected')]);
      expect(reason).to.equal('io server disconnect');
    } finally {
      socket.close();
    }
  });

  it('caps the shells of one trainee across re-joins (a new session is not a new quota)', async () => {
    const host = { host: 'console', cols: 80, rows: 24 };
    const first = await platform.connect(await platform.join('hoarder'));
    const ids: string[] = [];
    for (let i = 0; i < PER_PRINCIPAL; i++) ids.push((await first.openOk(host)).terminal.terminalId);
    const refused = await first.open(host);
    expect(refused.ok ? 'opened' : refused.error.code).to.equal('TOO_MANY');
    // the same trainee joins again (a fresh session, same team and name): still capped
    const again = await platform.connect(await platform.join('hoarder'));
    const stillRefused = await again.open(host);
    expect(stillRefused.ok ? 'opened' : stillRefused.error.code).to.equal('TOO_MANY');
    // closing one frees a place, whichever session asks
    expect((await first.close(ids[0]!)).ok).to.equal(true);
    const opened = await again.openOk(host);
    for (const id of ids.slice(1)) await first.close(id);
    await again.close(opened.terminal.terminalId);
    first.disconnect();
    again.disconnect();
  });

  it('caps the shells of one exercise, whoever holds them', async () => {
    const host = { host: 'console', cols: 80, rows: 24 };
    const trainees = await Promise.all(
      ['first', 'second', 'third'].map(async (name) => platform.connect(await platform.join(name))),
    );
    const held: { client: (typeof trainees)[number]; id: string }[] = [];
    let refusal = '';
    let refused: (typeof trainees)[number] | undefined;
    // three trainees open up to their own limit (9 in all); the exercise stops them at 8, counting
    // any shell an earlier test left in its grace period
    for (const client of trainees) {
      for (let i = 0; i < PER_PRINCIPAL; i++) {
        const reply = await client.open(host);
        if (reply.ok) held.push({ client, id: reply.terminal.terminalId });
        else if (!refused) {
          refused = client;
          refusal = `${reply.error.code}: ${reply.error.message}`;
        }
      }
    }
    expect(held.length).to.be.within(1, PER_EXERCISE);
    expect(refusal).to.equal(
      `TOO_MANY: an exercise has at most ${PER_EXERCISE} terminals at once: close one`,
    );
    // another trainee closing one gives its place to the one refused
    const freed = held.findIndex((h) => h.client !== refused);
    await held[freed]!.client.close(held[freed]!.id);
    held.splice(freed, 1);
    held.push({ client: refused!, id: (await refused!.openOk(host)).terminal.terminalId });
    for (const { client, id } of held) await client.close(id);
    for (const client of trainees) client.disconnect();
  });
});
