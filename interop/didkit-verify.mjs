#!/usr/bin/env node
// Second independent interop check for a built credsite site: LearnCard's
// verifier, SpruceID didkit compiled to WebAssembly (npm
// @learncard/didkit-plugin, the same didkit_wasm_bg.wasm the LearnCard wallet
// loads), called the way the wallet calls it. No credsite code. Fully offline:
// the global fetch serves SITE_DIR for BASE_URL and refuses everything else;
// JSON-LD contexts come from the ones compiled into the WASM, else from
// SITE_DIR, else the credential fails.
//
//   node interop/didkit-verify.mjs SITE_DIR BASE_URL
//                                  [--expect-status TOKEN=STATUS ...] [--only-rdfc]
//
// Verifies, exactly as published, every credentials/*.json, the credential
// baked into every credentials/*.png (iTXt openbadgecredential) and
// credentials/*.svg (openbadges:credential), every endorsements/*.json
// (EndorsementCredentials of endorsers on the site), every status list
// credential (status/*.json, and issuers/*/status/*.json of further issuers),
// and every learner record records/*.json and the record
// baked into records/*.png (iTXt clrcredential) and records/*.svg
// (clr:credential): its own proof, then the proof of every credential nested
// in it, with `checks: ['proof']`. Prints `OK <file> ...` or
// `FAIL <file> <reason>` per file, then `didkit: N passed, M failed`.
// Exit code 1 if anything failed, 2 on a usage error.
//
// Status is NOT judged here: didkit 1.9.10 reads Bitstring Status List bits
// least-significant bit first, against the spec (credsite writes them
// most-significant first, as the spec says), so its revoked/suspended answer is
// wrong for most indexes. For each credential that passes, what didkit says
// about its status (a second call with `checks: ['credentialStatus']`) is
// printed for information only, next to the status --expect-status gives.
// --expect-status is otherwise only used to check the TOKEN is published.
// See docs/interop.md, "LearnCard / didkit".
//
// The CLR 2.0.1 context: didkit 1.9.10 compiles in the older CLR 2.0 context
// (https://purl.imsglobal.org/spec/clr/v2p0/context.json) but not
// context-2.0.1.json, so resolveDocument serves it from credsite's bundled copy
// (a data file, verbatim from 1EdTech's validator, sha256-pinned in
// verify.mjs), the way a wallet would load it from its URL.
//
// --only-rdfc (diagnostic): keep only the eddsa-rdfc-2022 proof (as a single
// proof object) of every credential and status list, including the lists
// served to didkit's status check. didkit 1.9.10 refuses a whole proof set that
// contains an eddsa-jcs-2022 proof ("data did not match any variant of
// untagged enum OneOrMany"); this shows whether the rest verifies. credsite
// publishes the proof set [eddsa-rdfc-2022] only (its eddsa-jcs-2022 proof is
// detached, in X.jcs-proof.jsonld, which didkit is not given), so CI never
// needs it; it remains for sites built before that.
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {pathToFileURL} from 'node:url';

import {getDidKitPlugin} from '@learncard/didkit-plugin';
import {CLR_CONTEXT_URL, CLR_NAMESPACE, STATUSES, extractPng, extractSvg,
  readClrContext, urlToFile} from './verify.mjs';

const RDFC = 'eddsa-rdfc-2022';

// ---------------------------------------------------------------- offline

// Keep only the eddsa-rdfc-2022 proof, as an object (the --only-rdfc
// diagnostic). Returns a copy; throws unless there is exactly one.
export function keepOnlyRdfc(credential) {
  const rdfc = [].concat(credential.proof ?? [])
    .filter(p => p?.cryptosuite === RDFC);
  if(rdfc.length !== 1) {
    throw new Error(`--only-rdfc: ${rdfc.length} ${RDFC} proofs`);
  }
  return {...credential, proof: rdfc[0]};
}

// A fetch that answers from siteDir for URLs under baseUrl (404 if the file
// is missing) and refuses everything else. Every Response carries its url
// (the WASM panics on an empty one). `transform(url, text)` may rewrite a
// served JSON body (--only-rdfc). `log` collects refused URLs.
export function makeFetch({siteDir, baseUrl, transform, log = []}) {
  return async function fetch(input) {
    const url = typeof input === 'string' ? input :
      input instanceof URL ? input.href : input.url;
    let file;
    try {
      file = urlToFile({url, siteDir, baseUrl});
    } catch(e) {
      log.push(url);
      throw new TypeError(`offline: refused ${url} (${e.message})`);
    }
    let response;
    if(fs.existsSync(file) && fs.statSync(file).isFile()) {
      let body = fs.readFileSync(file, 'utf8');
      if(transform) {
        body = transform(url, body);
      }
      response = new Response(body, {status: 200, headers: {
        'content-type': file.endsWith('.json') ?
          'application/json' : 'application/octet-stream'
      }});
    } else {
      response = new Response('not found', {status: 404});
    }
    Object.defineProperty(response, 'url', {value: url});
    return response;
  };
}

// The plugin, instantiated from the bytes of the WASM file in the package,
// and a minimal `learnCard` whose resolveDocument asks the contexts compiled
// into the WASM first, then the CLR 2.0.1 context (see the header), then
// siteDir (URLs under baseUrl), else throws.
export async function loadDidKit({siteDir, baseUrl}) {
  const bundled = new Map([[CLR_CONTEXT_URL, readClrContext()]]);
  const require = createRequire(import.meta.url);
  const wasmFile =
    require.resolve('@learncard/didkit-plugin/dist/didkit_wasm_bg.wasm');
  const plugin = await getDidKitPlugin(fs.readFileSync(wasmFile));
  const learnCard = {
    debug: () => {},
    context: {
      async resolveDocument(uri) {
        const doc = await plugin.context.resolveStaticDocument(learnCard, uri);
        if(doc) {
          return doc;
        }
        if(bundled.has(uri)) {
          return structuredClone(bundled.get(uri));
        }
        let file;
        try {
          file = urlToFile({url: uri, siteDir, baseUrl});
        } catch {
          throw new Error(`context not available offline: ${uri}`);
        }
        if(!fs.existsSync(file)) {
          throw new Error(`context not found in site: ${uri}`);
        }
        return JSON.parse(fs.readFileSync(file, 'utf8'));
      }
    }
  };
  return {plugin, learnCard, wasmFile};
}

// ---------------------------------------------------------------- verify

const errMsg = e => (e?.message ?? String(e)).replace(/\s+/g, ' ').trim();

// Proofs, the way the wallet asks: {checks: ['proof']}. Returns {ok, reason?,
// warnings}. didkit answers {checks, warnings, errors}; any error fails, and so
// does an answer that does not say the proof was checked.
export async function verifyProof({plugin, learnCard, credential}) {
  let result;
  try {
    result = await plugin.methods.verifyCredential(
      learnCard, credential, {checks: ['proof']});
  } catch(e) {
    return {ok: false, reason: errMsg(e), warnings: []};
  }
  const warnings = result?.warnings ?? [];
  if(!Array.isArray(result?.errors)) {
    return {ok: false, reason: `unexpected answer ${JSON.stringify(result)}`,
      warnings};
  }
  if(result.errors.length) {
    return {ok: false, reason: result.errors.join('; '), warnings};
  }
  if(!(result.checks ?? []).includes('proof')) {
    return {ok: false, reason: `proof not checked (checks: ` +
      `${JSON.stringify(result.checks)})`, warnings};
  }
  return {ok: true, warnings};
}

// What didkit says about the credential's status (informational, never
// decides pass/fail: see the header). Returns one line of text.
export async function didkitStatus({plugin, learnCard, credential}) {
  if(!credential.credentialStatus) {
    return 'no credentialStatus';
  }
  let result;
  try {
    result = await plugin.methods.verifyCredential(
      learnCard, credential, {checks: ['credentialStatus']});
  } catch(e) {
    return `error: ${errMsg(e)}`;
  }
  const parts = (result?.status ?? []).map(s =>
    `${s.statusPurpose}[${s.statusListIndex}] ${s.isSet ? 'set' : 'clear'}`);
  for(const e of result?.errors ?? []) {
    parts.push(`error: ${errMsg(e)}`);
  }
  return parts.length ? parts.join(', ') : 'nothing reported';
}

// ---------------------------------------------------------------- main

function parseArgs(argv) {
  const args = {expect: new Map(), positional: [], onlyRdfc: false};
  for(let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if(a === '--expect-status') {
      const [token, status] = (argv[++i] || '').split('=');
      if(!token || !STATUSES.includes(status)) {
        throw new Error(`bad --expect-status ${argv[i]}`);
      }
      args.expect.set(token, status);
    } else if(a === '--only-rdfc') {
      args.onlyRdfc = true;
    } else if(a.startsWith('--')) {
      throw new Error(`unknown option ${a}`);
    } else {
      args.positional.push(a);
    }
  }
  if(args.positional.length !== 2) {
    throw new Error('usage: didkit-verify.mjs SITE_DIR BASE_URL ' +
      '[--expect-status TOKEN=STATUS ...] [--only-rdfc]\n' +
      `STATUS is one of ${STATUSES.join(', ')}`);
  }
  [args.siteDir, args.baseUrl] = args.positional;
  if(!args.baseUrl.endsWith('/')) {
    args.baseUrl += '/';
  }
  return args;
}

const listJson = dir => fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];

export async function main(argv) {
  const {siteDir, baseUrl, expect, onlyRdfc} = parseArgs(argv);
  const refused = [];
  const statusDir = path.join(siteDir, 'status');
  // --only-rdfc also rewrites the status lists didkit fetches for its
  // (informational) status check; nothing else is ever rewritten
  const transform = onlyRdfc ? (url, body) => {
    const file = urlToFile({url, siteDir, baseUrl});
    if(path.dirname(file) !== path.resolve(statusDir)) {
      return body;
    }
    try {
      return JSON.stringify(keepOnlyRdfc(JSON.parse(body)));
    } catch {
      return body;
    }
  } : undefined;
  globalThis.fetch = makeFetch({siteDir, baseUrl, transform, log: refused});
  const {plugin, learnCard} = await loadDidKit({siteDir, baseUrl});
  if(onlyRdfc) {
    console.log(`didkit: --only-rdfc: every proof set reduced to its ${RDFC} ` +
      'proof (diagnostic, not the published credentials)');
  }

  let passed = 0;
  let failed = 0;
  const report = (file, r) => {
    if(r.ok) {
      passed++;
      console.log(`OK ${file}${r.info ? ` ${r.info}` : ''}`);
    } else {
      failed++;
      console.log(`FAIL ${file} ${r.reason}`);
    }
  };
  const statusCache = new Map();
  // `load` returns the credential object as published
  const check = async ({rel, load, token, status = true}) => {
    let credential;
    try {
      credential = load();
      if(onlyRdfc) {
        credential = keepOnlyRdfc(credential);
      }
    } catch(e) {
      return report(rel, {ok: false, reason: errMsg(e)});
    }
    const before = refused.length;
    let r;
    try {
      r = await verifyProof({plugin, learnCard, credential});
    } catch(e) { // a WASM panic lands here
      r = {ok: false, reason: errMsg(e), warnings: []};
    }
    if(refused.length > before) {
      const urls = refused.slice(before).join(', ');
      r = r.ok ? {ok: false, reason: `network access refused: ${urls}`} :
        {...r, reason: `${r.reason} (network access refused: ${urls})`};
    }
    if(r.ok) {
      const info = ['proof ok'];
      if(r.warnings.length) {
        info.push(`warnings: ${r.warnings.join('; ')}`);
      }
      if(status) {
        // one question per status entry: a baked image repeats its hosted one
        const key = JSON.stringify(credential.credentialStatus ?? null);
        if(!statusCache.has(key)) {
          statusCache.set(key, didkitStatus({plugin, learnCard, credential})
            .catch(e => `error: ${errMsg(e)}`));
        }
        const s = await statusCache.get(key);
        const want = expect.get(token);
        info.push(`[status, informational: didkit says ${s}` +
          `${want ? `; expected ${want}` : ''}]`);
      }
      r.info = info.join('; ');
    }
    report(rel, r);
  };

  const credDir = path.join(siteDir, 'credentials');
  const files = listJson(credDir);
  const readJson = file => JSON.parse(fs.readFileSync(file, 'utf8'));

  // hosted credentials, exactly as published
  const hosted = new Set();
  for(const f of files.filter(f => f.endsWith('.json'))) {
    const token = f.slice(0, -'.json'.length);
    hosted.add(token);
    await check({rel: `credentials/${f}`, token,
      load: () => readJson(path.join(credDir, f))});
  }
  // hosted endorsements, exactly as published (--expect-status may name them)
  const endorsementDir = path.join(siteDir, 'endorsements');
  const endorsements = listJson(endorsementDir).filter(f => f.endsWith('.json'));
  for(const f of endorsements) {
    const token = f.slice(0, -'.json'.length);
    hosted.add(token);
    await check({rel: `endorsements/${f}`, token,
      load: () => readJson(path.join(endorsementDir, f))});
  }
  // baked images: the embedded credential, as embedded
  const images = files.filter(f => /\.(png|svg)$/.test(f));
  for(const f of images) {
    const token = f.replace(/\.(png|svg)$/, '');
    await check({rel: `credentials/${f}`, token, load: () => {
      const buf = fs.readFileSync(path.join(credDir, f));
      return JSON.parse(f.endsWith('.png') ?
        extractPng(buf) : extractSvg(buf.toString('utf8')));
    }});
  }
  // learner records: the record's proof, then each nested credential's proof
  const recDir = path.join(siteDir, 'records');
  const recFiles = listJson(recDir);
  const checkRecord = async ({rel, load, token}) => {
    let record;
    try {
      record = load();
    } catch(e) {
      return report(rel, {ok: false, reason: errMsg(e)});
    }
    const parts = [{what: 'record', credential: record},
      ...[].concat(record.credentialSubject?.verifiableCredential ?? [])
        .map((vc, i) => ({what: `credential ${i + 1}`, credential: vc}))];
    if(parts.length < 2) {
      return report(rel, {ok: false, reason: 'the record holds no credential'});
    }
    for(const {what, credential} of parts) {
      let r;
      try {
        r = await verifyProof({plugin, learnCard,
          credential: onlyRdfc ? keepOnlyRdfc(credential) : credential});
      } catch(e) {
        r = {ok: false, reason: errMsg(e)};
      }
      if(!r.ok) {
        return report(rel, {ok: false, reason: `${what}: ${r.reason}`});
      }
    }
    const want = expect.get(token);
    report(rel, {ok: true, info: `proof ok; ${parts.length - 1} nested ` +
      `credential proof${parts.length === 2 ? '' : 's'} ok` +
      `${want ? ` [expected ${want}]` : ''}`});
  };
  const recordTokens = new Set();
  for(const f of recFiles.filter(f => f.endsWith('.json'))) {
    const token = f.slice(0, -'.json'.length);
    recordTokens.add(token);
    await checkRecord({rel: `records/${f}`, token,
      load: () => readJson(path.join(recDir, f))});
  }
  const recImages = recFiles.filter(f => /\.(png|svg)$/.test(f));
  for(const f of recImages) {
    const token = f.replace(/\.(png|svg)$/, '');
    await checkRecord({rel: `records/${f}`, token, load: () => {
      const buf = fs.readFileSync(path.join(recDir, f));
      return JSON.parse(f.endsWith('.png') ? extractPng(buf, 'clrcredential') :
        extractSvg(buf.toString('utf8'), CLR_NAMESPACE));
    }});
  }

  // status list credentials: the primary issuer's, then each further issuer's
  const issuersDir = path.join(siteDir, 'issuers');
  const listDirs = [['status', statusDir],
    ...listJson(issuersDir).map(slug => [`issuers/${slug}/status`,
      path.join(issuersDir, slug, 'status')])
      .filter(([, dir]) => fs.existsSync(dir) && fs.statSync(dir).isDirectory())];
  const lists = [];
  for(const [rel, dir] of listDirs) {
    for(const f of listJson(dir).filter(f => f.endsWith('.json'))) {
      lists.push(f);
      await check({rel: `${rel}/${f}`, status: false,
        load: () => readJson(path.join(dir, f))});
    }
  }
  for(const token of expect.keys()) {
    if(!hosted.has(token) && !recordTokens.has(token)) {
      report(`credentials/${token}.json`,
        {ok: false, reason: 'not found (--expect-status)'});
    }
  }
  if(passed + failed === 0) {
    report(siteDir, {ok: false,
      reason: 'nothing to verify (no credentials/*.json, *.png, *.svg, status/*.json)'});
  }
  const nPng = images.filter(f => f.endsWith('.png')).length;
  console.log(`didkit: checked ${hosted.size - endorsements.length} hosted, ` +
    `${images.length} baked ` +
    `(${nPng} png, ${images.length - nPng} svg), ${endorsements.length} ` +
    `endorsement${endorsements.length === 1 ? '' : 's'}, ${lists.length} status ` +
    `list${lists.length === 1 ? '' : 's'}` +
    (recFiles.length ? `, ${recordTokens.size} learner records with ` +
      `${recImages.length} baked images` : ''));
  console.log('didkit: status above is informational, not judged (didkit ' +
    '1.9.10 reads status-list bits least-significant first; docs/interop.md)');
  console.log(`didkit: ${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}

if(process.argv[1] &&
  import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(code => {
    process.exitCode = code;
  }, e => {
    console.error(`didkit: error: ${e.message}`);
    process.exitCode = 2;
  });
}
