import type { Terminal } from '@xterm/xterm';
import { h, uid } from '../dom.ts';
import { t } from '../i18n/i18n.ts';
import { parseResize, type Asciicast } from './asciicast.ts';
import { createXterm } from './terminal-pane.ts';

const SPEEDS = [0.5, 1, 2, 4, 8] as const;
/** Longest pause replayed (seconds) when the recording names no idle limit. */
const DEFAULT_IDLE_LIMIT = 3;

/**
 * Plays an asciicast v2 recording in a read-only xterm with the events' timing: play/pause, speed,
 * and a position slider (seeking replays the output up to that point at once). Input events are
 * not shown (they are what the trainee typed, the output already echoes it).
 */
export class ReplayPlayer {
  readonly element: HTMLElement;
  private readonly term: Terminal;
  private readonly screen: HTMLDivElement;
  private readonly playButton: HTMLButtonElement;
  private readonly slider: HTMLInputElement;
  private readonly clock: HTMLOutputElement;
  private readonly positionLabel: HTMLLabelElement;
  private readonly speedLabel: HTMLLabelElement;
  private index = 0;
  /** Recording time (s) of the position. */
  private position = 0;
  private speed = 1;
  private playing = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly idleLimit: number;

  constructor(private readonly cast: Asciicast) {
    this.idleLimit = cast.idleTimeLimit ?? DEFAULT_IDLE_LIMIT;
    this.term = createXterm(true);
    this.screen = h('div', { class: 'terminal-screen replay-screen' });
    this.playButton = h(
      'button',
      { type: 'button', class: 'primary', onclick: () => this.toggle() },
      t('replay.play'),
    );
    const sliderId = uid('replay-pos');
    const speedId = uid('replay-speed');
    this.slider = h('input', {
      id: sliderId,
      type: 'range',
      min: 0,
      max: Math.max(1, Math.ceil(this.cast.duration * 10)),
      step: 1,
      value: 0,
      oninput: () => this.seek(Number(this.slider.value) / 10),
    });
    this.clock = h('output', { for: sliderId, class: 'replay-clock' }, this.clockText());
    const speed = h(
      'select',
      {
        id: speedId,
        onchange: (event) => this.setSpeed(Number((event.target as HTMLSelectElement).value)),
      },
      SPEEDS.map((s) => h('option', { value: s, selected: s === 1 }, `×${s}`)),
    );
    this.element = h(
      'div',
      { class: 'replay', 'data-testid': 'replay' },
      h(
        'div',
        { class: 'replay-controls' },
        this.playButton,
        (this.positionLabel = h('label', { for: sliderId }, t('replay.position'))),
        this.slider,
        this.clock,
        (this.speedLabel = h('label', { for: speedId }, t('replay.speed'))),
        speed,
      ),
      this.screen,
    );
  }

  /** Opens the xterm (the element must be in the page). */
  start(): void {
    this.term.open(this.screen);
    this.term.resize(this.cast.width, this.cast.height);
  }

  /** Re-labels after a language switch. */
  relabel(): void {
    this.playButton.textContent = t(this.playing ? 'replay.pause' : 'replay.play');
    this.positionLabel.textContent = t('replay.position');
    this.speedLabel.textContent = t('replay.speed');
  }

  dispose(): void {
    this.pause();
    this.term.dispose();
  }

  toggle(): void {
    if (this.playing) this.pause();
    else this.play();
  }

  play(): void {
    if (this.playing) return;
    if (this.index >= this.cast.events.length) this.seek(0);
    this.playing = true;
    this.playButton.textContent = t('replay.pause');
    this.schedule();
  }

  pause(): void {
    this.playing = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.playButton.textContent = t('replay.play');
  }

  private setSpeed(speed: number): void {
    this.speed = speed;
    if (this.playing) {
      // the next event is rescheduled at the new speed
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.schedule();
    }
  }

  /** Jumps to `time` (s): the screen is rebuilt from the output up to there. */
  seek(time: number): void {
    const wasPlaying = this.playing;
    this.pause();
    this.term.reset();
    this.term.resize(this.cast.width, this.cast.height);
    let output = '';
    this.index = 0;
    while (this.index < this.cast.events.length) {
      const event = this.cast.events[this.index];
      if (!event || event.time > time) break;
      if (event.code === 'o') output += event.data;
      else if (event.code === 'r') {
        this.term.write(output);
        output = '';
        const size = parseResize(event.data);
        if (size) this.term.resize(size.cols, size.rows);
      }
      this.index++;
    }
    this.term.write(output);
    this.position = time;
    this.showPosition();
    if (wasPlaying) this.play();
  }

  private schedule(): void {
    if (!this.playing) return;
    const event = this.cast.events[this.index];
    if (!event) {
      this.pause();
      this.position = this.cast.duration;
      this.showPosition();
      return;
    }
    // Long pauses are shortened to the idle limit.
    const gap = Math.min(Math.max(0, event.time - this.position), this.idleLimit);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.position = event.time;
        // Write every event due now in one go.
        let output = '';
        while (this.index < this.cast.events.length) {
          const next = this.cast.events[this.index];
          if (!next || next.time > this.position) break;
          if (next.code === 'o') output += next.data;
          else if (next.code === 'r') {
            this.term.write(output);
            output = '';
            const size = parseResize(next.data);
            if (size) this.term.resize(size.cols, size.rows);
          }
          this.index++;
        }
        if (output !== '') this.term.write(output);
        this.showPosition();
        this.schedule();
      },
      (gap * 1000) / this.speed,
    );
  }

  private showPosition(): void {
    this.slider.value = String(Math.round(this.position * 10));
    this.clock.textContent = this.clockText();
  }

  private clockText(): string {
    return `${formatClock(this.position)} / ${formatClock(this.cast.duration)}`;
  }
}

function formatClock(seconds: number): string {
  const s = Math.floor(seconds);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}
