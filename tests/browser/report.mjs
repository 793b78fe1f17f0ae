// Browser tests of `credsite report`: write the private and the public report of the example
// site (and of a generated 1,000-award site) and open them from the file system in Debian's
// Chromium with Playwright (playwright-core, no downloaded browser).
//
//   node tests/browser/report.mjs        (from the repo root; .ci/browser.sh installs and runs it)
//
// Checks: every chart is drawn by the bundled renderer, with no script error and no
// Content-Security-Policy violation; not one request leaves the file (no network, no font);
// axe-core finds nothing, with scripts and without, on screen and in print; no sideways scrolling
// at 360px and 320px; without scripts the tables still show; the print view makes a PDF. Saves
// screenshots and PDFs into test-artifacts/ (report-*) for a person to look at.
// Environment: CHROMIUM (default /usr/bin/chromium), PYTHON (default python), ARTIFACTS.
// Prints one line per test and closes with "N passed, M failed".

import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const ARTIFACTS = resolve(process.env.ARTIFACTS || join(REPO, 'test-artifacts'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PYTHON = process.env.PYTHON || 'python';
const AXE = join(HERE, 'node_modules', 'axe-core', 'axe.min.js');

const tests = [];
function test(name, fn) { tests.push({ name, fn }); }
function assert(condition, message) { if (!condition) throw new Error(message); }
const shot = (name) => join(ARTIFACTS, name);

let browser;
const reports = {};

function writeReports(work) {
  const example = join(work, 'example');
  mkdirSync(example, { recursive: true });
  for (const name of ['site.yaml', 'content', 'credsite.lock']) {
    cpSync(join(REPO, name), join(example, name), { recursive: true });
  }
  const run = (cwd, args) => execFileSync(PYTHON, ['-m', 'credsite', 'report', ...args], {
    cwd, stdio: ['ignore', 'ignore', 'inherit'],
  });
  run(example, ['-o', join(work, 'private.html')]);
  run(example, ['--public', '-o', join(work, 'public.html')]);
  // A bigger site: 1,000 awards in 12 cohort files over 14 months, and a pathway cohort of 100
  // learners in three pathways: three funnel charts (bench/report_bench.py).
  const big = join(work, 'big');
  execFileSync(PYTHON, [join(REPO, 'bench', 'report_bench.py'), '-n', '1000', '--site', big], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  run(big, ['-o', join(work, 'big.html')]);
  // The private report with its scripts taken out: what a browser without scripts shows, for axe.
  const html = readFileSync(join(work, 'private.html'), 'utf8');
  writeFileSync(join(work, 'noscript.html'), html.replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, ''));
  for (const name of ['private', 'public', 'big', 'noscript']) reports[name] = pathToFileURL(join(work, `${name}.html`)).href;
}

async function open(report, options = {}) {
  const context = await browser.newContext({
    viewport: options.viewport || { width: 1280, height: 900 },
    javaScriptEnabled: options.javaScript !== false,
    reducedMotion: 'reduce',
  });
  const page = await context.newPage();
  page.errors = [];
  page.requests = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') page.errors.push(m.text()); });
  page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) page.requests.push(r.url()); });
  await context.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
  await page.goto(reports[report]);
  if (options.javaScript !== false && report !== 'noscript') {
    await page.waitForFunction(() => [...document.querySelectorAll('.chart')].every((c) => c.dataset.drawn), null, { timeout: 20000 });
  }
  return page;
}

async function close(page) { await page.context().close(); }

const AXE_SOURCE = readFileSync(AXE, 'utf8');

async function axe(page, label) {
  // Evaluated through the DevTools protocol: the report's Content-Security-Policy would (rightly)
  // refuse a script tag that it does not list.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')}`);
  });
  assert(result.length === 0, `axe found ${result.length} violation(s) on ${label}:\n    ${result.join('\n    ')}`);
}

for (const report of ['private', 'public', 'big']) {
  test(`${report} report: every chart drawn, no script error, nothing fetched, axe-core clean`, async () => {
    // The page's own Content-Security-Policy allows no request: a CSP violation is a console error.
    const page = await open(report);
    const charts = await page.$$eval('.chart', (all) => all.map((c) => `${c.id}:${c.dataset.drawn}:${c.querySelectorAll('svg').length}`));
    // the example's public report hides most of its small counts, and draws no chart of those
    const least = { private: 5, public: 2, big: 6 }[report];
    assert(charts.length >= least, `${report}: at least ${least} charts, got ${charts.length}`);
    const bad = charts.filter((c) => !c.endsWith(':true:1'));
    assert(bad.length === 0, `${report}: charts not drawn: ${bad.join(', ')}`);
    assert(page.errors.length === 0, `${report}: console errors: ${page.errors.join(' | ')}`);
    assert(page.requests.length === 0, `${report}: requests left the file: ${page.requests.join(', ')}`);
    await axe(page, `${report} report`);
    await page.screenshot({ path: shot(`report-${report}-desktop.png`), fullPage: true });
    await close(page);
  });
}

test('phone: no sideways scrolling at 360px and 320px, axe-core clean', async () => {
  const wide = [];
  for (const report of ['private', 'public', 'big']) {
    for (const width of [360, 320]) {
      const page = await open(report, { viewport: { width, height: 740 } });
      const { scrollWidth, culprits } = await page.evaluate((viewport) => ({
        scrollWidth: document.documentElement.scrollWidth,
        culprits: [...document.querySelectorAll('body *')]
          .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > viewport + 0.5
            && !el.closest('.table-box[tabindex]'))
          .slice(0, 3)
          .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''} (right edge ${Math.round(el.getBoundingClientRect().right)}px)`),
      }), width);
      if (scrollWidth > width) wide.push(`${report} is ${scrollWidth}px wide at ${width}px: ${culprits.join(', ')}`);
      if (width === 360) {
        await axe(page, `${report} report at 360px`);
        await page.screenshot({ path: shot(`report-${report}-360.png`), fullPage: true });
      }
      await close(page);
    }
  }
  assert(wide.length === 0, `reports wider than the viewport:\n    ${wide.join('\n    ')}`);
});

test('without scripts the tables show and the empty chart boxes do not', async () => {
  const page = await open('private', { javaScript: false });
  const tables = await page.$$eval('table', (all) => all.filter((t) => t.getClientRects().length).length);
  assert(tables >= 10, `visible tables without scripts: ${tables}`);
  const charts = await page.$$eval('.chart', (all) => all.filter((c) => c.getClientRects().length).length);
  assert(charts === 0, `chart boxes visible without scripts: ${charts}`);
  await page.screenshot({ path: shot('report-private-noscript.png'), fullPage: true });
  await close(page);
  const stripped = await open('noscript');
  assert(await stripped.$eval('html', (h) => h.className) === 'no-js', 'the page without scripts keeps class no-js');
  await axe(stripped, 'private report without scripts');
  await close(stripped);
});

test('print: charts and tables print on A4, axe-core clean in print', async () => {
  const page = await open('private', { viewport: { width: 794, height: 1123 } });
  await page.emulateMedia({ media: 'print' });
  assert(!(await page.isVisible('nav.toc')), 'the section links are hidden in print');
  assert(await page.isVisible('.chart svg'), 'the charts print');
  await axe(page, 'private report in print');
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  writeFileSync(shot('report-private-A4.pdf'), pdf);
  const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) || []).length;
  assert(pages >= 2 && pages <= 12, `A4 page count: ${pages}`);
  await close(page);
});

async function main() {
  let passed = 0;
  let failed = 0;
  const work = mkdtempSync(join(tmpdir(), 'credsite-report-browser-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  try {
    writeReports(work);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    console.log(`report browser tests: ${CHROMIUM} ${browser.version()}`);
    for (const t of tests) {
      const started = Date.now();
      try {
        await t.fn();
        passed++;
        console.log(`ok      ${t.name} (${Date.now() - started} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL    ${t.name}\n    ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n    ')}`);
      }
    }
  } catch (e) {
    failed++;
    console.log(`FAIL    setup: ${e && e.stack || e}`);
  } finally {
    if (browser) await browser.close();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`report screenshots and PDF: ${ARTIFACTS}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

await main();
