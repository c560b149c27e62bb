import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { SCREENSHOTS } from './browser.ts';

export const FIREFOX = '/usr/bin/firefox-esr';

/**
 * Debian's Firefox ESR driven over WebDriver BiDi, the protocol Firefox speaks natively.
 * playwright-core drives stock Firefox only through a BiDi channel that needs commands this ESR
 * does not have yet (`emulation.setMediaFeaturesOverride`), so the few commands the test needs are
 * sent here directly: navigate, evaluate, keyboard input, screenshots.
 */
export class FirefoxPage {
  private nextId = 0;
  private readonly replies = new Map<number, (message: BidiReply) => void>();

  private constructor(
    private readonly process: ChildProcess,
    private readonly socket: WebSocket,
    private readonly profile: string,
    private context = '',
  ) {
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString('utf8')) as BidiReply;
      if (message.id === undefined) return;
      this.replies.get(message.id)?.(message);
      this.replies.delete(message.id);
    });
  }

  static async launch(): Promise<FirefoxPage> {
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
    const page = new FirefoxPage(child, socket, profile);
    await page.send('session.new', { capabilities: {} });
    const tree = (await page.send('browsingContext.getTree', {})) as { contexts: { context: string }[] };
    page.context = tree.contexts[0]!.context;
    await page.send('browsingContext.setViewport', {
      context: page.context,
      viewport: { width: 1280, height: 900 },
    });
    return page;
  }

  async goto(url: string): Promise<void> {
    await this.send('browsingContext.navigate', { context: this.context, url, wait: 'complete' });
  }

  /** Evaluate an expression in the page (awaiting a promise); its value must be JSON-like. */
  async evaluate(expression: string): Promise<unknown> {
    const result = (await this.send('script.evaluate', {
      expression,
      target: { context: this.context },
      awaitPromise: true,
    })) as { type: string; result?: { value?: unknown }; exceptionDetails?: { text: string } };
    if (result.type === 'exception') throw new Error(`in Firefox: ${result.exceptionDetails?.text ?? ''}`);
    return result.result?.value;
  }

  /** Wait until a boolean expression holds in the page. */
  async waitFor(expression: string, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.evaluate(expression)) !== true) {
      if (Date.now() > deadline) throw new Error(`Firefox: timed out waiting for ${expression}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Type text with the keyboard into whatever has the focus, then Enter. */
  async typeLine(text: string): Promise<void> {
    const actions: { type: string; value: string }[] = [];
    // one key per grapheme (a BiDi key value is one grapheme), then Enter (U+E007 in WebDriver)
    const keys = [...new Intl.Segmenter().segment(text)].map((s) => s.segment);
    for (const key of [...keys, '\uE007'])
      actions.push({ type: 'keyDown', value: key }, { type: 'keyUp', value: key });
    await this.send('input.performActions', {
      context: this.context,
      actions: [{ type: 'key', id: 'keyboard', actions }],
    });
  }

  async screenshot(name: string): Promise<void> {
    const { data } = (await this.send('browsingContext.captureScreenshot', { context: this.context })) as {
      data: string;
    };
    const dir = path.join(SCREENSHOTS, 'firefox');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}.png`), Buffer.from(data, 'base64'));
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

  private send(method: string, params: Record<string, unknown>): Promise<unknown> {
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

interface BidiReply {
  id?: number;
  type: 'success' | 'error' | 'event';
  result?: unknown;
  error?: string;
  message?: string;
}
