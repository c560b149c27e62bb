import { FitAddon } from '@xterm/addon-fit';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import type { Attached, Reply, TerminalError } from '../../../contract/terminal-events.ts';
import { describeCode } from '../describe-error.ts';
import { h, replaceChildren } from '../dom.ts';
import { formatBytes, t, type MessageKey } from '../i18n/i18n.ts';
import { AckCounter } from './ack-counter.ts';
import { splitInput, utf8Length } from './split-input.ts';
import type { TerminalConnection, TerminalListener } from './terminal-connection.ts';
import { MAX_PASTE_BYTES, TERMINAL_LIMITS } from './terminal-limits.ts';
import {
  stepFontSize,
  storedFontSize,
  TERMINAL_FONT,
  TERMINAL_FONT_SIZES,
  TERMINAL_LINE_HEIGHT,
} from './terminal-style.ts';

export type TerminalPaneMode =
  | {
      kind: 'owner';
      host: string;
      /** sessionStorage key of this host's terminalId: a reload resumes the same shell. */
      storageKey: string;
      /** Staff opening a team's host. */
      exerciseId?: string;
      teamId?: string;
    }
  | { kind: 'viewer'; terminalId: string; host: string };

export interface TerminalPaneOptions {
  connection: TerminalConnection;
  mode: TerminalPaneMode;
  /** `data-testid` of the pane (default `terminal`). */
  testId?: string;
  onAttached?: (attached: Attached) => void;
}

type Overlay = 'none' | 'connecting' | 'reconnecting' | 'ended' | 'failed';

const OPEN_TIMEOUT_MS = 15_000;
const RESIZE_DEBOUNCE_MS = 120;

/** The server's reasons a shell ended (`exit` event), as people say them. */
const END_REASONS: Record<string, MessageKey> = {
  exit: 'terminal.reasonExit',
  closed: 'terminal.reasonClosed',
  'grace-expired': 'terminal.reasonGraceExpired',
  'session-expired': 'terminal.reasonSessionExpired',
  'server-shutdown': 'terminal.reasonServerShutdown',
  'exercise-ended': 'terminal.reasonExerciseEnded',
  'host-reset': 'terminal.reasonHostReset',
  'team-reset': 'terminal.reasonTeamReset',
};

/** "the shell exited (status 1)", "an instructor reset this host"… ; an unknown reason as sent. */
export function endReason(exit: { code: number | null; reason: string }): string {
  const key = END_REASONS[exit.reason];
  if (!key) return exit.code !== null ? `${exit.reason} (${exit.code})` : exit.reason;
  if (exit.reason === 'exit' && exit.code !== null && exit.code !== 0)
    return t('terminal.reasonExitCode', { code: exit.code });
  return t(key);
}

export function createXterm(readOnly: boolean, fontSize = storedFontSize()): Terminal {
  const term = new Terminal({
    allowProposedApi: true,
    cursorBlink: !readOnly,
    disableStdin: true,
    fontFamily: TERMINAL_FONT,
    fontSize,
    lineHeight: TERMINAL_LINE_HEIGHT,
    scrollback: 5000,
    convertEol: false,
    screenReaderMode: false,
    theme: {
      background: '#0f1419',
      foreground: '#e6e6e6',
      cursor: '#f0c674',
      selectionBackground: '#3a4a5c',
    },
  });
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';
  term.loadAddon(new WebLinksAddon());
  return term;
}

/**
 * One browser terminal on the `/terminal` protocol. Owner: opens (or resumes, by the terminalId
 * kept in sessionStorage) a shell on a host, sends keystrokes only while the socket is connected,
 * fits the xterm to its box (debounced, resize sent only on change) and acknowledges output from
 * xterm's write callback. Viewer: a read-only xterm following a live terminal (`watch`). Either
 * re-attaches after the socket reconnects and restores the screen from the server's snapshot.
 */
export class TerminalPane implements TerminalListener {
  readonly element: HTMLDivElement;
  private readonly screen: HTMLDivElement;
  private readonly overlay: HTMLDivElement;
  private readonly notice: HTMLDivElement;
  private readonly smaller: HTMLButtonElement;
  private readonly larger: HTMLButtonElement;
  /** Drag (or arrow keys) to make the terminal taller or shorter than the window gives it. */
  private readonly grip: HTMLDivElement;
  private readonly term: Terminal;
  private readonly fit = new FitAddon();
  private readonly acks: AckCounter;
  private readonly readOnly: boolean;
  private terminalId: string | undefined;
  private attached = false;
  private started = false;
  private disposed = false;
  private overlayState: Overlay = 'connecting';
  /** Why the shell ended, said in the current language (re-said after a language switch). */
  private endedReason: () => string = () => '';
  private failure = '';
  private generation = 0;
  private lastSent: { cols: number; rows: number } | undefined;
  private resizeTimer: ReturnType<typeof setTimeout> | undefined;
  private observer: ResizeObserver | undefined;
  private escapeAt = 0;
  private readonly unsubscribe: () => void;
  private readonly unsubscribeErrors: () => void;

  constructor(private readonly options: TerminalPaneOptions) {
    const { mode } = options;
    this.readOnly = mode.kind === 'viewer';
    this.screen = h('div', { class: 'terminal-screen' });
    this.overlay = h('div', { class: 'terminal-overlay', role: 'status' });
    this.notice = h('div', { class: 'terminal-notice', role: 'status', 'aria-live': 'polite' });
    this.smaller = h('button', {
      type: 'button',
      class: 'terminal-size',
      'data-testid': 'terminal-smaller',
      onclick: () => this.setFontSize(stepFontSize(this.term.options.fontSize ?? 14, -1)),
    });
    this.larger = h('button', {
      type: 'button',
      class: 'terminal-size',
      'data-testid': 'terminal-larger',
      onclick: () => this.setFontSize(stepFontSize(this.term.options.fontSize ?? 14, 1)),
    });
    this.grip = h('div', {
      class: 'terminal-grip',
      role: 'separator',
      tabindex: 0,
      'aria-orientation': 'horizontal',
      'data-testid': 'terminal-grip',
      onpointerdown: (event) => this.dragGrip(event as PointerEvent),
      onkeydown: (event) => this.keyGrip(event as KeyboardEvent),
    });
    this.element = h(
      'div',
      {
        class: `terminal-pane${this.readOnly ? ' read-only' : ''}`,
        // a labelled group ("Terminal on desk"): a plain div may not carry a name
        role: 'group',
        'data-testid': options.testId ?? 'terminal',
        'data-host': mode.host,
        'data-connected': 'false',
        'aria-label': t(this.readOnly ? 'terminal.viewerLabel' : 'terminal.label', { host: mode.host }),
      },
      this.screen,
      h('div', { class: 'terminal-toolbar' }, this.readOnly ? null : this.grip, this.smaller, this.larger),
      this.overlay,
      this.notice,
    );
    this.term = createXterm(this.readOnly);
    this.labelControls();
    this.term.loadAddon(this.fit);
    this.acks = new AckCounter(TERMINAL_LIMITS.ackEveryBytes, (bytes) => {
      const id = this.terminalId;
      if (id !== undefined && this.options.connection.connected)
        this.options.connection.socket.emit('ack', { terminalId: id, bytes });
    });
    this.term.onData((data) => this.input(data));
    this.term.onResize(({ cols, rows }) => {
      this.sendResize(cols, rows);
      this.labelGrip();
    });
    this.term.attachCustomKeyEventHandler((event) => this.keyEvent(event));
    this.unsubscribe = options.connection.onState((connected) => {
      if (connected) this.attach();
      else this.dropped();
    });
    this.unsubscribeErrors = options.connection.onError((message) => {
      if (this.started && !this.attached) this.fail(t('terminal.unavailable', { message }));
    });
    this.renderOverlay();
  }

  /** Opens the xterm in the page (call once the pane is visible, so it can measure) and attaches. */
  start(): void {
    if (this.started || this.disposed) return;
    this.started = true;
    this.term.open(this.screen);
    if (!this.readOnly) {
      this.fitNow();
      this.observer = new ResizeObserver(() => {
        if (this.resizeTimer !== undefined) clearTimeout(this.resizeTimer);
        this.resizeTimer = setTimeout(() => this.fitNow(), RESIZE_DEBOUNCE_MS);
      });
      this.observer.observe(this.screen);
    }
    if (this.options.connection.connected) this.attach();
  }

  /** Called when the pane is shown again (a tab switch): refit and focus. */
  shown(): void {
    if (!this.started) this.start();
    else if (!this.readOnly) this.fitNow();
    if (!this.readOnly) this.term.focus();
  }

  focus(): void {
    this.term.focus();
  }

  /** Re-labels after a language switch. */
  relabel(): void {
    this.element.setAttribute(
      'aria-label',
      t(this.readOnly ? 'terminal.viewerLabel' : 'terminal.label', { host: this.options.mode.host }),
    );
    this.labelControls();
    this.renderOverlay();
  }

  /** A supported font size (TERMINAL_FONT_SIZES): the rows and columns follow. */
  setFontSize(size: number): void {
    if (!TERMINAL_FONT_SIZES.includes(size)) return;
    this.term.options.fontSize = size;
    this.element.dataset.fontSize = String(size);
    this.labelControls();
    if (this.started && !this.readOnly) this.fitNow();
  }

  private labelControls(): void {
    const size = this.term.options.fontSize ?? 14;
    this.element.dataset.fontSize = String(size);
    this.smaller.textContent = 'A−';
    this.larger.textContent = 'A+';
    this.smaller.title = t('terminal.smaller', { size });
    this.larger.title = t('terminal.larger', { size });
    // the name starts with what the button shows (A− / A+), so a person using speech input can say it
    this.smaller.setAttribute('aria-label', `A− ${this.smaller.title}`);
    this.larger.setAttribute('aria-label', `A+ ${this.larger.title}`);
    this.smaller.disabled = size <= (TERMINAL_FONT_SIZES[0] ?? size);
    this.larger.disabled = size >= (TERMINAL_FONT_SIZES.at(-1) ?? size);
    this.grip.setAttribute('aria-label', t('terminal.resize'));
    this.grip.title = t('terminal.resize');
    this.labelGrip();
  }

  /** The resize handle is a focusable separator: its value is the terminal's height in rows. */
  private labelGrip(): void {
    const rows = this.term.rows;
    this.grip.setAttribute('aria-valuemin', String(TERMINAL_LIMITS.minRows));
    this.grip.setAttribute('aria-valuemax', String(TERMINAL_LIMITS.maxRows));
    this.grip.setAttribute('aria-valuenow', String(rows));
    this.grip.setAttribute('aria-valuetext', t('terminal.rows', { rows }));
  }

  private setScreenHeight(px: number): void {
    const max = Math.max(window.innerHeight * 2, 400);
    this.screen.style.height = `${Math.round(Math.min(max, Math.max(160, px)))}px`;
  }

  private dragGrip(event: PointerEvent): void {
    event.preventDefault();
    const startY = event.clientY;
    const startHeight = this.screen.getBoundingClientRect().height;
    this.grip.setPointerCapture(event.pointerId);
    const move = (e: PointerEvent) => this.setScreenHeight(startHeight + e.clientY - startY);
    const up = () => {
      this.grip.removeEventListener('pointermove', move);
      this.grip.removeEventListener('pointerup', up);
      this.grip.removeEventListener('pointercancel', up);
    };
    this.grip.addEventListener('pointermove', move);
    this.grip.addEventListener('pointerup', up);
    this.grip.addEventListener('pointercancel', up);
  }

  private keyGrip(event: KeyboardEvent): void {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
    event.preventDefault();
    const step = (this.term.options.fontSize ?? 14) * TERMINAL_LINE_HEIGHT * 2;
    const height = this.screen.getBoundingClientRect().height;
    this.setScreenHeight(height + (event.key === 'ArrowDown' ? step : -step));
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribe();
    this.unsubscribeErrors();
    this.observer?.disconnect();
    if (this.resizeTimer !== undefined) clearTimeout(this.resizeTimer);
    this.acks.flush();
    this.acks.reset();
    const id = this.terminalId;
    if (id !== undefined) {
      this.options.connection.unregister(id, this);
      // A viewer stops watching; an owner's shell lives on (a reload or a later visit resumes it).
      if (this.readOnly && this.options.connection.connected)
        this.options.connection.socket.emit('close', { terminalId: id });
    }
    this.term.dispose();
  }

  /** Owner: ends the shell itself (`close`), forgets it (no later resume), then disposes the pane. */
  endShell(): void {
    const id = this.terminalId;
    if (!this.readOnly && id !== undefined && this.options.connection.connected)
      this.options.connection.socket.emit('close', { terminalId: id });
    this.forget();
    this.dispose();
  }

  // ── the protocol ─────────────────────────────────────────────────────────────────────────────

  private attach(retryFresh = true): void {
    if (!this.started || this.disposed) return;
    const { mode, connection } = this.options;
    const generation = ++this.generation;
    this.attached = false;
    this.acks.reset();
    this.setOverlay(this.terminalId === undefined ? 'connecting' : 'reconnecting');
    const done = (error: Error | null, result: Reply<Attached> | undefined) => {
      if (generation !== this.generation || this.disposed) return;
      if (error || !result) {
        this.fail(t('terminal.noAnswer'));
        return;
      }
      if (!result.ok) {
        if (mode.kind === 'owner' && retryFresh && this.storedId() !== undefined) {
          // The shell we knew is gone (grace period over, host reset): start a new one.
          this.forget();
          this.attach(false);
          return;
        }
        this.fail(describeError(result.error));
        return;
      }
      this.attachedTo(result);
    };
    if (mode.kind === 'owner') {
      const stored = this.storedId();
      const { cols, rows } = this.size();
      connection.socket.timeout(OPEN_TIMEOUT_MS).emit(
        'open',
        {
          host: mode.host,
          cols,
          rows,
          ...(stored !== undefined ? { terminalId: stored } : {}),
          ...(mode.exerciseId !== undefined ? { exerciseId: mode.exerciseId } : {}),
          ...(mode.teamId !== undefined ? { teamId: mode.teamId } : {}),
        },
        done,
      );
    } else {
      connection.socket.timeout(OPEN_TIMEOUT_MS).emit('watch', { terminalId: mode.terminalId }, done);
    }
  }

  private attachedTo(result: Attached): void {
    const { mode, connection } = this.options;
    const info = result.terminal;
    if (this.terminalId !== undefined && this.terminalId !== info.terminalId)
      connection.unregister(this.terminalId, this);
    this.terminalId = info.terminalId;
    if (mode.kind === 'owner') {
      try {
        sessionStorage.setItem(mode.storageKey, info.terminalId);
      } catch {
        // without storage a reload starts a new shell
      }
    }
    this.term.reset();
    if (this.readOnly) this.term.resize(clampCols(info.cols), clampRows(info.rows));
    if (result.snapshot !== '') this.term.write(result.snapshot);
    this.attached = true;
    connection.register(info.terminalId, this);
    this.element.dataset['terminalId'] = info.terminalId;
    this.element.dataset['connected'] = 'true';
    this.term.options.disableStdin = this.readOnly;
    this.setOverlay('none');
    if (!this.readOnly) {
      // The server knows the size the shell had; tell it ours if it differs.
      this.lastSent = { cols: info.cols, rows: info.rows };
      this.fitNow();
      this.sendResize(this.term.cols, this.term.rows);
    }
    this.options.onAttached?.(result);
  }

  private dropped(): void {
    if (!this.started || this.disposed) return;
    this.generation++;
    this.attached = false;
    this.acks.reset();
    this.term.options.disableStdin = true;
    this.element.dataset['connected'] = 'false';
    if (this.overlayState !== 'ended') this.setOverlay('reconnecting');
  }

  private fail(message: string): void {
    this.attached = false;
    this.term.options.disableStdin = true;
    this.element.dataset['connected'] = 'false';
    this.failure = message;
    this.setOverlay('failed');
  }

  output(data: Uint8Array): void {
    const generation = this.generation;
    const bytes = data.byteLength;
    this.term.write(data, () => {
      if (generation === this.generation && this.attached) this.acks.written(bytes);
    });
  }

  snapshot(snapshot: string): void {
    this.term.reset();
    this.term.write(snapshot);
  }

  resized(cols: number, rows: number): void {
    if (this.readOnly) this.term.resize(clampCols(cols), clampRows(rows));
  }

  exit(reason: { code: number | null; reason: string }): void {
    const id = this.terminalId;
    if (id !== undefined) this.options.connection.unregister(id, this);
    this.acks.flush();
    this.attached = false;
    this.terminalId = undefined;
    if (this.options.mode.kind === 'owner') this.forget();
    this.term.options.disableStdin = true;
    this.element.dataset['connected'] = 'false';
    this.element.dataset['ended'] = reason.reason;
    delete this.element.dataset['terminalId'];
    this.endedReason = () => endReason(reason);
    this.setOverlay('ended');
  }

  error(error: TerminalError): void {
    this.say(describeError(error));
  }

  private input(data: string): void {
    // Never while disconnected: socket.io would buffer the keystrokes and replay them later.
    const id = this.terminalId;
    if (this.readOnly || !this.attached || id === undefined || !this.options.connection.connected) return;
    const bytes = utf8Length(data);
    if (bytes > MAX_PASTE_BYTES) {
      this.say(t('terminal.pasteTooLarge', { size: formatBytes(bytes), max: formatBytes(MAX_PASTE_BYTES) }));
      return;
    }
    const pieces =
      bytes > TERMINAL_LIMITS.maxInputBytes ? splitInput(data, TERMINAL_LIMITS.maxInputBytes) : [data];
    for (const piece of pieces) this.options.connection.socket.emit('input', { terminalId: id, data: piece });
    if (pieces.length > 1)
      this.say(t('terminal.pasteSplit', { size: formatBytes(bytes), parts: pieces.length }));
  }

  private sendResize(cols: number, rows: number): void {
    const id = this.terminalId;
    if (this.readOnly || !this.attached || id === undefined || !this.options.connection.connected) return;
    if (this.lastSent?.cols === cols && this.lastSent.rows === rows) return;
    this.lastSent = { cols, rows };
    this.options.connection.socket.emit('resize', { terminalId: id, cols, rows });
  }

  private fitNow(): void {
    if (this.disposed || !this.started || this.screen.clientWidth === 0 || this.screen.clientHeight === 0)
      return;
    const proposed = this.fit.proposeDimensions();
    if (!proposed || !Number.isFinite(proposed.cols) || !Number.isFinite(proposed.rows)) return;
    const cols = clampCols(proposed.cols);
    const rows = clampRows(proposed.rows);
    if (cols !== this.term.cols || rows !== this.term.rows) this.term.resize(cols, rows);
  }

  private size(): { cols: number; rows: number } {
    this.fitNow();
    return { cols: clampCols(this.term.cols), rows: clampRows(this.term.rows) };
  }

  /**
   * Copy (Ctrl+Shift+C), paste (Ctrl+Shift+V: the browser's paste event reaches xterm) and a way
   * out for keyboard users (Escape then Tab moves the focus on). IME events (keyCode 229,
   * isComposing) always go to xterm untouched.
   */
  private keyEvent(event: KeyboardEvent): boolean {
    // keyCode 229 is how browsers flag keys the IME is processing (deprecated, still the only signal).
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    if (event.isComposing || event.keyCode === 229) return true;
    if (event.type !== 'keydown') return true;
    const key = event.key.toLowerCase();
    if (event.ctrlKey && event.shiftKey && key === 'c') {
      const selection = this.term.getSelection();
      if (selection !== '') void navigator.clipboard.writeText(selection).catch(() => undefined);
      event.preventDefault();
      return false;
    }
    if (event.ctrlKey && event.shiftKey && key === 'v') return false;
    if (event.key === 'Escape') this.escapeAt = Date.now();
    else if (event.key === 'Tab' && Date.now() - this.escapeAt < 1500) {
      this.escapeAt = 0;
      return false;
    }
    return true;
  }

  // ── presentation ─────────────────────────────────────────────────────────────────────────────

  private storedId(): string | undefined {
    if (this.options.mode.kind !== 'owner') return undefined;
    try {
      return sessionStorage.getItem(this.options.mode.storageKey) ?? undefined;
    } catch {
      return undefined;
    }
  }

  private forget(): void {
    if (this.options.mode.kind !== 'owner') return;
    try {
      sessionStorage.removeItem(this.options.mode.storageKey);
    } catch {
      // nothing stored
    }
  }

  private setOverlay(state: Overlay): void {
    this.overlayState = state;
    this.renderOverlay();
  }

  private renderOverlay(): void {
    const state = this.overlayState;
    this.overlay.hidden = state === 'none';
    this.element.dataset['state'] = state;
    switch (state) {
      case 'none':
        replaceChildren(this.overlay);
        break;
      case 'connecting':
        replaceChildren(this.overlay, h('p', {}, t('terminal.connecting')));
        break;
      case 'reconnecting':
        replaceChildren(this.overlay, h('p', {}, t('terminal.reconnecting')));
        break;
      case 'ended':
        replaceChildren(
          this.overlay,
          h(
            'p',
            {},
            t(this.readOnly ? 'terminal.viewEnded' : 'terminal.ended', { reason: this.endedReason() }),
          ),
          !this.readOnly &&
            h(
              'button',
              { type: 'button', class: 'primary', onclick: () => this.attach(false) },
              t('terminal.newShell'),
            ),
        );
        break;
      case 'failed':
        replaceChildren(
          this.overlay,
          h('p', {}, this.failure),
          h('button', { type: 'button', onclick: () => this.attach(false) }, t('terminal.retry')),
        );
        break;
    }
  }

  private say(message: string): void {
    this.notice.textContent = message;
  }
}

function clampCols(cols: number): number {
  return Math.min(TERMINAL_LIMITS.maxCols, Math.max(TERMINAL_LIMITS.minCols, Math.floor(cols)));
}

function clampRows(rows: number): number {
  return Math.min(TERMINAL_LIMITS.maxRows, Math.max(TERMINAL_LIMITS.minRows, Math.floor(rows)));
}

function describeError(error: TerminalError): string {
  switch (error.code) {
    case 'PASTE_TOO_LARGE':
      return t('terminal.pasteTooLarge', {
        size: '?',
        max: formatBytes(TERMINAL_LIMITS.maxInputBytes),
      });
    case 'NOT_OWNER':
      return t('terminal.notOwner');
    default:
      return describeCode(error.code, error.message);
  }
}
