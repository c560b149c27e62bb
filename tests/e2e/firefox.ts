import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { SCREENSHOTS } from './browser.ts';

export const FIREFOX = '/usr/bin/firefox-esr';

/** The channel the preload script reports Content-Security-Policy violations on. */
const CSP_CHANNEL = 'cyrop-csp';

/**
 * Debian's Firefox ESR driven over WebDriver BiDi, the protocol Firefox speaks natively.
 * playwright-core drives stock Firefox only through a BiDi channel that needs commands this ESR
 * does not have yet (`emulation.setMediaFeaturesOverride`), so the few commands the tests need are
 * sent here directly: user contexts (one cookie jar per person), navigate, evaluate, keyboard and
 * mouse input, file inputs, screenshots, and a preload script that reports every
 * `securitypolicyviolation` event of every page.
 */
export class FirefoxBrowser {
  private nextId = 0;
  private readonly replies = new Map<number, (message: BidiMessage) => void>();
  /** Every Content-Security-Policy violation any page reported ("url: directive blocked …"). */
  readonly cspViolations: string[] = [];

  private constructor(
    private readonly process: ChildProcess,
    private readonly socket: WebSocket,
    private readonly profile: string,
  ) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as BidiMessage;
      if (message.type === 'event') {
        if (message.method === 'script.message' && message.params?.channel === CSP_CHANNEL)
          this.cspViolations.push(JSON.stringify(message.params.data?.value ?? message.params.data));
        return;
      }
      if (message.id === undefined) return;
      this.replies.get(message.id)?.(message);
      this.replies.delete(message.id);
    });
  }

  static async launch(): Promise<FirefoxBrowser> {
    const profile = mkdtempSync(path.join(os.tmpdir(), 'cyrop-firefox-'));
    const child = spawn(
      FIREFOX,
      ['--headless', '--remote-debugging-port', '0', '--profile', profile, '-no-remote'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' },
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new Error(`Firefox did not offer WebDriver BiDi: ${seen}`)),
        60_000,
      );
      child.stderr.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /WebDriver BiDi listening on (ws:\/\/[^\s]+)/.exec(seen);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Firefox exited with ${String(code)}: ${seen}`));
      });
    });
    const socket = new WebSocket(`${url.replace(/\/$/, '')}/session`);
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const browser = new FirefoxBrowser(child, socket, profile);
    await browser.send('session.new', { capabilities: {} });
    await browser.send('session.subscribe', { events: ['script.message'] });
    // runs in every new document before the page's own scripts
    await browser.send('script.addPreloadScript', {
      functionDeclaration: `(report) => {
        document.addEventListener('securitypolicyviolation', (event) =>
          report(location.href + ': ' + event.effectiveDirective + ' blocked ' +
            (event.blockedURI || 'inline') + ' at ' + event.sourceFile + ':' + event.lineNumber));
      }`,
      arguments: [{ type: 'channel', value: { channel: CSP_CHANNEL } }],
    });
    return browser;
  }

  /**
   * A new tab in a new user context: its own cookies and storage, like another person's browser.
   */
  async newPage(): Promise<FirefoxPage> {
    const { userContext } = (await this.send('browser.createUserContext', {})) as { userContext: string };
    const { context } = (await this.send('browsingContext.create', { type: 'tab', userContext })) as {
      context: string;
    };
    await this.send('browsingContext.setViewport', { context, viewport: { width: 1280, height: 900 } });
    return new FirefoxPage(this, context);
  }

  async close(): Promise<void> {
    await this.send('session.end', {}).catch(() => undefined);
    this.socket.close();
    this.process.kill();
    await new Promise((resolve) => {
      if (this.process.exitCode !== null) resolve(undefined);
      else this.process.once('exit', resolve);
    });
    rmSync(this.profile, { recursive: true, force: true });
  }

  /** Send one BiDi command; an error reply rejects with the command's name and Firefox's message. */
  send(method: string, params: Record<string, unknown>): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (reply) => {
        if (reply.type === 'error')
          reject(new Error(`${method}: ${reply.error ?? ''} ${reply.message ?? ''}`));
        else resolve(reply.result);
      });
      this.socket.send(JSON.stringify({ id, method, params }));
    });
  }
}

/** One tab. Selectors are CSS selectors; `testid('x')` builds `[data-testid="x"]`. */
export class FirefoxPage {
  constructor(
    private readonly browser: FirefoxBrowser,
    readonly context: string,
  ) {}

  async goto(url: string): Promise<void> {
    await this.browser.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  async reload(): Promise<void> {
    await this.browser.send('browsingContext.reload', { context: this.context, wait: 'complete' });
  }

  /** Evaluate an expression in the page (awaiting a promise); its value must be JSON-like. */
  async evaluate(expression: string): Promise<unknown> {
    const result = (await this.browser.send('script.evaluate', {
      expression,
      target: { context: this.context },
      awaitPromise: true,
    })) as { type: string; result?: RemoteValue; exceptionDetails?: { text: string } };
    if (result.type === 'exception') throw new Error(`in Firefox: ${result.exceptionDetails?.text ?? ''}`);
    return result.result && plain(result.result);
  }

  /** Wait until a boolean expression holds in the page. */
  async waitFor(expression: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    // an exception (a page between two documents, an element not there yet) counts as not yet
    while (
      (await this.evaluate(expression).catch((error: unknown) => {
        last = error instanceof Error ? error.message : String(error);
        return false;
      })) !== true
    ) {
      if (Date.now() > deadline)
        throw new Error(
          `Firefox: timed out waiting for ${expression}${last ? ` (last error: ${last})` : ''}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Wait until an element matching `selector` is in the page. */
  async waitForSelector(selector: string, timeoutMs = 30_000): Promise<void> {
    await this.waitFor(`!!document.querySelector(${JSON.stringify(selector)})`, timeoutMs);
  }

  /** The text (innerText) of the first element matching `selector`; fails if there is none. */
  async text(selector: string): Promise<string> {
    await this.waitForSelector(selector);
    return (await this.evaluate(`document.querySelector(${JSON.stringify(selector)}).innerText`)) as string;
  }

  /**
   * Click an element as a person would: scrolled into view, the mouse moved to its centre, pressed
   * and released (`input.performActions`), so Firefox's own hit testing decides what is clicked.
   */
  async click(selector: string): Promise<void> {
    await this.waitForSelector(selector);
    const box = (await this.evaluate(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      el.scrollIntoView({ block: 'center', inline: 'center' });
      const r = el.getBoundingClientRect();
      return { x: Math.round(r.x + r.width / 2), y: Math.round(r.y + r.height / 2) };
    })()`)) as { x: number; y: number };
    await this.browser.send('input.performActions', {
      context: this.context,
      actions: [
        {
          type: 'pointer',
          id: 'mouse',
          parameters: { pointerType: 'mouse' },
          actions: [
            { type: 'pointerMove', x: box.x, y: box.y },
            { type: 'pointerDown', button: 0 },
            { type: 'pointerUp', button: 0 },
          ],
        },
      ],
    });
  }

  /** Replace the value of a field by typing into it: focus, select all (Ctrl+A), delete, type. */
  async fill(selector: string, text: string): Promise<void> {
    await this.waitForSelector(selector);
    await this.evaluate(`document.querySelector(${JSON.stringify(selector)}).focus()`);
    // WebDriver key values: Control U+E009, Backspace U+E003
    await this.keys([
      { type: 'keyDown', value: '\uE009' },
      { type: 'keyDown', value: 'a' },
      { type: 'keyUp', value: 'a' },
      { type: 'keyUp', value: '\uE009' },
      ...strokes(['\uE003', ...graphemes(text)]),
    ]);
  }

  /** Choose an option of a `<select>` by value, as the change a person's choice makes. */
  async select(selector: string, value: string): Promise<void> {
    await this.waitFor(`!!document.querySelector(${JSON.stringify(`${selector} option[value="${value}"]`)})`);
    await this.evaluate(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      el.value = ${JSON.stringify(value)};
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    })()`);
  }

  /** Set the files of an `<input type=file>` (`input.setFiles`): absolute paths on this machine. */
  async setFiles(selector: string, files: string[]): Promise<void> {
    await this.waitForSelector(selector);
    const result = (await this.browser.send('script.evaluate', {
      expression: `document.querySelector(${JSON.stringify(selector)})`,
      target: { context: this.context },
      awaitPromise: false,
      resultOwnership: 'root',
    })) as { result: { sharedId?: string } };
    const sharedId = result.result.sharedId;
    if (!sharedId) throw new Error(`setFiles: no element for ${selector}`);
    await this.browser.send('input.setFiles', { context: this.context, element: { sharedId }, files });
  }

  /** Type text with the keyboard into whatever has the focus, then Enter. */
  async typeLine(text: string): Promise<void> {
    // Enter is U+E007 in WebDriver
    await this.keys(strokes([...graphemes(text), '\uE007']));
  }

  /** Pick a language with the `lang-select` control and wait for `<html lang>` to follow. */
  async selectLanguage(lang: 'en' | 'ja'): Promise<void> {
    await this.select(testid('lang-select'), lang);
    await this.waitFor(`document.documentElement.lang === ${JSON.stringify(lang)}`);
  }

  /** Save a screenshot of the whole document as `tests/e2e/screenshots/firefox/<name>.png`. */
  async screenshot(name: string): Promise<string> {
    const { data } = (await this.browser.send('browsingContext.captureScreenshot', {
      context: this.context,
      origin: 'document',
    })) as { data: string };
    const file = path.join(SCREENSHOTS, 'firefox', `${name}.png`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.from(data, 'base64'));
    return file;
  }

  /** Print the page to PDF (`browsingContext.print`, A4 portrait, backgrounds off) and return it. */
  async print(): Promise<Buffer> {
    const { data } = (await this.browser.send('browsingContext.print', {
      context: this.context,
      page: { width: 21, height: 29.7 },
    })) as { data: string };
    return Buffer.from(data, 'base64');
  }

  private async keys(actions: { type: string; value: string }[]): Promise<void> {
    await this.browser.send('input.performActions', {
      context: this.context,
      actions: [{ type: 'key', id: 'keyboard', actions }],
    });
  }
}

/** `[data-testid="id"]`, with more attribute conditions if given: `testid('row', { 'data-id': 'x' })`. */
export function testid(id: string, attributes: Record<string, string> = {}): string {
  return `[data-testid="${id}"]${Object.entries(attributes)
    .map(([name, value]) => `[${name}="${value}"]`)
    .join('')}`;
}

/** Each key pressed and released. */
function strokes(keys: string[]): { type: string; value: string }[] {
  return keys.flatMap((value) => [
    { type: 'keyDown', value },
    { type: 'keyUp', value },
  ]);
}

/** A BiDi key value is one grapheme. */
function graphemes(text: string): string[] {
  return [...new Intl.Segmenter().segment(text)].map((s) => s.segment);
}

interface RemoteValue {
  type: string;
  value?: unknown;
}

/** A BiDi remote value as plain JSON-like data (objects, arrays and primitives). */
function plain(remote: RemoteValue): unknown {
  switch (remote.type) {
    case 'array':
      return (remote.value as RemoteValue[]).map(plain);
    case 'object':
      return Object.fromEntries(
        (remote.value as [string | RemoteValue, RemoteValue][]).map(([k, v]) => [
          typeof k === 'string' ? k : String(plain(k)),
          plain(v),
        ]),
      );
    case 'undefined':
      return undefined;
    case 'null':
      return null;
    default:
      return remote.value;
  }
}

interface BidiMessage {
  id?: number;
  type: 'success' | 'error' | 'event';
  method?: string;
  params?: { channel?: string; data?: { value?: unknown } };
  result?: unknown;
  error?: string;
  message?: string;
}
