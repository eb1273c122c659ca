/**
 * A real headless Chromium for the tests of pages the project serves or writes (the daemon's
 * status page, the HTML report). The browser is the system one, Debian's `chromium` package
 * (scripts/test-tools.sh installs it as root before `npm test`), driven by puppeteer-core, which
 * never downloads a browser of its own. CHROMIUM=/path/to/chrome overrides the binary.
 *
 *   const chromium = findChromium();            // undefined: skip with CHROMIUM_MISSING
 *   const browser = await launchBrowser(chromium);
 *   const view = await browser.open(url, { width: 390 });
 *   assert.deepEqual(view.problems, []);       // console errors, page errors, failed requests
 *   assert.equal(await view.text('h1'), 'marathon-monkey');
 *   assert.ok(await view.scrollWidth() <= 390); // no sideways scroll on a phone
 *   await view.screenshot('status-page');      // test-results/status-page.png
 *   await browser.close();                     // in after(): the Chromium process is ended
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Where screenshots land (gitignored): <repo>/test-results. */
export const TEST_RESULTS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../test-results');

export const CHROMIUM_MISSING =
  'no Chromium found, so the page was not checked in a browser: install Debian\'s "chromium" package (apt-get install -y --no-install-recommends chromium; `npm test` does it when run as root) or set CHROMIUM=/path/to/chromium';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The browser binary to use: $CHROMIUM when set, else the first Debian/Ubuntu path that exists. */
export function findChromium(): string | undefined {
  const fromEnv = process.env.CHROMIUM;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((p) => existsSync(p));
}

export interface OpenOptions {
  /** CSS pixels; default 1280. */
  width?: number;
  /** Default 900. */
  height?: number;
  /** Device scale factor for sharper screenshots; default 1. */
  scale?: number;
  /** Emulate a touch phone (mobile viewport meta is honoured); default false. */
  mobile?: boolean;
}

/** One page, opened and loaded, with everything that went wrong while it loaded and since. */
export interface OpenedPage {
  readonly page: Page;
  /** HTTP status of the main document. */
  readonly status: number | undefined;
  /** Console messages of type error, uncaught page errors and failed requests, in order, as text. */
  readonly problems: string[];
  /** Every URL the page requested, the document first: shows that nothing external was fetched. */
  readonly requests: string[];
  /** textContent of the first element matching `selector`, trimmed; throws when none matches. */
  text(selector: string): Promise<string>;
  /** textContent of every element matching `selector`, trimmed, in document order. */
  texts(selector: string): Promise<string[]>;
  /** How many elements match `selector`. */
  count(selector: string): Promise<number>;
  /** The visible text of the whole page (body.innerText): what a reader sees, markup not interpreted. */
  visibleText(): Promise<string>;
  /** How wide the document is (scrollingElement.scrollWidth): more than the viewport = sideways scroll. */
  scrollWidth(): Promise<number>;
  /**
   * Evaluates a JavaScript expression in the page and returns its (JSON-serialisable) value. A
   * string, not a function: the tests compile without the DOM library.
   */
  evaluate<T>(expression: string): Promise<T>;
  /** Writes a PNG of the whole page (or only the viewport) to test-results/<name>.png and returns its path. */
  screenshot(name: string, options?: { fullPage?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export interface BrowserSession {
  readonly browser: Browser;
  open(url: string, options?: OpenOptions): Promise<OpenedPage>;
  /** Ends the Chromium process; safe to call twice. */
  close(): Promise<void>;
}

/** Starts a headless Chromium (no sandbox: tests run as root in containers). */
export async function launchBrowser(executablePath: string): Promise<BrowserSession> {
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check'],
  });
  let closed = false;
  return {
    browser,
    open: (url, options) => openPage(browser, url, options ?? {}),
    close: async () => {
      if (closed) return;
      closed = true;
      await browser.close();
    },
  };
}

async function openPage(browser: Browser, url: string, o: OpenOptions): Promise<OpenedPage> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err instanceof Error ? err.message : String(err)}`));
  page.on('request', (req) => requests.push(req.url()));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? 'unknown'})`));
  await page.setViewport({ width: o.width ?? 1280, height: o.height ?? 900, deviceScaleFactor: o.scale ?? 1, isMobile: o.mobile ?? false, hasTouch: o.mobile ?? false });
  const response = await page.goto(url, { waitUntil: 'load', timeout: 10_000 });
  const evaluate = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
  const sel = (selector: string): string => JSON.stringify(selector);
  return {
    page,
    status: response?.status(),
    problems,
    requests,
    text: async (selector) => {
      const found = await evaluate<string | null>(`document.querySelector(${sel(selector)})?.textContent?.trim() ?? null`);
      if (found === null) throw new Error(`no element matches ${selector} on ${url}`);
      return found;
    },
    texts: (selector) => evaluate<string[]>(`[...document.querySelectorAll(${sel(selector)})].map((e) => (e.textContent ?? '').trim())`),
    count: (selector) => evaluate<number>(`document.querySelectorAll(${sel(selector)}).length`),
    visibleText: () => evaluate<string>('document.body.innerText'),
    scrollWidth: () => evaluate<number>('(document.scrollingElement ?? document.documentElement).scrollWidth'),
    evaluate,
    screenshot: async (name, options) => {
      mkdirSync(TEST_RESULTS_DIR, { recursive: true });
      const path = join(TEST_RESULTS_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: options?.fullPage ?? true });
      return path;
    },
    close: () => page.close(),
  };
}
