#!/usr/bin/env node
// Dev/test aid: build a tiny credsite-shaped site with the Digital Bazaar stack.
//
//   node interop/make-fixture.mjs OUT_DIR [BASE_URL] [--no-images]
//
// Writes did.json, status/1.json (revocation list) and credentials/TOKEN.json
// (proof set [eddsa-rdfc-2022]), each with its detached eddsa-jcs-2022 proof
// beside it as credsite publishes them (X.jcs-proof.jsonld, signed over the
// same unsecured document with the same key), for the TOKENS below:
//   fixture-valid            current
//   fixture-revoked          current, revocation bit set
//   fixture-expired          validUntil in the past
//   fixture-expired-revoked  validUntil in the past and revocation bit set
//   fixture-future           validFrom in the future (2099)
// plus baked credentials/fixture-valid.png|.svg unless --no-images. Prints a JSON summary. The status bitstring is encoded here
// with node:zlib (not the status-list library) as an independent cross-check.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import {pathToFileURL} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {createSignCryptosuite as eddsaJcs2022Sign} from
  '@digitalbazaar/eddsa-jcs-2022-cryptosuite';
import {OB_CONTEXT_URL, detachedProofPath, loadContexts, makeDocumentLoader} from
  './verify.mjs';

const VC2 = 'https://www.w3.org/ns/credentials/v2';
const DATE = '2025-03-01T00:00:00Z';
const LIST_BITS = 131072;
export const TOKENS = {
  valid: 'fixture-valid',
  revoked: 'fixture-revoked',
  expired: 'fixture-expired',
  expiredRevoked: 'fixture-expired-revoked',
  future: 'fixture-future'
};
// the status each token must verify with
export const EXPECTED = {
  [TOKENS.valid]: 'valid',
  [TOKENS.revoked]: 'revoked',
  [TOKENS.expired]: 'expired',
  [TOKENS.expiredRevoked]: 'revoked', // revocation outranks expiry
  [TOKENS.future]: 'not-yet-valid'
};
const INDEX = {
  [TOKENS.valid]: 94567, [TOKENS.revoked]: 4711, [TOKENS.expired]: 1234,
  [TOKENS.expiredRevoked]: 5, [TOKENS.future]: 131071
};
const REVOKED = [TOKENS.revoked, TOKENS.expiredRevoked];
// validity window per token (signing date = validFrom, capped at DATE)
const WINDOW = {
  [TOKENS.expired]: {validFrom: '2024-01-01T00:00:00Z',
    validUntil: '2025-01-01T00:00:00Z'},
  [TOKENS.expiredRevoked]: {validFrom: '2024-01-01T00:00:00Z',
    validUntil: '2025-01-01T00:00:00Z'},
  [TOKENS.future]: {validFrom: '2099-01-01T00:00:00Z'}
};

// did:web for a BASE_URL: https://host/a/b/ -> did:web:host:a:b
export function didForBaseUrl(baseUrl) {
  const u = new URL(baseUrl);
  const segs = u.pathname.split('/').filter(Boolean);
  return ['did:web', encodeURIComponent(u.host), ...segs].join(':');
}

// multibase base64url (no padding, 'u' prefix) of GZIP of an MSB-first bitstring
function encodeList(revokedIndexes) {
  const bytes = Buffer.alloc(LIST_BITS / 8);
  for(const i of revokedIndexes) {
    bytes[i >> 3] |= 0x80 >> (i % 8);
  }
  return 'u' + zlib.gzipSync(bytes).toString('base64url');
}

// sign as credsite does: the proof set [eddsa-rdfc-2022] inside the document,
// and an eddsa-jcs-2022 proof over the same unsecured document, detached
async function signWithDetached({credential, key, documentLoader, date = DATE}) {
  const sign = async cryptosuite => vc.issue({
    credential: structuredClone(credential), documentLoader,
    suite: new DataIntegrityProof({signer: key.signer(), cryptosuite, date})
  });
  const signed = await sign(eddsaRdfc2022);
  signed.proof = [].concat(signed.proof);
  const {proof: detached} = await sign(eddsaJcs2022Sign());
  return {signed, detached};
}

// minimal 1x1 PNG with an uncompressed iTXt `openbadgecredential` chunk
function bakePng(json) {
  const crcTable = Array.from({length: 256}, (_, n) => {
    for(let k = 0; k < 8; k++) {
      n = n & 1 ? 0xedb88320 ^ (n >>> 1) : n >>> 1;
    }
    return n >>> 0;
  });
  const crc32 = buf => {
    let c = 0xffffffff;
    for(const b of buf) {
      c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    }
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc32(td), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]);
  const idat = zlib.deflateSync(Buffer.from([0, 0x33, 0x66, 0x99, 0xff]));
  const itxt = Buffer.concat([
    Buffer.from('openbadgecredential\0\0\0\0\0', 'latin1'),
    Buffer.from(json, 'utf8')
  ]);
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', ihdr), chunk('iTXt', itxt), chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0))
  ]);
}

function bakeSvg(json) {
  return '<svg xmlns="http://www.w3.org/2000/svg" ' +
    'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" viewBox="0 0 8 8">\n' +
    `<openbadges:credential><![CDATA[${json}]]></openbadges:credential>\n` +
    '<rect width="8" height="8" fill="#369"/>\n</svg>\n';
}

export async function makeFixture({
  dir, baseUrl = 'https://example.github.io/credentials/', images = true
}) {
  baseUrl = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const did = didForBaseUrl(baseUrl);
  const documentLoader = makeDocumentLoader(
    {siteDir: dir, baseUrl, contexts: loadContexts()});
  const write = (rel, data) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), {recursive: true});
    fs.writeFileSync(file, typeof data === 'string' || Buffer.isBuffer(data) ?
      data : JSON.stringify(data, null, 2) + '\n');
  };

  // deterministic key; VM id = DID + '#' + publicKeyMultibase
  const seed = crypto.createHash('sha256').update('credsite interop').digest();
  const {publicKeyMultibase} = await Ed25519Multikey.generate({seed});
  const vmId = `${did}#${publicKeyMultibase}`;
  const key = await Ed25519Multikey.generate({seed, id: vmId, controller: did});

  // DID document (did:web path form -> BASE_URL/did.json)
  write('did.json', {
    '@context': ['https://www.w3.org/ns/did/v1',
      'https://w3id.org/security/multikey/v1'],
    id: did,
    verificationMethod: [
      {id: vmId, type: 'Multikey', controller: did, publicKeyMultibase}],
    assertionMethod: [vmId],
    authentication: [vmId]
  });

  // revocation status list with the revoked credential's index set
  const listUrl = `${baseUrl}status/1.json`;
  const writeSigned = (rel, {signed, detached}) => {
    write(rel, signed);
    write(detachedProofPath(rel), detached);
    return signed;
  };
  writeSigned('status/1.json', await signWithDetached({key, documentLoader, credential: {
    '@context': [VC2],
    id: listUrl,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: did,
    validFrom: DATE,
    credentialSubject: {
      id: `${listUrl}#list`, type: 'BitstringStatusList',
      statusPurpose: 'revocation',
      encodedList: encodeList(REVOKED.map(t => INDEX[t]))
    }
  }}));

  // OpenBadgeCredentials shaped like standards.md §1.13
  const salt = 'fixture-salt';
  const identityHash = 'sha256$' + crypto.createHash('sha256')
    .update('learner@example.org' + salt).digest('hex');
  for(const token of Object.values(TOKENS)) {
    const index = String(INDEX[token]);
    const {validFrom = DATE, validUntil} = WINDOW[token] || {};
    // vc.issue() checks only the format of dates, so any window can be signed;
    // proofs are dated at validFrom when that is earlier than DATE
    const credential = writeSigned(`credentials/${token}.json`,
      await signWithDetached({key, documentLoader, date:
      validFrom < DATE ? validFrom : DATE, credential: {
      '@context': [VC2, OB_CONTEXT_URL],
      id: `${baseUrl}credentials/${token}.json`,
      type: ['VerifiableCredential', 'OpenBadgeCredential'],
      name: 'Teamwork Badge',
      issuer: {id: did, type: ['Profile'], name: 'Example Org',
        url: 'https://example.org'},
      validFrom,
      ...(validUntil ? {validUntil} : {}),
      credentialSubject: {
        type: ['AchievementSubject'],
        identifier: [{type: 'IdentityObject', identityType: 'emailAddress',
          hashed: true, identityHash, salt}],
        achievement: {
          id: `${baseUrl}achievements/teamwork.json`, type: ['Achievement'],
          name: 'Teamwork', description: 'Works well with others.',
          criteria: {narrative: 'Markdown **allowed** here'},
          image: {id: `${baseUrl}images/teamwork.png`, type: 'Image'}
        }
      },
      credentialStatus: {
        id: `${listUrl}#${index}`, type: 'BitstringStatusListEntry',
        statusPurpose: 'revocation', statusListIndex: index,
        statusListCredential: listUrl
      }
    }}));
    if(images && token === TOKENS.valid) {
      const json = JSON.stringify(credential);
      write(`credentials/${token}.png`, bakePng(json));
      write(`credentials/${token}.svg`, bakeSvg(json));
    }
  }
  return {siteDir: dir, baseUrl, did, ...TOKENS};
}

if(process.argv[1] &&
  import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  const pos = args.filter(a => !a.startsWith('--'));
  if(pos.length < 1) {
    console.error('usage: make-fixture.mjs OUT_DIR [BASE_URL] [--no-images]');
    process.exit(2);
  }
  const info = await makeFixture({
    dir: pos[0], baseUrl: pos[1], images: !args.includes('--no-images')
  });
  console.log(JSON.stringify(info));
}
