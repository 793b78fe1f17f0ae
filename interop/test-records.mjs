// node --test interop/test-records.mjs — learner records (CLR 2.0) through both
// independent verifiers: verify.mjs (Digital Bazaar) and didkit-verify.mjs
// (LearnCard's didkit), on the example site built here by credsite from the
// repository root (`credsite` on PATH; --locked: never mints).
//
// Each record's own proof and every credential nested in it are verified; a
// record or a nested credential changed after signing fails in both, and a
// nested credential that is not the hosted one fails in verify.mjs.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, {after} from 'node:test';
import {fileURLToPath} from 'node:url';

import {CLR_CONTEXT_FILE, CLR_NAMESPACE, didWebToUrl, extractSvg,
  readClrContext} from './verify.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.dirname(HERE);
const dirs = [];
const tmp = () => {
  dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'credsite-records-')));
  return dirs.at(-1);
};
after(() => dirs.forEach(d => fs.rmSync(d, {recursive: true, force: true})));

const SITE = path.join(tmp(), 'site');
{
  const r = spawnSync('credsite', ['build', '--locked', '-o', SITE, '-q'],
    {cwd: REPO, encoding: 'utf8'});
  if(r.error || r.status !== 0) {
    throw new Error('test-records: could not build the example site with ' +
      `'credsite build --locked' (is credsite on PATH?): ` +
      `${r.error?.message ?? r.stderr}`);
  }
}
const readJson = (dir, rel) =>
  JSON.parse(fs.readFileSync(path.join(dir, rel), 'utf8'));
const writeJson = (dir, rel, data) =>
  fs.writeFileSync(path.join(dir, rel), JSON.stringify(data, null, 2));
const BASE = didWebToUrl(readJson(SITE, 'did.json').id)
  .replace(/(\.well-known\/)?did\.json$/, '');
const RECORDS = fs.readdirSync(path.join(SITE, 'records'))
  .filter(f => f.endsWith('.json')).sort();
// the record with the most credentials (a pathway's components among them)
const BIG = RECORDS.map(f => [f, readJson(SITE, `records/${f}`)])
  .sort((a, b) => b[1].credentialSubject.verifiableCredential.length -
    a[1].credentialSubject.verifiableCredential.length)[0][0];
const TOKEN = BIG.slice(0, -'.json'.length);
const copy = () => {
  const dir = tmp();
  fs.cpSync(SITE, dir, {recursive: true});
  return dir;
};
function run(script, dir, ...extra) {
  const r = spawnSync(process.execPath, [path.join(HERE, script), dir, BASE,
    ...extra], {encoding: 'utf8'});
  return {code: r.status, out: r.stdout + r.stderr};
}
const lineOf = (out, rel) => out.split('\n')
  .find(l => l.startsWith(`OK ${rel} `) || l.startsWith(`FAIL ${rel} `));

test('the example publishes learner records, one with a pathway', () => {
  assert.ok(RECORDS.length >= 3, RECORDS.join(' '));
  const record = readJson(SITE, `records/${BIG}`);
  assert.deepEqual(record['@context'], [
    'https://www.w3.org/ns/credentials/v2',
    'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json',
    'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json']);
  assert.deepEqual(record.type, ['VerifiableCredential', 'ClrCredential']);
  assert.ok(record.credentialSubject.verifiableCredential.length >= 4);
  assert.ok(record.credentialSubject.association.every(a =>
    a.associationType === 'isPartOf'));
  const svg = fs.readFileSync(path.join(SITE, 'records', `${TOKEN}.svg`), 'utf8');
  assert.deepEqual(JSON.parse(extractSvg(svg, CLR_NAMESPACE)), record);
});

test('both verifiers pass every record and its baked images as published', () => {
  let {code, out} = run('verify.mjs', SITE, '--expect-status', `${TOKEN}=valid`);
  assert.equal(code, 0, out);
  for(const f of RECORDS) {
    for(const ext of ['json', 'png', 'svg']) {
      const rel = `records/${f.replace(/json$/, ext)}`;
      assert.match(lineOf(out, rel), /^OK .* status=valid \(\d+ credentials?\)$/, rel);
    }
  }
  ({code, out} = run('didkit-verify.mjs', SITE));
  assert.equal(code, 0, out);
  assert.match(lineOf(out, `records/${BIG}`),
    /^OK .* proof ok; \d+ nested credential proofs ok$/);
});

test('a nested credential changed inside a record fails in both', () => {
  const dir = copy();
  const record = readJson(dir, `records/${BIG}`);
  record.credentialSubject.verifiableCredential[1].credentialSubject.name +=
    ' Jr.';
  writeJson(dir, `records/${BIG}`, record);
  let {code, out} = run('verify.mjs', dir);
  assert.equal(code, 1, out);
  assert.match(lineOf(out, `records/${BIG}`), /^FAIL .*record: proof eddsa-rdfc-2022 invalid/);
  ({code, out} = run('didkit-verify.mjs', dir));
  assert.equal(code, 1, out);
  assert.match(lineOf(out, `records/${BIG}`), /^FAIL .*record: signature error/);
});

test('a record holding another credential than the hosted one fails', () => {
  const dir = copy();
  const record = readJson(dir, `records/${BIG}`);
  const id = record.credentialSubject.verifiableCredential[0].id;
  const rel = id.slice(BASE.length);
  const hosted = readJson(dir, rel);
  hosted.name += ' (edited)';
  writeJson(dir, rel, hosted);
  const {code, out} = run('verify.mjs', dir);
  assert.equal(code, 1, out);
  assert.match(lineOf(out, `records/${BIG}`),
    /^FAIL .*credential 1 \(.*\) differs from the hosted credential$/);
});

test('a changed record name fails; a changed baked record fails', () => {
  const dir = copy();
  const record = readJson(dir, `records/${BIG}`);
  record.name = 'Learner record of Someone Else';
  writeJson(dir, `records/${BIG}`, record);
  const svgFile = path.join(dir, 'records', `${TOKEN}.svg`);
  fs.writeFileSync(svgFile, fs.readFileSync(svgFile, 'utf8')
    .replace('"name":"Learner record of', '"name":"Learner Record of'));
  for(const script of ['verify.mjs', 'didkit-verify.mjs']) {
    const {code, out} = run(script, dir);
    assert.equal(code, 1, out);
    assert.match(lineOf(out, `records/${BIG}`), /^FAIL /, script);
    assert.match(lineOf(out, `records/${TOKEN}.svg`), /^FAIL /, script);
    assert.match(lineOf(out, `records/${TOKEN}.png`),
      script === 'verify.mjs' ? /^FAIL .*differs from hosted/ : /^OK /, script);
  }
});

test('the CLR 2.0.1 context is used only as the pinned copy', () => {
  assert.equal(readClrContext()['@context'].ClrSubject['@id'],
    'https://purl.imsglobal.org/spec/vc/clr/vocab.html#ClrSubject');
  const other = path.join(tmp(), 'clr.json');
  fs.writeFileSync(other, fs.readFileSync(CLR_CONTEXT_FILE, 'utf8') + ' ');
  assert.throws(() => readClrContext(other), /is not the CLR 2\.0\.1 context/);
  const {code, out} = run('verify.mjs', SITE, '--clr-context', other);
  assert.equal(code, 2, out);
});
