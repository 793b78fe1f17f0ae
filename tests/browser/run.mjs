// Browser tests of credsite's pages: build the example site, serve it on 127.0.0.1, and drive
// Debian's Chromium with Playwright (playwright-core, no downloaded browser).
//
//   node tests/browser/run.mjs            (from the repo root; .ci/browser.sh installs and runs it)
//
// Environment: CHROMIUM (default /usr/bin/chromium), PYTHON (default python), ARTIFACTS
// (default test-artifacts/ at the repo root: screenshots and PDFs for a person to look at).
// Prints one line per test and closes with "N passed, M failed" (", K skipped" when some are).

import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '..', '..');
const ARTIFACTS = resolve(process.env.ARTIFACTS || join(REPO, 'test-artifacts'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const PYTHON = process.env.PYTHON || 'python';
const AXE = join(HERE, 'node_modules', 'axe-core', 'axe.min.js');
const VECTORS = join(REPO, 'tests', 'vectors', 'test-vectors');  // see tests/vectors/README.md
const VERIFY_TIMEOUT = 20000;

// -- a tiny runner ------------------------------------------------------------------------------

const tests = [];
function test(name, fn) { tests.push({ name, fn }); }
class Skip extends Error {}
function assert(condition, message) { if (!condition) throw new Error(message); }
function assertEqual(actual, expected, message) {
  if (actual !== expected) throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// -- the site -----------------------------------------------------------------------------------

/**
 * The example site (the repository's site.yaml, content and lockfile: the same tokens and signed
 * JSON at every build), built into `work`/`name` from `work`/src (`name`-src for another name);
 * `settings`: lines appended to its site.yaml, e.g. 'bake_in_browser: true'.
 */
function buildSite(work, { name = 'site', settings = '' } = {}) {
  const src = join(work, name === 'site' ? 'src' : `${name}-src`);
  mkdirSync(src, { recursive: true });
  for (const file of ['site.yaml', 'content', 'credsite.lock']) {
    cpSync(join(REPO, file), join(src, file), { recursive: true });
  }
  if (settings) appendFileSync(join(src, 'site.yaml'), `\n${settings}\n`);
  const out = join(work, name);
  execFileSync(PYTHON, ['-m', 'credsite', 'build', '-o', out, '-q'], {
    cwd: src, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return out;
}

/**
 * A small site in Arabic (a right-to-left language), built into `work` the way buildSite builds
 * the example: one issuer, one achievement, one award, the demo key.
 */
function buildArabicSite(work) {
  const src = join(work, 'ar-src');
  const files = {
    'site.yaml': 'title: شهادات أكاديمية المرفأ\nurl: https://ar.example.org/badges/\ndemo_key: true\nlanguage: ar\n',
    'content/issuers/harbour.yaml': 'name: أكاديمية المرفأ للتعلم المفتوح\nurl: https://harbour.example.org\n' +
      'description: مؤسسة تعليمية تمنح شهادات رقمية موقعة لمن يتمون برامجها في التعاون الدولي والتعليم المفتوح.\n',
    'content/achievements/mentor.yaml': 'name: مرشد الأقران في برامج التبادل الدولي\ntype: Badge\n' +
      'description: يمنح لمن أرشد المشاركين الجدد في برامج التبادل طوال فترة التبادل كاملة، والتقى بهم بانتظام.\n' +
      'criteria: |\n  - أرشد **ثلاثة مشاركين على الأقل** طوال فترة التبادل.\n  - التقى بكل منهم كل أسبوعين.\n',
    'content/awards/mentors.yaml': '- achievement: mentor\n  name: ليلى عبد الرحمن الهاشمي\n  email: layla@example.org\n' +
      '  issued: 2026-05-04\n  role: مرشدة أقران لفوج ربيع 2026\n  narrative: أرشدت ليلى خمسة مشاركين من ثلاث جامعات شريكة.\n',
  };
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    writeFileSync(join(src, name), text);
  }
  const out = join(work, 'ar-site');
  execFileSync(PYTHON, ['-m', 'credsite', 'build', '-o', out, '-q'], {
    cwd: src, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return out;
}

/** token -> state (active | revoked | suspended | expired), from each page's data-status. */
function credentialStates(site) {
  const states = {};
  for (const name of readdirSync(join(site, 'credentials'))) {
    if (!name.endsWith('.html')) continue;
    const html = readFileSync(join(site, 'credentials', name), 'utf8');
    const match = html.match(/data-status="([a-z-]+)"/);
    if (match) states[name.slice(0, -5)] = match[1];
  }
  return states;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.json': 'application/json', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.css': 'text/css', '.js': 'text/javascript', '.txt': 'text/plain',
};

/** Serve folders under URL prefixes (like GitHub Pages project sites), 404.html for misses. */
function serve(roots) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const prefix = Object.keys(roots).find((p) => url.pathname.startsWith(p));
    if (!prefix) { res.writeHead(404).end('no such site'); return; }
    const root = roots[prefix];
    let rel = decodeURIComponent(url.pathname.slice(prefix.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = normalize(join(root, rel));
    const send = (status, path) => {
      res.writeHead(status, {
        'Content-Type': TYPES[extname(path)] || 'application/octet-stream',
        'Access-Control-Allow-Origin': '*',
        'Cache-Control': 'max-age=600',
      });
      res.end(readFileSync(path));
    };
    if (file.startsWith(root + sep) && existsSync(file) && !file.endsWith(sep)) {
      try { send(200, file); return; } catch { /* a folder: fall through */ }
    }
    send(404, join(root, '404.html'));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

// -- helpers ------------------------------------------------------------------------------------

let browser;
let base;
let states;
let outside = [];

async function newPage(options = {}) {
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScript !== false,
    viewport: options.viewport || { width: 1280, height: 900 },
    deviceScaleFactor: options.scale || 1,
    reducedMotion: 'reduce',
  });
  if (options.clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  // No request may leave this machine: the page verifies with the site's own files only.
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (options.block && options.block.test(url)) return route.abort();
    if (url.startsWith(base) || url.startsWith('data:')) return route.continue();
    if (options.publicSite && url.startsWith(siteUrl)) {
      const file = join(sitePath, decodeURIComponent(new URL(url).pathname.slice(new URL(siteUrl).pathname.length)));
      if (existsSync(file)) {
        return route.fulfill({ status: 200, body: readFileSync(file), contentType: TYPES[extname(file)] || 'application/octet-stream' });
      }
      return route.fulfill({ status: 404, body: readFileSync(join(sitePath, '404.html')), contentType: TYPES['.html'] });
    }
    outside.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  if (options.init) await page.addInitScript(options.init);
  return page;
}

async function close(page) { await page.context().close(); }

// A QR code image shown at least 2 CSS pixels a module (of 45 in a code of a site's URL, with its
// quiet zone), loaded, and never smoothed: image-rendering pixelated.
async function assertSharpQr(image, where) {
  const shown = await image.evaluate((e) => ({
    rendering: getComputedStyle(e).imageRendering, width: e.getBoundingClientRect().width,
    loaded: e.complete && e.naturalWidth > 0,
  }));
  assert(shown.loaded, `${where}: the QR code image loads`);
  assertEqual(shown.rendering, 'pixelated', `${where}: the QR code's image-rendering`);
  assert(shown.width >= 90, `${where}: the QR code is ${shown.width}px wide`);
}

async function verification(page) {
  await page.waitForFunction(
    () => document.querySelector('[data-verification]')?.getAttribute('data-verification') !== 'pending',
    null, { timeout: VERIFY_TIMEOUT });
  return page.getAttribute('[data-verification]', 'data-verification');
}

/** Each endorsement block's outcome ([data-endorsement-check]) once the page has checked them all. */
async function endorsementChecks(page) {
  await page.waitForFunction(() => window.credsiteEndorsements, null, { timeout: VERIFY_TIMEOUT });
  return page.evaluate(async () => {
    await window.credsiteEndorsements;
    return [...document.querySelectorAll('[data-endorsement]')].map((b) => ({
      state: b.getAttribute('data-endorsement-check'),
      claimed: b.getAttribute('data-endorsement-state'),
      text: b.querySelector('[data-endorsement-result]').textContent,
    }));
  });
}

async function checksText(page) {
  return page.$$eval('.verification-checks li', (items) => items.map((li) => `${li.className}: ${li.textContent}`));
}

async function axe(page, label) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 4).join(', ')}`);
  });
  assert(result.length === 0, `axe found ${result.length} violation(s) on ${label}:\n    ${result.join('\n    ')}`);
}

function tokenWith(state) {
  const token = Object.keys(states).sort().find((t) => states[t] === state);
  if (!token) throw new Skip(`the example site has no ${state} credential`);
  return token;
}

function shot(name) { return join(ARTIFACTS, name); }

/** Roughly how much a credential's certificate prints: its narrative, role and fields. */
function printedLength(token) {
  const doc = JSON.parse(readFileSync(join(sitePath, 'credentials', `${token}.json`), 'utf8'));
  const html = readFileSync(join(sitePath, 'credentials', `${token}.html`), 'utf8');
  const fields = (html.match(/<dl class="cert-fields">[\s\S]*?<\/dl>/) || [''])[0];
  return (doc.credentialSubject.narrative || '').length + (doc.credentialSubject.role || '').length + fields.length / 4;
}

/** An init script that makes this Chromium behave like a browser without Ed25519 in WebCrypto. */
function NO_ED25519() {
  const original = crypto.subtle.importKey.bind(crypto.subtle);
  crypto.subtle.importKey = (format, key, algorithm, ...rest) => {
    const name = typeof algorithm === 'string' ? algorithm : algorithm && algorithm.name;
    if (name === 'Ed25519') return Promise.reject(new DOMException('Unrecognized name.', 'NotSupportedError'));
    return original(format, key, algorithm, ...rest);
  };
}

// -- tests --------------------------------------------------------------------------------------

test('a valid credential page verifies (signature, DID document, status list, dates)', async () => {
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  const status = await verification(page);
  const checks = await checksText(page);
  assertEqual(status, 'verified', `verification result (checks: ${checks.join(' | ')})`);
  assert(checks.length >= 5 && checks.every((c) => c.startsWith('check-ok')), `every check passes: ${checks.join(' | ')}`);
  assert(checks.some((c) => /signature matches/.test(c)), 'the signature check is listed');
  assert(checks.some((c) => /not revoked/.test(c)), 'the status list check is listed');
  const note = await page.textContent('.verification-note');
  assert(/copy this page was opened from/.test(note || ''), `the page says it checked a copy, not the issuer's own address: ${note}`);
  assertEqual(page.errors.join('\n'), '', 'no script errors');
  await close(page);
});

test('served from the issuer\'s own address, the page verifies its own files, with no note', async () => {
  // The site's real https base URL is answered from the built folder, as GitHub Pages would.
  const token = tokenWith('active');
  const page = await newPage({ publicSite: true });
  await page.goto(`${siteUrl}credentials/${token}.html`);
  const status = await verification(page);
  assertEqual(status, 'verified', `verification result (${(await checksText(page)).join(' | ')})`);
  assertEqual(await page.$('.verification-note'), null, 'no "checked a copy" note');
  await close(page);
});

test('a revoked credential page says revoked', async () => {
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${tokenWith('revoked')}.html`);
  assertEqual(await verification(page), 'revoked', 'verification result');
  assert(/revoked/i.test(await page.textContent('.notice')), 'the revocation notice is shown');
  await close(page);
});

test('an expired credential page says expired', async () => {
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${tokenWith('expired')}.html`);
  assertEqual(await verification(page), 'expired', 'verification result');
  await close(page);
});

/** The example's private credential and the key of its full link (credsite roster gives it). */
function privateLink() {
  const csv = execFileSync(PYTHON, ['-m', 'credsite', 'roster', '--export', '-'], {
    cwd: join(dirname(sitePath), 'src'), stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
  const match = csv.match(/credentials\/([a-z2-7]+)\.html#([A-Za-z0-9_-]+)/);
  if (!match) throw new Skip('the example site has no private credential');
  return { token: match[1], key: match[2] };
}

test('a private credential opens with the key in its link and verifies; without it, it cannot open', async () => {
  const { token, key } = privateLink();
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${token}.html#${key}`);
  await page.waitForSelector('[data-verification]', { timeout: VERIFY_TIMEOUT });  // once opened
  const status = await verification(page);
  const checks = await checksText(page);
  assertEqual(status, 'verified', `verification result (checks: ${checks.join(' | ')})`);
  assert(checks.some((c) => /signature matches/.test(c)), 'the signature check is listed');
  assertEqual(page.errors.join('\n'), '', 'no script errors');
  await page.screenshot({ path: shot('private-opened.png'), fullPage: true });
  for (const [label, hash] of [['no key', ''], ['a wrong key', '#' + 'A'.repeat(43)], ['a truncated key', '#' + key.slice(0, 20)]]) {
    await page.goto('about:blank');
    await page.goto(`${base}/site/credentials/${token}.html${hash}`);
    await page.waitForFunction(
      () => document.querySelector('[data-private]')?.getAttribute('data-private') === 'failed',
      null, { timeout: VERIFY_TIMEOUT });
    const text = await page.textContent('[data-private-status]');
    assert(/cannot be opened/.test(text || ''), `with ${label} the page says it cannot open: ${text}`);
    assert(!(await page.$('[data-verification]')), `with ${label} no credential is shown`);
  }
  await close(page);
});

test('every credential page ends in the state the build gave it', async () => {
  const expected = { active: 'verified', revoked: 'revoked', suspended: 'suspended', expired: 'expired' };
  const page = await newPage();
  for (const [token, state] of Object.entries(states)) {
    await page.goto(`${base}/site/credentials/${token}.html`);
    assertEqual(await verification(page), expected[state], `credentials/${token}.html (${state})`);
  }
  await close(page);
});

test('a credential JSON with one field changed fails (the signature no longer matches)', async () => {
  const page = await newPage();
  await page.goto(`${base}/tampered/credentials/${tampered.json}.html`);
  assertEqual(await verification(page), 'failed', 'verification result');
  const checks = await checksText(page);
  assert(checks.some((c) => c.startsWith('check-failed') && /signature does not match/.test(c)), `a failed signature check: ${checks.join(' | ')}`);
  // (in the page's language: a French recipient's page says "Non vérifié")
  assert(/Not verified|Non vérifié/.test(await page.textContent('.verification-headline')), 'the headline says not verified');
  await close(page);
});

test('a page whose shown name differs from the signed credential fails', async () => {
  const page = await newPage();
  await page.goto(`${base}/tampered/credentials/${tampered.html}.html`);
  assertEqual(await verification(page), 'failed', 'verification result');
  const checks = await checksText(page);
  assert(checks.some((c) => c.startsWith('check-failed') && /signed credential says/.test(c)), `a failed page check: ${checks.join(' | ')}`);
  await close(page);
});

/** Open a tampered page: it must end "failed" with a failed check matching `why`. */
async function expectFailed(path, why) {
  const page = await newPage();
  await page.goto(`${base}/${path}`);
  const status = await verification(page);
  const checks = await checksText(page);
  assertEqual(status, 'failed', `verification result of ${path} (checks: ${checks.join(' | ')})`);
  assert(checks.some((c) => c.startsWith('check-failed') && why.test(c)), `a failed check matching ${why}: ${checks.join(' | ')}`);
  // (in the page's language: a French recipient's page says "Non vérifié")
  assert(/Not verified|Non vérifié/.test(await page.textContent('.verification-headline')), 'the headline says not verified');
  assertEqual(page.errors.join('\n'), '', 'no script errors');
  await close(page);
  return checks;
}

test('a field value edited only in the page fails, naming the field', async () => {
  await expectFailed(`tampered/credentials/${tampered.field}.html`, /“[^”]+” field as “a value that was never signed” but the signed credential says “[^”]+”/);
});

test('an assessed result is shown and checked; its level edited only in the page fails, naming it', async () => {
  const token = tampered.result;
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${token}.html`);
  assertEqual(await verification(page), 'verified', 'the untouched page');
  const level = await page.textContent('#results-heading + dl [data-vc$=".achievedLevel.name"]');
  assert(level && level.trim(), 'the achieved level is shown');
  await close(page);
  await expectFailed(`tampered/credentials/${token}.html`, /“Peer review” result level as “Exemplary beyond words” but the signed credential says/);
});

test('a date edited only in the page fails', async () => {
  await expectFailed(`tampered/credentials/${tampered.date}.html`, /issue date as .* but the signed credential says/);
});

test('a word added to the narrative in the page fails', async () => {
  await expectFailed(`tampered/credentials/${tampered.narrative}.html`, /recipient’s contribution as .* but the signed credential says/);
});

test('a changed detached proof (what the page checks) fails', async () => {
  await expectFailed(`tampered/credentials/${tampered.proof}.html`, /signature does not match/);
});

test('a hosted proof set that names another key than the detached proof fails', async () => {
  await expectFailed(`tampered/credentials/${tampered.proofSet}.html`, /proof set names another key/);
});

test('a wallet link that carries another credential than the signed one fails', async () => {
  await expectFailed(`tampered/credentials/${tampered.wallet}.html`, /Learner Credential Wallet” link on this page does not carry the signed credential/);
});

test('a changed detached proof of the status list fails the credential', async () => {
  await expectFailed(`tampered-list/credentials/${tampered.listed}.html`, /status list .* could not be verified|status list: signature/);
});

test('a verified page says it compared what it shows, and the wallet link carries the hosted JSON', async () => {
  const withLink = Object.keys(states).sort().find((t) => states[t] === 'active' &&
    /data-vc-embedded="lcw"/.test(readFileSync(join(sitePath, 'credentials', `${t}.html`), 'utf8')));
  const token = withLink || tokenWith('active');
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${token}.html`);
  assertEqual(await verification(page), 'verified', 'verification result');
  const checks = await checksText(page);
  assert(checks.some((c) => /check-ok: .*values this page shows as the credential .* are the signed ones/.test(c)), `the page check is listed: ${checks.join(' | ')}`);
  assert(checks.some((c) => /eddsa-rdfc-2022 proof \(what wallets check\) names the same key/.test(c)), 'the proof set check is listed');
  // (a credential longer than the 8,000-character link, e.g. one that embeds endorsements, has none)
  const button = await page.$('[data-vc-embedded="lcw"]');
  const link = button && await button.getAttribute('href');
  if (link) {
    assert(link.startsWith('https://lcw.app/request?request='), `the verified page made the wallet link: ${link.slice(0, 60)}`);
    const hosted = JSON.parse(readFileSync(join(sitePath, 'credentials', `${token}.json`), 'utf8'));
    const carried = await page.evaluate((href) => window.credsiteVerify.lcwCredential(href), link);
    assertEqual(JSON.stringify(carried), JSON.stringify(hosted), 'the credential in the wallet link');
  }
  await close(page);
});

test('the wallet button, clicked before any check, makes the wallet link from the hosted JSON', async () => {
  const token = Object.keys(states).sort().find((t) => states[t] === 'active'
    && /data-vc-embedded="lcw"/.test(readFileSync(join(sitePath, 'credentials', `${t}.html`), 'utf8')));
  if (!token) throw new Skip('no credential page with a wallet button');
  const page = await newPage({ init: NO_ED25519 });
  await page.goto(`${base}/site/credentials/${token}.html`);
  assertEqual(await verification(page), 'unsupported', 'verification result');
  assertEqual(await page.getAttribute('[data-vc-embedded="lcw"]', 'href'), `../credentials/${token}.json`, 'the button links the JSON');
  const request = page.waitForRequest((r) => r.url().startsWith('https://lcw.app/'));
  await page.click('[data-vc-embedded="lcw"]');
  const url = (await request).url();
  outside = outside.filter((u) => u !== url); // the one request that leaves: aborted
  const message = JSON.parse(decodeURI(new URL(url).searchParams.get('request')));
  const hosted = JSON.parse(readFileSync(join(sitePath, 'credentials', `${token}.json`), 'utf8'));
  assertEqual(JSON.stringify(message.verifiablePresentation.verifiableCredential[0]), JSON.stringify(hosted), 'the credential in the wallet link');
  await close(page);
});

test('a browser without Ed25519 in WebCrypto gets "could not check here" and a way to check elsewhere', async () => {
  const page = await newPage({ init: NO_ED25519 });
  await page.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  assertEqual(await verification(page), 'unsupported', 'verification result');
  const text = await page.textContent('.verification');
  assert(/Could not check here/.test(text) && /credsite verify/.test(text), 'explains and names credsite verify');
  const href = await page.getAttribute('.verification-detail a', 'href');
  assert(href && href.endsWith('.json'), 'links the credential JSON');
  await close(page);
});

test('a browser that cannot run verify.js at all is told so too, not left "Checking…"', async () => {
  const page = await newPage({ block: /\/static\/verify\.js$/ });
  await page.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  assertEqual(await verification(page), 'unsupported', 'verification result');
  const href = await page.getAttribute('.verification-detail a', 'href');
  assert(href && href.endsWith('.json'), 'links the credential JSON');
  await close(page);
});

test('the verifier checks the W3C eddsa-jcs-2022 test vector', async () => {
  const signedPath = join(VECTORS, 'eddsa-jcs-2022', 'signedJCS.json');
  const signed = JSON.parse(readFileSync(signedPath, 'utf8'));
  const keyPair = JSON.parse(readFileSync(join(VECTORS, 'keyPair.json'), 'utf8'));
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  await verification(page);
  const result = await page.evaluate(async ({ signed, publicKey }) => {
    const v = window.credsiteVerify;
    const key = v.multikeyPublic(publicKey);
    const proof = Array.isArray(signed.proof) ? signed.proof[0] : signed.proof;
    const good = await v.verifyJcsProof(signed, proof, key);
    const changed = JSON.parse(JSON.stringify(signed));
    changed.credentialSubject.alumniOf = 'Someone Else';
    const bad = await v.verifyJcsProof(changed, proof, key);
    return { good: good.ok, bad: bad.ok, jcs: v.jcs({ b: [1, 'é', null, true], a: { '\u20ac': 1, '\r': 2, 1: 3 } }) };
  }, { signed, publicKey: keyPair.publicKeyMultibase });
  assertEqual(result.good, true, 'the vector verifies');
  assertEqual(result.bad, false, 'a changed vector does not');
  assertEqual(result.jcs, '{"a":{"\\r":2,"1":3,"€":1},"b":[1,"é",null,true]}', 'JCS orders keys by UTF-16 code units');
  await close(page);
});

test('Markdown: what a page shows of it and what verify.js reads from its source agree', async () => {
  // Rendered by credsite itself (credsite.website.render.markdown_html), compared the way the
  // page check compares a narrative or criteria with the signed Markdown.
  const samples = [
    'Plain **bold**, _em_, `code`, and a [link](https://x.example/a?b=1) to 50% of 1,000.5 items.',
    'A list:\n\n1. first\n2. second\n\n- dash\n* star\n+ plus\n\n2026. A year that starts a line',
    '# Heading\n\nSetext\n======\n\n> quoted\n\n---\n\nA [ref link][r] and <https://auto.example/x>.\n\n[r]: https://r.example/',
    'Code with tags: `<table>` and `a && b`, an email <someone@example.org>, snake_case_name, \\*not em\\*.',
    'Raw <span>inline</span> HTML, <b>bold</b>, a <!-- comment --> and <script>alert(1)</script> gone.',
    'Lines\nwrapped  \nwith a break, apostrophe\'s, "quotes", 3 < 4 > 2, &amp; an entity &copy;.',
    'Nguyễn Thị Lan, 王小明, अर्जुन मेहता: names in every script.',
    '```\nfenced <code> block\n```',
  ];
  const rendered = JSON.parse(execFileSync(PYTHON, ['-c',
    'import json, sys\nfrom credsite.website.render import markdown_html\n' +
    'print(json.dumps([markdown_html(t) for t in json.load(sys.stdin)]))'],
  { input: JSON.stringify(samples), encoding: 'utf8' }));
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  await verification(page);
  const results = await page.evaluate(({ samples, rendered }) => samples.map((source, i) => {
    const div = document.createElement('div');
    div.innerHTML = rendered[i];
    const v = window.credsiteVerify;
    return { source, shown: v.words(div.textContent), read: v.markdownWords(source) };
  }), { samples, rendered });
  const differ = results.filter((r) => r.shown !== r.read);
  assertEqual(differ.map((r) => `${JSON.stringify(r.source)}\n      page: ${r.shown}\n      read: ${r.read}`).join('\n    '), '', 'Markdown samples that differ');
  // and a changed word or number is seen
  const changed = await page.evaluate(() => {
    const v = window.credsiteVerify;
    return [v.markdownWords('up to **1.5** hours') !== v.words('up to 15 hours'),
      v.markdownWords('now here') !== v.words('nowhere'),
      v.markdownWords('[a link](https://x)') === v.words('a link')];
  });
  assertEqual(changed.join(), 'true,true,true', 'changes seen, link address ignored');
  await close(page);
});

test('copy link copies the page address; print and LinkedIn buttons are there', async () => {
  const page = await newPage({ clipboard: true });
  const token = tokenWith('active');
  await page.goto(`${base}/site/credentials/${token}.html`);
  await page.click('[data-copy]');
  await page.waitForFunction(() => /copied/i.test(document.querySelector('.copy-status').textContent));
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert(copied.startsWith('https://') && copied.endsWith(`credentials/${token}.html`), `clipboard holds the page URL, got ${copied}`);
  await page.click('.wallet [data-copy]');
  await page.waitForFunction(() => /copied/i.test(document.querySelector('.wallet .copy-status').textContent));
  const json = await page.evaluate(() => navigator.clipboard.readText());
  assertEqual(json, await page.inputValue('#credential-url'), 'the wallet card copies the credential address it shows');
  assert(json.startsWith('https://') && json.endsWith(`credentials/${token}.json`), `clipboard holds the JSON URL, got ${json}`);
  assert(await page.isVisible('[data-print]'), 'the print button is shown');
  const linkedin = await page.getAttribute('a[href^="https://www.linkedin.com/profile/add"]', 'href');
  assert(linkedin && new URL(linkedin).searchParams.get('certId') === token, 'LinkedIn link with the credential id');
  for (const suffix of ['png', 'svg', 'json']) {
    assert(await page.$(`a[download][href$="${token}.${suffix}"]`), `a ${suffix} download`);
  }
  // The OB 2.0 PNG and SVG links share one line ("... PNG · SVG"), the separator not alone on one
  const tops = await page.$$eval('a[download][href*="ob2/assertions/"]', (links) =>
    links.map((a) => Math.round(a.getBoundingClientRect().bottom)));
  assert(tops.length === 2 && tops[0] === tops[1], `OB 2.0 PNG and SVG links on one line, got bottoms ${tops}`);
  await close(page);
});

test('keyboard: the skip link comes first, shows on focus and moves to the content', async () => {
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement.className);
  assertEqual(focused, 'skip', 'first focus');
  const box = await page.locator('.skip').boundingBox();
  assert(box && box.x >= 0 && box.y >= 0, 'the skip link is on screen when focused');
  await page.keyboard.press('Enter');
  assertEqual(await page.evaluate(() => document.activeElement.id), 'main', 'focus after the skip link');
  // Every interactive element shows a visible focus indicator.
  const missing = await page.evaluate(() => {
    const out = [];
    for (const el of document.querySelectorAll('a[href], button:not([hidden]), input, summary')) {
      if (el.closest('.certificate') || el.offsetParent === null) continue;
      el.focus();
      const s = getComputedStyle(el);
      if (document.activeElement === el && s.outlineStyle === 'none' && s.boxShadow === 'none') out.push(el.outerHTML.slice(0, 80));
    }
    return out;
  });
  assertEqual(missing.join('\n'), '', 'elements without a focus indicator');
  await close(page);
});

test('a French recipient\'s credential page verifies and says so in French', async () => {
  const token = frenchToken();
  const page = await newPage();
  await page.goto(`${base}/site/credentials/${token}.html`);
  assertEqual(await verification(page), 'verified', 'the French credential page');
  assertEqual(await page.getAttribute('html', 'lang'), 'fr', '<html lang>');
  assertEqual(await page.textContent('.verification-label'), 'Vérifié', 'the headline');
  const detail = await page.textContent('.verification-detail');
  assert(/^Signé par .+ et inchangé depuis sa délivrance le \d+ [a-zéû]+ \d{4}\. Non révoqué/.test(detail),
    `the summary is in French: ${detail}`);
  const checks = await checksText(page);
  assert(checks.length > 0 && checks.every((c) => c.startsWith('check-ok: Réussi : ')), `checks: ${checks.join(' | ')}`);
  assertEqual(page.errors.length, 0, `page errors: ${page.errors.join('; ')}`);
  await page.screenshot({ path: shot('credential-fr.png'), fullPage: true });
  await close(page);
});

test('pages in each language link their editions (hreflang) and switch language', async () => {
  const page = await newPage();
  await page.goto(`${base}/site/achievements/faculty-coordinator.html`);
  const alternates = await page.$$eval('link[rel=alternate][hreflang]', (links) => links.map((l) => l.hreflang));
  assertEqual(alternates.join(' '), 'en fr x-default', 'hreflang alternates');
  await page.click('.language-switch a[hreflang=fr]');
  await page.waitForURL(/\/fr\/achievements\/faculty-coordinator\.html$/);
  assertEqual(await page.getAttribute('html', 'lang'), 'fr', 'the French edition');
  assertEqual((await page.textContent('h1')).trim(), 'Coordinateur pédagogique', 'its heading');
  // its endorsement is checked like on the English page (its date written the French way), in French
  const found = await endorsementChecks(page);
  assert(found.length > 0 && found.every((e) => e.state === 'verified' && /^Vérifiée dans votre navigateur : signée par /.test(e.text)),
    `endorsements on the French page: ${JSON.stringify(found)}`);
  await axe(page, 'the French achievement page');
  await close(page);
});

test('a right-to-left (Arabic) site: dir=rtl, verified, no sideways scrolling at 360px', async () => {
  const page = await newPage({ viewport: { width: 360, height: 740 } });
  for (const path of ['index.html', 'achievements/mentor.html', 'issuers/harbour.html', `credentials/${arabicToken}.html`]) {
    await page.goto(`${base}/ar/${path}`);
    assertEqual(await page.getAttribute('html', 'dir'), 'rtl', `${path}: <html dir>`);
    assertEqual(await page.evaluate(() => getComputedStyle(document.body).direction), 'rtl', `${path}: CSS direction`);
    if (await page.$('[data-verification]')) {
      assertEqual(await verification(page), 'verified', `${path} verifies`);
      await page.$$eval('details', (all) => all.forEach((d) => { if (!d.hidden) d.open = true; }));
    }
    const { scrollWidth, outside: off } = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      // (the skip link waits off screen, on the reading side, until it is focused)
      outside: [...document.querySelectorAll('body *:not(.skip)')]
        .filter((el) => el.getClientRects().length && (el.getBoundingClientRect().left < -0.5 || el.getBoundingClientRect().right > 360.5))
        .slice(0, 3).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).trim().split(/\s+/).join('.') : '')),
    }));
    assert(scrollWidth <= 360 && off.length === 0, `${path} overflows at 360px (${scrollWidth}px): ${off.join(', ')}`);
    if (path.startsWith('credentials/')) {
      // the verification result's coloured edge is on the reading side: the right
      const border = await page.evaluate(() => {
        const style = getComputedStyle(document.querySelector('.verification'));
        return [style.borderRightWidth, style.borderLeftWidth];
      });
      assertEqual(border.join(' '), '6px 1px', 'the verification edge on the right (border-inline-start)');
      await page.screenshot({ path: shot('credential-ar-360.png'), fullPage: true });
    }
  }
  assertEqual(page.errors.length, 0, `page errors: ${page.errors.join('; ')}`);
  await close(page);
});

test('every page type fits a 360px (and 320px) wide phone without sideways scrolling', async () => {
  // Measured once the page has settled: a credential page after its verification has filled in
  // the result and the list of checks (opened), since those change the side column's content.
  const paths = ['index.html', issuerPath, achievementPath, '404.html', 'credentials/no-such-credential.html',
    'issuers/northbridge.html', 'achievements/faculty-coordinator.html', 'fr/index.html',
    'fr/achievements/faculty-coordinator.html', `credentials/${frenchToken()}.html`, `endorsements/${endorsed.achievement}.html`,
    `endorsements/${endorsed.withdrawn}.html`, `credentials/${endorsed.credential}.html`];
  if (recordPath) paths.push(recordPath);
  for (const state of ['active', 'revoked', 'suspended', 'expired']) {
    if (Object.values(states).includes(state)) paths.push(`credentials/${tokenWith(state)}.html`);
  }
  const wide = [];
  for (const width of [360, 320]) {
    const page = await newPage({ viewport: { width, height: 740 } });
    for (const path of paths) {
      await page.goto(`${base}/site/${path}`);
      if (await page.$('[data-verification]')) {
        await verification(page);
        await page.$$eval('details', (all) => all.forEach((d) => { if (!d.hidden) d.open = true; }));
      }
      const { scrollWidth, culprits } = await page.evaluate((viewport) => ({
        scrollWidth: document.documentElement.scrollWidth,
        culprits: [...document.querySelectorAll('body *')]
          .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > viewport + 0.5)
          .slice(0, 3)
          .map((el) => `${el.tagName.toLowerCase()}${el.className ? `.${String(el.className).trim().split(/\s+/).join('.')}` : ''} (right edge ${Math.round(el.getBoundingClientRect().right)}px)`),
      }), width);
      if (scrollWidth > width) wide.push(`${path} is ${scrollWidth}px wide at ${width}px: ${culprits.join(', ')}`);
    }
    await close(page);
  }
  assert(wide.length === 0, `pages wider than the viewport:\n    ${wide.join('\n    ')}`);
});

for (const [label, path] of [
  ['index', () => 'index.html'],
  ['credential (valid)', () => `credentials/${tokenWith('active')}.html`],
  ['credential (revoked)', () => `credentials/${tokenWith('revoked')}.html`],
  ['credential (expired)', () => `credentials/${tokenWith('expired')}.html`],
  ['achievement', () => achievementPath],
  ['issuer', () => issuerPath],
  ['404', () => '404.html'],
  ['missing page (404.html served at a nested path)', () => 'credentials/no-such-credential.html'],
  ['learner record', () => { needRecords(); return recordPath; }],
]) {
  test(`axe-core: no violations on the ${label} page`, async () => {
    const page = await newPage();
    await page.goto(`${base}/site/${path()}`);
    if (label.startsWith('credential') || label === 'learner record') await verification(page);
    await axe(page, label);
    assertEqual(page.errors.filter((e) => !/404/.test(e)).join('\n'), '', 'no script errors');
    await close(page);
  });
}

test('axe-core: no violations on the phone layout and the failed and unsupported states', async () => {
  const page = await newPage({ viewport: { width: 390, height: 844 } });
  await page.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  await verification(page);
  await axe(page, 'credential at 390px');
  await page.goto(`${base}/tampered/credentials/${tampered.json}.html`);
  await verification(page);
  await page.click('.verification-checks summary');
  await axe(page, 'failed credential, checks open');
  await close(page);
  const old = await newPage({ init: NO_ED25519 });
  await old.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  assertEqual(await verification(old), 'unsupported', 'verification result without Ed25519');
  await axe(old, 'credential that could not be checked');
  await old.screenshot({ path: shot('credential-unsupported-desktop.png') });
  await close(old);
});

test('print view: the certificate with QR code and its text alternative, on one A4 and one Letter page', async () => {
  const page = await newPage({ viewport: { width: 794, height: 1123 } });
  const token = tokenWith('active');
  await page.goto(`${base}/site/credentials/${token}.html`);
  await verification(page);
  await page.emulateMedia({ media: 'print' });
  assert(await page.isVisible('.certificate'), 'the certificate shows in print');
  assert(!(await page.isVisible('article.credential')), 'the screen layout is hidden in print');
  assert(!(await page.isVisible('.site-header')), 'the site header is hidden in print');
  const qr = await page.$('.certificate img.qr[alt]');
  assert(qr && (await qr.isVisible()), 'the QR code is visible, with a text alternative');
  await assertSharpQr(qr, 'the certificate');
  const caption = await page.textContent('.certificate figcaption');
  assert(caption.includes(`credentials/${token}.html`), 'the page URL is printed beside the QR code');
  await axe(page, 'credential in print');
  await page.screenshot({ path: shot('credential-print.png'), fullPage: true });
  // The credential with the most to print (narrative, role, fields) must fit one page too.
  const longest = Object.keys(states).sort((a, b) => printedLength(b) - printedLength(a))[0];
  for (const [name, t] of [['credential', token], ['credential-longest', longest]]) {
    if (t !== token) await page.goto(`${base}/site/credentials/${t}.html`);
    for (const format of ['A4', 'Letter']) {
      const pdf = await page.pdf({ format, printBackground: true });
      writeFileSync(shot(`${name}-${format}.pdf`), pdf);
      const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) || []).length;
      assertEqual(pages, 1, `credentials/${t}.html: ${format} page count`);
    }
  }
  await close(page);
});

test('screenshots: credential page at 1280px and 390px, and the other page types', async () => {
  const desktop = await newPage({ viewport: { width: 1280, height: 900 } });
  for (const [name, state] of [['credential-desktop.png', 'active'], ['credential-revoked-desktop.png', 'revoked'], ['credential-expired-desktop.png', 'expired']]) {
    await desktop.goto(`${base}/site/credentials/${tokenWith(state)}.html`);
    await verification(desktop);
    if (state !== 'revoked') await assertSharpQr(await desktop.$('.wallet-qr img.qr[alt]'), `the ${state} credential's wallet card`);
    await desktop.screenshot({ path: shot(name), fullPage: true });
  }
  await desktop.goto(`${base}/tampered/credentials/${tampered.json}.html`);
  await verification(desktop);
  await desktop.screenshot({ path: shot('credential-failed-desktop.png'), fullPage: false });
  for (const [name, path] of [['index-desktop.png', 'index.html'], ['achievement-desktop.png', achievementPath], ['issuer-desktop.png', issuerPath], ['404-desktop.png', '404.html']]) {
    await desktop.goto(`${base}/site/${path}`);
    await desktop.screenshot({ path: shot(name), fullPage: true });
  }
  await close(desktop);
  const phone = await newPage({ viewport: { width: 390, height: 844 }, scale: 2 });
  await phone.goto(`${base}/site/credentials/${tokenWith('active')}.html`);
  await verification(phone);
  await assertSharpQr(await phone.$('.wallet-qr img.qr[alt]'), 'the wallet card on a phone');
  await phone.screenshot({ path: shot('credential-phone.png'), fullPage: true });
  await phone.screenshot({ path: shot('credential-phone-top.png') });
  await close(phone);
});

// -- learner records (CLR 2.0) ------------------------------------------------------------------

function needRecords() {
  if (!recordPath) throw new Skip('the example site publishes no learner records (clr: true)');
}

test('a learner record page verifies: its signature, then every credential in it', async () => {
  needRecords();
  const page = await newPage();
  await page.goto(`${base}/site/${recordPath}`);
  const status = await verification(page);
  const checks = await checksText(page);
  assertEqual(status, 'verified', `verification result (checks: ${checks.join(' | ')})`);
  assert(checks.every((c) => c.startsWith('check-ok')), `every check passes: ${checks.join(' | ')}`);
  const count = (await page.$$('.record-table tbody tr')).length;
  assert(count >= 3, `the record lists its credentials (${count})`);
  for (let i = 1; i <= count; i++) {
    assert(checks.some((c) => c.includes(`credential ${i} is the one published at`)), `credential ${i} compared with the published one`);
  }
  assert(checks.some((c) => /not revoked/.test(c)), 'the credentials\' status lists are checked');
  assert(checks.some((c) => /values this page shows as the credential/.test(c)), 'the page check ran');
  assert(/Each of its \d+ credentials is signed by its issuer/.test(await page.textContent('.verification-detail')), 'the record summary');
  assert(await page.isVisible('.record-pathways'), 'the pathway its credentials make is shown');
  assertEqual(page.errors.join('\n'), '', 'no script errors');
  await page.screenshot({ path: shot('record-desktop.png'), fullPage: true });
  await close(page);
});

test('a French recipient\'s learner record page, and an endorsement\'s French edition, verify in French', async () => {
  needRecords();
  const recordsDir = join(sitePath, 'records');
  const french = readdirSync(recordsDir).filter((n) => n.endsWith('.html')).sort()
    .find((n) => readFileSync(join(recordsDir, n), 'utf8').includes('<html lang="fr"'));
  assert(french, 'the example site has a learner record in French');
  const page = await newPage();
  await page.goto(`${base}/site/records/${french}`);
  const checks = await checksText(page);
  assertEqual(await verification(page), 'verified', `records/${french} (checks: ${checks.join(' | ')})`);
  assertEqual((await page.textContent('.verification-label')).trim(), 'Vérifié', 'the headline');
  await page.goto(`${base}/site/fr/endorsements/${endorsed.achievement}.html`);
  assertEqual(await verification(page), 'verified', `fr/endorsements/${endorsed.achievement}.html`);
  assertEqual(await page.getAttribute('html', 'lang'), 'fr', '<html lang>');
  assertEqual(page.errors.join('\n'), '', 'no script errors');
  await close(page);
});

test('a learner record with a nested credential changed fails (its signature no longer matches)', async () => {
  needRecords();
  await expectFailed(`tampered/${tamperedRecord.json}`, /signature does not match/);
});

test('a learner record page showing another credential than the signed one fails, naming it', async () => {
  needRecords();
  await expectFailed(`tampered/${tamperedRecord.html}`, /achievement’s name of credential 1 as “Another Badge”/);
});

test('print view: a learner record prints on one A4 and one Letter page, with its QR code', async () => {
  needRecords();
  const page = await newPage({ viewport: { width: 794, height: 1123 } });
  await page.goto(`${base}/site/${recordPath}`);
  await verification(page);
  await page.emulateMedia({ media: 'print' });
  assert(!(await page.isVisible('.record-side')), 'the verification and download cards are hidden in print');
  const qr = await page.$('.record-qr img.qr[alt]');
  assert(qr && (await qr.isVisible()), 'the QR code is printed, with a text alternative');
  await assertSharpQr(qr, 'the learner record');
  assert((await page.textContent('.record-qr figcaption')).includes(recordPath.replace(/\.html$/, '')), 'the page URL is printed beside it');
  await axe(page, 'learner record in print');
  await page.screenshot({ path: shot('record-print.png'), fullPage: true });
  for (const format of ['A4', 'Letter']) {
    const pdf = await page.pdf({ format, printBackground: true });
    writeFileSync(shot(`record-${format}.pdf`), pdf);
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) || []).length;
    assertEqual(pages, 1, `${recordPath}: ${format} page count`);
  }
  await close(page);
});

test('the home page filters the achievements by skill; the skills list and achievement pages link by anchor', async () => {
  const page = await newPage({ viewport: { width: 320, height: 740 } });
  await page.goto(`${base}/site/index.html`);
  assert(await page.isVisible('[data-skill-filter] select'), 'the skill filter is shown with JavaScript');
  const total = await page.$$eval('[data-skills]', (cards) => cards.length);
  const option = await page.$eval('#skill-filter option[value^="skill-demonstrate-intercultural"]', (o) => o.value);
  await page.selectOption('#skill-filter', option);
  const shown = await page.$$eval('[data-skills]', (cards) => cards.filter((c) => !c.hidden).map((c) => c.querySelector('h3').textContent.trim()));
  assertEqual(shown.join(', '), 'Exchange Participant, Faculty Coordinator', 'cards shown for the skill');
  assert(/2 of \d+ achievements evidence/.test(await page.textContent('.skill-filter-status')), 'the count is announced');
  await axe(page, 'index with a skill chosen at 320px');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(wide <= 320, `the filtered home page is ${wide}px wide at 320px`);
  await page.selectOption('#skill-filter', '');
  assertEqual(await page.$$eval('[data-skills]', (cards) => cards.filter((c) => !c.hidden).length), total, 'every card back');
  // the achievement page groups skills by framework and links each to the home page's list
  await page.goto(`${base}/site/achievements/faculty-coordinator.html`);
  const frameworks = await page.$$eval('.skill-framework', (hs) => hs.map((h) => h.textContent.trim()));
  assertEqual(frameworks.join(', '), 'ESCO, O*NET-SOC', 'framework headings');
  assert(await page.evaluate(() => document.documentElement.scrollWidth) <= 320, 'the achievement page fits 320px');
  await axe(page, 'achievement with skills at 320px');
  await page.click('a.skill-more[href$="#skill-demonstrate-intercultural-competence"]');
  await page.waitForURL(/index\.html#skill-demonstrate-intercultural-competence$/);
  assert(await page.isVisible('#skill-demonstrate-intercultural-competence'), 'the skill is listed on the home page');
  await close(page);
});

test('endorsements are checked in the browser on every page that shows them, and on their own pages', async () => {
  const page = await newPage();
  const expected = [
    ['achievements/faculty-coordinator.html', 'verified'],
    ['achievements/peer-mentor.html', 'withdrawn'],
    ['issuers/northbridge.html', 'verified'],
    [`credentials/${endorsed.credential}.html`, 'verified,verified'],
  ];
  for (const [path, states] of expected) {
    await page.goto(`${base}/site/${path}`);
    const found = await endorsementChecks(page);
    assertEqual(found.map((b) => b.state).join(), states, `endorsements on ${path} (${found.map((b) => b.text).join(' | ')})`);
    assertEqual(page.errors.join('\n'), '', `no script errors on ${path}`);
    await axe(page, `${path} with its endorsements checked`);
  }
  // one received from another site: shown, and said to be checked when the site was built
  await page.goto(`${base}/site/achievements/exchange-participant.html`);
  assert(/From outside this site/.test(await page.textContent('[data-endorsement-received]')), 'the received endorsement is shown');
  // the credential page itself still verifies, its embedded endorsements compared as signed values
  await page.goto(`${base}/site/credentials/${endorsed.credential}.html`);
  assertEqual(await verification(page), 'verified', 'the credential that embeds endorsements');
  // each endorsement's own page: verified, or withdrawn (its endorser's list has the bit set)
  for (const [token, status, headline] of [[endorsed.achievement, 'verified', 'Verified'], [endorsed.withdrawn, 'revoked', 'Withdrawn']]) {
    await page.goto(`${base}/site/endorsements/${token}.html`);
    assertEqual(await verification(page), status, `endorsements/${token}.html`);
    assertEqual((await page.textContent('.verification-label')).trim(), headline, 'headline');
    await axe(page, `endorsement page (${status})`);
  }
  await close(page);
});

test('a changed endorsement, or a changed endorsement on a page, fails where it is shown', async () => {
  const page = await newPage();
  // the hosted endorsement edited: its page and every block that shows it fail
  await page.goto(`${base}/tampered-endorsement/endorsements/${endorsed.achievement}.html`);
  assertEqual(await verification(page), 'failed', 'the changed endorsement\'s own page');
  await page.goto(`${base}/tampered-endorsement/achievements/faculty-coordinator.html`);
  const blocks = await endorsementChecks(page);
  assertEqual(blocks[0].state, 'failed', `the achievement page's block: ${blocks[0].text}`);
  // the statement edited only in a page
  await page.goto(`${base}/tampered-endorsement/issuers/northbridge.html`);
  const edited = await endorsementChecks(page);
  assertEqual(edited[0].state, 'failed', 'the issuer page block');
  assert(/endorsement’s statement as .* but the signed endorsement says/.test(edited[0].text), edited[0].text);
  // the copy a credential embeds, edited in the page: the credential's own check names it
  await expectFailed(`tampered-endorsement/credentials/${endorsed.credential}.html`, /endorsement by Harbour Polytechnic \(its statement\)/);
  await close(page);
});

// -- images baked in the browser (site.yaml bake_in_browser) ------------------------------------
//
// /baked/ is the example built with `bake_in_browser: true`: it publishes no baked images, and its
// pages' download links ([data-bake]) bake the signed JSON into the shared badge (static/bake.js).
// From the same lockfile, the OB 3.0 and CLR images must be the very bytes /site/ publishes.

/** A PNG's chunks: [{ type, data, crc, start, end }] (`start`/`end`: the whole chunk's bytes). */
function pngChunks(png) {
  assert(png.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10])), 'a PNG signature');
  const chunks = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    chunks.push({
      type: png.toString('latin1', at + 4, at + 8), data: png.subarray(at + 8, at + 8 + length),
      crc: png.readUInt32BE(at + 8 + length), body: png.subarray(at + 4, at + 8 + length), start: at, end: at + 12 + length,
    });
    at += 12 + length;
  }
  return chunks;
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** The text (bytes) of a PNG's uncompressed iTXt chunk `keyword`, checked, and the PNG without it. */
function pngText(png, keyword) {
  const found = pngChunks(png).filter((c) => c.type === 'iTXt' && c.data.toString('latin1', 0, c.data.indexOf(0)) === keyword);
  assertEqual(found.length, 1, `iTXt "${keyword}" chunks`);
  const [chunk] = found;
  assertEqual(chunk.crc, crc32(chunk.body), `the iTXt "${keyword}" chunk's CRC`);
  let at = keyword.length + 1;
  assertEqual(`${chunk.data[at]},${chunk.data[at + 1]}`, '0,0', 'compression flag and method (uncompressed)');
  at = chunk.data.indexOf(0, at + 2) + 1;  // after the language tag
  at = chunk.data.indexOf(0, at) + 1;  // after the translated keyword
  return { text: chunk.data.subarray(at), rest: Buffer.concat([png.subarray(0, chunk.start), png.subarray(chunk.end)]) };
}

/** Click the link `selector` on `page`: the download its click starts ({ name, bytes }), once the link says it is baked. */
async function bakedDownload(page, selector) {
  const started = page.waitForEvent('download', { timeout: VERIFY_TIMEOUT });
  await page.click(selector);
  const download = await started;
  const failure = await download.failure();
  assertEqual(failure, null, `the download of ${selector} failed`);
  const name = download.suggestedFilename();
  await page.waitForFunction((s) => document.querySelector(s).getAttribute('data-baked'), selector, { timeout: VERIFY_TIMEOUT });
  assertEqual(await page.getAttribute(selector, 'data-baked'), name, `${selector}: data-baked`);
  return { name, bytes: readFileSync(await download.path()) };
}

/** `made` (a download) is byte for byte `expected` (a file the default build published). */
function assertSameBytes(made, expected, label) {
  const want = readFileSync(expected);
  if (made.equals(want)) return;
  let at = 0;
  while (at < made.length && made[at] === want[at]) at++;
  throw new Error(`${label}: ${made.length} bytes baked in the browser, ${want.length} published by the build; first difference at byte ${at}`);
}

/** The [data-bake] link of `kind` and `suffix` on the page, once bake.js has baked it (its href
 * is then the baked image, and data-baked its download's name). */
const bakeLink = (kind, suffix) => `a[data-bake="${kind}"][data-baked$=".${suffix}"]`;

/** The `kind` `suffix` link on `page` (at `where`) is shown once baked, its href the baked image. */
async function shownBaked(page, kind, suffix, where) {
  const link = bakeLink(kind, suffix);
  await page.waitForSelector(link, { state: 'visible', timeout: VERIFY_TIMEOUT });
  assertEqual(await page.$eval(link, (a) => a.closest('li').hidden), false, `${where}: bake.js unhid the ${kind} ${suffix} item`);
  assert((await page.getAttribute(link, 'href')).startsWith('blob:'), `${where}: the ${kind} ${suffix} link is the baked image`);
}

/** The `kind` `suffix` link on the page of `stem` (credentials/TOKEN) downloads the default
 * build's `stem`.`suffix`, byte for byte, named TOKEN.`suffix`. */
async function bakedAsBuilt(page, kind, suffix, stem) {
  await shownBaked(page, kind, suffix, `${stem}.html`);
  const { name, bytes } = await bakedDownload(page, bakeLink(kind, suffix));
  assertEqual(name, `${stem.split('/').pop()}.${suffix}`, 'the download\'s name');
  assertSameBytes(bytes, join(sitePath, `${stem}.${suffix}`), `${stem}.${suffix}`);
}

/** The badge a link of `kind` and `suffix` bakes into: its href in the page as published. */
function bakeSource(path, kind, suffix) {
  const html = readFileSync(join(bakedPath, path), 'utf8');
  const [, href] = html.match(new RegExp(`<a href="([^"]+\\.${suffix})" download data-bake="${kind}"`)) || [];
  assert(href, `${path}: a ${kind} ${suffix} link`);
  return normalize(join(dirname(path), href));
}

/** The active credentials of the baked site whose pages bake an OB 2.0 image too: the first,
 * and the first whose badge is another language's edition (its recipient's), if any. */
function bakedCredentials() {
  const page = (t) => readFileSync(join(bakedPath, 'credentials', `${t}.html`), 'utf8');
  const tokens = Object.keys(states).filter((t) => states[t] === 'active' && page(t).includes('data-bake="ob2"')).sort();
  assert(tokens.length, 'an active credential page with baked-download links');
  const edition = tokens.find((t) => /href="[^"]*\/images\/achievements\/[^"/]+\.[A-Za-z-]+\.png" download data-bake="ob3"/.test(page(t)));
  return edition && edition !== tokens[0] ? [tokens[0], edition] : [tokens[0]];
}

test('bake_in_browser: a credential page bakes its PNG and SVG in the browser, the bytes the build publishes', async () => {
  const page = await newPage();
  for (const token of bakedCredentials()) {
    for (const file of ['png', 'svg']) assert(!existsSync(join(bakedPath, 'credentials', `${token}.${file}`)), `no credentials/${token}.${file} published`);
    await page.goto(`${base}/baked/credentials/${token}.html`);
    for (const suffix of ['png', 'svg']) await shownBaked(page, 'ob2', suffix, `credentials/${token}.html`);
    for (const suffix of ['png', 'svg']) await bakedAsBuilt(page, 'ob3', suffix, `credentials/${token}`);
    assertEqual(page.errors.join('\n'), '', 'no script errors');
  }
  await close(page);
});

test('bake_in_browser: the OB 2.0 PNG and SVG carry the assertion as served, in the badge image', async () => {
  const [token] = bakedCredentials();
  const page = await newPage();
  await page.goto(`${base}/baked/credentials/${token}.html`);
  const assertion = readFileSync(join(bakedPath, 'ob2', 'assertions', `${token}.json`));  // what the server sends
  const id = JSON.parse(assertion.toString('utf8')).id;
  assert(id && id.endsWith(`ob2/assertions/${token}.json`), `the assertion's id is its hosted URL: ${id}`);
  const png = await bakedDownload(page, bakeLink('ob2', 'png'));
  assertEqual(png.name, `${token}.png`, 'the PNG download\'s name');
  const { text, rest } = pngText(png.bytes, 'openbadges');
  assert(text.equals(assertion), `the iTXt "openbadges" text is the assertion JSON as served (${text.length} vs ${assertion.length} bytes)`);
  const art = bakeSource(`credentials/${token}.html`, 'ob2', 'png');
  assert(/^images\/achievements\/[^./]+\.png$/.test(art), `OB 2.0 bakes into the badge in the site's first language: ${art}`);
  assertSameBytes(rest, join(bakedPath, art), 'the PNG without its iTXt chunk (the badge image)');
  const svg = await bakedDownload(page, bakeLink('ob2', 'svg'));
  assertEqual(svg.name, `${token}.svg`, 'the SVG download\'s name');
  const made = svg.bytes.toString('utf8');
  const element = `<openbadges:assertion verify="${id}"><![CDATA[${assertion.toString('utf8').split(']]>').join(']]]]><![CDATA[>')}]]></openbadges:assertion>`;
  assert(made.includes(element), `the SVG holds <openbadges:assertion verify="${id}"> with the JSON in CDATA: ${made.slice(0, 300)}`);
  const badge = readFileSync(join(bakedPath, bakeSource(`credentials/${token}.html`, 'ob2', 'svg')), 'utf8');
  assertEqual(made.replace(element, '').replace(' xmlns:openbadges="http://openbadges.org"', ''), badge, 'the SVG without the assertion (the badge image)');
  assertEqual(page.errors.join('\n'), '', 'no script errors');
  await close(page);
});

test('bake_in_browser: a learner record page bakes its PNG and SVG, the bytes the build publishes', async () => {
  needRecords();
  const token = recordPath.replace(/^records\/|\.html$/g, '');
  const page = await newPage();
  await page.goto(`${base}/baked/${recordPath}`);
  for (const suffix of ['png', 'svg']) {
    assert(!existsSync(join(bakedPath, 'records', `${token}.${suffix}`)), `no records/${token}.${suffix} published`);
    await bakedAsBuilt(page, 'clr', suffix, `records/${token}`);
  }
  assertEqual(page.errors.join('\n'), '', 'no script errors');
  await close(page);
});

test('bake_in_browser: without JavaScript the baked-image links stay hidden, the JSON links shown', async () => {
  const [token] = bakedCredentials();
  const page = await newPage({ javaScript: false });
  const pages = [[`credentials/${token}.html`, `.downloads a[href$="credentials/${token}.json"]`]];
  if (recordPath) pages.push([recordPath, `.downloads a[href$="${recordPath.replace(/\.html$/, '.json')}"]`]);
  for (const [path, json] of pages) {
    await page.goto(`${base}/baked/${path}`);
    const links = await page.$$('a[data-bake]');
    assert(links.length >= 2, `${path} has baked-image links (${links.length})`);
    for (const link of links) {
      const item = await link.evaluate((a) => {
        const li = a.closest('li');
        return { hidden: li.hidden, display: getComputedStyle(li).display, text: li.innerText.trim().replace(/\s+/g, ' ').slice(0, 60) };
      });
      assert(item.hidden, `${path}: the item "${item.text}" has the hidden attribute`);
      assert(!(await link.isVisible()), `${path}: the hidden item "${item.text}" is shown without JavaScript (its CSS display: ${item.display})`);
    }
    assert(await page.isVisible(json), `${path}: the JSON download is shown`);
  }
  await close(page);
});

test('bake_in_browser: a private credential bakes the decrypted JSON, the bytes of the build\'s encrypted PNG', async () => {
  const { token, key } = privateLink();
  const page = await newPage();
  // the default build's baked PNG, as its page decrypts it (private.js answers fetches of its files)
  await page.goto(`${base}/site/credentials/${token}.html#${key}`);
  await page.waitForSelector('[data-verification]', { timeout: VERIFY_TIMEOUT });
  const fetched = (path) => page.evaluate(async (url) => {
    const response = await fetch(url);
    return response.ok ? [...new Uint8Array(await response.arrayBuffer())] : null;
  }, path);
  const published = await fetched(`../credentials/${token}.png`);
  assert(published, `the default build's credentials/${token}.png.enc opens`);
  await page.goto('about:blank');
  await page.goto(`${base}/baked/credentials/${token}.html#${key}`);
  await page.waitForSelector('[data-verification]', { timeout: VERIFY_TIMEOUT });  // once opened
  assert(!existsSync(join(bakedPath, 'credentials', `${token}.png.enc`)), 'no encrypted PNG published');
  await page.waitForSelector(bakeLink('ob3', 'png'), { state: 'visible', timeout: VERIFY_TIMEOUT });
  const json = await fetched(`../credentials/${token}.json`);
  assert(json, 'the page answers the credential JSON');
  const { name, bytes } = await bakedDownload(page, bakeLink('ob3', 'png'));
  assertEqual(name, `${token}.png`, 'the download\'s name');
  assert(pngText(bytes, 'openbadgecredential').text.equals(Buffer.from(json)), 'the iTXt "openbadgecredential" text is the decrypted JSON');
  assert(bytes.equals(Buffer.from(published)), `the baked PNG is the default build's (${bytes.length} vs ${published.length} bytes)`);
  // private.js asks only for the files the page links to: no TOKEN.png.enc, which is not published
  assertEqual(page.errors.join('\n'), '', 'no script errors and no 404');
  await close(page);
});

test('no request leaves the site while pages load and verify', async () => {
  assertEqual(outside.join(', '), '', 'requests to other hosts');
});

// -- main ---------------------------------------------------------------------------------------

let achievementPath;
let issuerPath;
let recordPath;
let tamperedRecord;
let endorsed;
let sitePath;
let siteUrl;
let tampered;
let arabicToken;
let bakedPath;

/** An active credential of a recipient whose language is French. */
function frenchToken() {
  const token = Object.keys(states).sort().find((t) => states[t] === 'active' &&
    readFileSync(join(sitePath, 'credentials', `${t}.html`), 'utf8').includes('<html lang="fr"'));
  if (!token) throw new Error('the example site has no active credential in French');
  return token;
}

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'credsite-browser-'));
  let server;
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    const site = buildSite(work);
    states = credentialStates(site);
    sitePath = site;
    const anyToken = Object.keys(states)[0];
    const anyId = JSON.parse(readFileSync(join(site, 'credentials', `${anyToken}.json`), 'utf8')).id;
    siteUrl = anyId.slice(0, -`credentials/${anyToken}.json`.length);
    achievementPath = 'achievements/' + readdirSync(join(site, 'achievements')).filter((n) => n.endsWith('.html')).sort()[0];
    issuerPath = 'issuers/' + readdirSync(join(site, 'issuers')).filter((n) => n.endsWith('.html')).sort()[0];

    // A copy of the site with one thing changed per credential: the JSON, the page (a name, a
    // field, a date, the narrative, the wallet link) or the detached proof, each on its own
    // active credential; and a second copy whose status list's detached proof is changed.
    const copy = join(work, 'tampered');
    cpSync(site, copy, { recursive: true });
    const unused = Object.keys(states).filter((t) => states[t] === 'active').sort();
    const pick = (what, test = () => true) => {
      const token = unused.find((t) => test(readFileSync(join(site, 'credentials', `${t}.html`), 'utf8')));
      assert(token, `an active credential for the "${what}" tampering`);
      unused.splice(unused.indexOf(token), 1);
      return token;
    };
    const editJson = (rel, edit) => {
      const file = join(copy, rel);
      const doc = JSON.parse(readFileSync(file, 'utf8'));
      edit(doc);
      writeFileSync(file, JSON.stringify(doc, null, 2));
    };
    const editHtml = (token, pattern, replacement) => {
      const file = join(copy, 'credentials', `${token}.html`);
      const html = readFileSync(file, 'utf8');
      const changed = html.replace(pattern, replacement);
      assert(changed !== html, `credentials/${token}.html has ${pattern}`);
      writeFileSync(file, changed);
    };
    const FIELD = /(<dd data-vc="credentialSubject\.result\.0\.value">)[^<]*/;
    const RESULT_LEVEL = /(<span data-vc="credentialSubject\.result\.\d+\.achievedLevel\.name">)[^<]*/;
    tampered = {
      result: pick('result', (h) => RESULT_LEVEL.test(h)),  // first: few credentials have one
      json: pick('json'),
      html: pick('html'),
      field: pick('field', (h) => FIELD.test(h)),
      date: pick('date'),
      narrative: pick('narrative', (h) => /data-vc="credentialSubject\.narrative"/.test(h)),
      proof: pick('proof'),
      proofSet: pick('proof set'),
      wallet: pick('wallet', (h) => /data-vc-embedded="lcw"/.test(h)),
      listed: pick('list'),
    };
    editJson(`credentials/${tampered.json}.json`, (doc) => { doc.credentialSubject.achievement.name += ' (with honours)'; });
    editHtml(tampered.html, /(data-vc="credentialSubject\.name">)[^<]*/, '$1Someone Else');
    editHtml(tampered.field, FIELD, '$1a value that was never signed');
    editHtml(tampered.result, RESULT_LEVEL, '$1Exemplary beyond words');
    // the shown date and its machine-readable twin, moved a year earlier
    editHtml(tampered.date, /(<time datetime=")(\d{4})(-[^"]*" data-vc="validFrom" data-vc-format="date">[^<]*?)(\d{4})</,
      (_, a, y1, b, y2) => `${a}${Number(y1) - 1}${b}${Number(y2) - 1}<`);
    editHtml(tampered.narrative, /(<div class="markdown" data-vc="credentialSubject\.narrative"[^>]*>\s*<p>)(\S+)/, '$1Unsigned $2');
    editJson(`credentials/${tampered.proof}.jcs-proof.jsonld`, (proof) => { proof.created = '2020-01-01T00:00:00Z'; });
    // the proof set wallets check now names another key (the page cannot check rdfc itself)
    editJson(`credentials/${tampered.proofSet}.json`, (doc) => { doc.proof[0].verificationMethod += 'x'; });
    // the wallet button links another credential's JSON, from which the wallet link would be made
    editHtml(tampered.wallet, /(data-vc-embedded="lcw" data-json="credentials\/)[a-z2-7]+/, '$1aaaaaaaaaaaaaaaaaaaaaaaaaa');
    const listCopy = join(work, 'tampered-list');
    cpSync(site, listCopy, { recursive: true });
    const listProof = join(listCopy, 'status', '1.jcs-proof.jsonld');
    const proofJson = JSON.parse(readFileSync(listProof, 'utf8'));
    proofJson.created = '2020-01-01T00:00:00Z';
    writeFileSync(listProof, JSON.stringify(proofJson, null, 2));

    // Learner records: the one with the most credentials; in the tampered copy, one record with
    // a nested credential changed and another whose page shows another credential's name.
    const recordsDir = join(site, 'records');
    const records = existsSync(recordsDir)
      ? readdirSync(recordsDir).filter((n) => n.endsWith('.json')).sort().map((n) => ({
        name: n, doc: JSON.parse(readFileSync(join(recordsDir, n), 'utf8')),
      })).sort((a, b) => b.doc.credentialSubject.verifiableCredential.length - a.doc.credentialSubject.verifiableCredential.length)
      : [];
    if (records.length >= 3) {
      recordPath = `records/${records[0].name.replace(/\.json$/, '.html')}`;
      const [, json, html] = records.map((r) => r.name.replace(/\.json$/, ''));
      tamperedRecord = { json: `records/${json}.html`, html: `records/${html}.html` };
      editJson(`records/${json}.json`, (doc) => { doc.credentialSubject.verifiableCredential[0].credentialSubject.name += ' Jr.'; });
      const pageFile = join(copy, 'records', `${html}.html`);
      const before = readFileSync(pageFile, 'utf8');
      const after = before.replace(/(data-vc="credentialSubject\.verifiableCredential\.0\.credentialSubject\.achievement\.name">)[^<]*/, '$1Another Badge');
      assert(after !== before, `${pageFile} shows its first credential's name`);
      writeFileSync(pageFile, after);
    }


    // Endorsements: the tokens of the one of an achievement, the withdrawn one, and a credential
    // that embeds two (its achievement's and its own); a copy with the first one's hosted JSON
    // changed, and the statement changed in the issuer page and in that credential's page.
    const endorsementFiles = readdirSync(join(site, 'endorsements')).filter((n) => n.endsWith('.json'));
    const endorsementOf = (test) => endorsementFiles.map((n) => [n.slice(0, -5), JSON.parse(readFileSync(join(site, 'endorsements', n), 'utf8'))])
      .find(([, doc]) => test(doc));
    endorsed = {
      achievement: endorsementOf((doc) => doc.credentialSubject.id.endsWith('achievements/faculty-coordinator.json'))[0],
      withdrawn: endorsementOf((doc) => doc.credentialSubject.id.endsWith('achievements/peer-mentor.json'))[0],
      // (the example's own base URL ends in /credentials/: the credential is the last segment)
      credential: endorsementOf((doc) => /\/credentials\/[a-z2-7]+\.json$/.test(doc.credentialSubject.id))[1].credentialSubject.id.replace(/^.*\/|\.json$/g, ''),
    };
    const endorsementCopy = join(work, 'tampered-endorsement');
    cpSync(site, endorsementCopy, { recursive: true });
    const endorsementFile = join(endorsementCopy, 'endorsements', `${endorsed.achievement}.json`);
    const changed = JSON.parse(readFileSync(endorsementFile, 'utf8'));
    changed.credentialSubject.endorsementComment += ' And we would hire them all.';
    writeFileSync(endorsementFile, JSON.stringify(changed, null, 2));
    for (const rel of ['issuers/northbridge.html', `credentials/${endorsed.credential}.html`]) {
      const file = join(endorsementCopy, rel);
      const html = readFileSync(file, 'utf8');
      const edited = html.replace(/(class="markdown endorsement-comment"[^>]*>\s*<p>)/, '$1Unreservedly: ');
      assert(edited !== html, `${rel} shows an endorsement statement`);
      writeFileSync(file, edited);
    }

    const arabic = buildArabicSite(work);
    arabicToken = readdirSync(join(arabic, 'credentials')).find((n) => n.endsWith('.html')).slice(0, -5);

    // The example again with bake_in_browser: its pages' links bake the images in the browser.
    bakedPath = buildSite(work, { name: 'baked', settings: 'bake_in_browser: true' });

    server = await serve({
      '/site/': site, '/tampered/': copy, '/tampered-list/': listCopy, '/tampered-endorsement/': endorsementCopy,
      '/ar/': arabic, '/baked/': bakedPath,
    });
    base = `http://127.0.0.1:${server.address().port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-dev-shm-usage'],
    });
    console.log(`browser: ${CHROMIUM} ${browser.version()}; site: ${base}/site/ (${Object.keys(states).length} credentials)`);
    for (const t of tests) {
      const started = Date.now();
      try {
        await t.fn();
        passed++;
        console.log(`ok      ${t.name} (${Date.now() - started} ms)`);
      } catch (e) {
        if (e instanceof Skip) {
          skipped++;
          console.log(`skipped ${t.name}: ${e.message}`);
        } else {
          failed++;
          console.log(`FAIL    ${t.name}\n    ${String(e && e.stack || e).split('\n').slice(0, 6).join('\n    ')}`);
        }
      }
    }
  } catch (e) {
    failed++;
    console.log(`FAIL    setup: ${e && e.stack || e}`);
  } finally {
    if (browser) await browser.close();
    if (server) server.close();
    rmSync(work, { recursive: true, force: true });
  }
  console.log(`screenshots and PDFs: ${ARTIFACTS}`);
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed ? 1 : 0;
}

await main();
