#!/usr/bin/env node
// The reference signer of bench/build_bench.py: Digital Bazaar's stack (@digitalbazaar/vc,
// @digitalbazaar/data-integrity, @digitalbazaar/eddsa-rdfc-2022-cryptosuite and
// @digitalbazaar/ed25519-multikey, the packages of interop/, installed with
// `npm ci --prefix interop`) signs the given credentials one after another, as
// interop/make-fixture.mjs signs them, with a document loader over the given contexts only.
//
//   node bench/node_sign.mjs JOBS.json PROOFS.json
//
// JOBS.json: {"seed": "<64 hex>", "contexts": {"<url>": <context document>, ...},
//             "jobs": [{"credential": {...}, "verificationMethod": "...", "created": "..."}, ...]}
// Writes the proofValue of each credential's eddsa-rdfc-2022 proof to PROOFS.json (a JSON
// array, in order) and prints {"signed": N, "seconds": S, "perSecond": N / S, "cpuSeconds": C,
// "perCpuSecond": N / C}. The clocks run from the first credential to the last (keys and
// contexts are ready before).
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const INTEROP = path.join(
  path.dirname(fileURLToPath(import.meta.url)), '..', 'interop');

// import a package installed in interop/node_modules (this script lives outside interop/)
async function load(name) {
  const dir = path.join(INTEROP, 'node_modules', ...name.split('/'));
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  let entry = pkg.exports;
  while(entry && typeof entry === 'object') {
    entry = entry['.'] ?? entry.import ?? entry.default ?? entry.node;
  }
  entry = entry ?? pkg.module ?? pkg.main ?? 'index.js';
  return import(pathToFileURL(path.join(dir, entry)).href);
}

const vc = await load('@digitalbazaar/vc');
const Ed25519Multikey = await load('@digitalbazaar/ed25519-multikey');
const {DataIntegrityProof} = await load('@digitalbazaar/data-integrity');
const {cryptosuite: eddsaRdfc2022} =
  await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');

// Nothing here may touch the network.
globalThis.fetch = async url => {
  throw new Error(`network access attempted: ${url}`);
};

const [jobsFile, proofsFile] = process.argv.slice(2);
if(!jobsFile || !proofsFile) {
  console.error('usage: node_sign.mjs JOBS.json PROOFS.json');
  process.exit(2);
}
const {seed, contexts, jobs} = JSON.parse(fs.readFileSync(jobsFile, 'utf8'));

const documentLoader = async url => {
  const document = contexts[url];
  if(!document) {
    throw new Error(`context not bundled: ${url}`);
  }
  return {contextUrl: null, documentUrl: url, document};
};

// one key per verification method (the bench uses one)
const seedBytes = Uint8Array.from(Buffer.from(seed, 'hex'));
const signers = new Map();
for(const {verificationMethod} of jobs) {
  if(!signers.has(verificationMethod)) {
    const controller = verificationMethod.split('#')[0];
    const key = await Ed25519Multikey.generate(
      {seed: seedBytes, id: verificationMethod, controller});
    signers.set(verificationMethod, key.signer());
  }
}

const proofValues = [];
const started = performance.now();
const cpu = process.cpuUsage();
for(const {credential, verificationMethod, created} of jobs) {
  const suite = new DataIntegrityProof({
    signer: signers.get(verificationMethod), cryptosuite: eddsaRdfc2022,
    date: created
  });
  const signed = await vc.issue({credential, suite, documentLoader});
  const proofs = Array.isArray(signed.proof) ? signed.proof : [signed.proof];
  proofValues.push(proofs[proofs.length - 1].proofValue);
}
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;

fs.writeFileSync(proofsFile, JSON.stringify(proofValues));
console.log(JSON.stringify({
  signed: jobs.length, seconds, perSecond: jobs.length / seconds,
  cpuSeconds, perCpuSecond: jobs.length / cpuSeconds
}));
