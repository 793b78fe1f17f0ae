/* credsite in-browser verifier: checks the credential this page shows, with nothing but the
 * browser's own APIs (WebCrypto Ed25519 and SHA-256, DecompressionStream, fetch). No third-party
 * code, no outside service.
 *
 * What it checks (the same steps as `credsite verify`, docs/themes.md "Live verification"):
 *  1. the credential JSON (fetched from this site, never inlined) is for this page;
 *  2. its detached eddsa-jcs-2022 proof, published beside it (credentials/TOKEN.jcs-proof.jsonld),
 *     over the credential without its proof set (RFC 8785 JCS + SHA-256 + Ed25519, W3C
 *     vc-di-eddsa §3.3), with the key from the issuer's did:web DID document: document id == DID,
 *     the method is listed in verificationMethod and assertionMethod, and its controller is the
 *     issuer; and that the proof set inside the credential (eddsa-rdfc-2022, what wallets check)
 *     names that same key;
 *  3. each BitstringStatusListEntry: the list credential's detached proof and proof set the same
 *     way, its issuer, then the bit (MSB first) at statusListIndex of the GZIP'd, base64url
 *     multibase list;
 *  4. validFrom / validUntil against this computer's clock;
 *  5. the page itself: every element marked data-vc="<JSON path>" shows the signed value at that
 *     path (and with data-check-page="all", every signed value the page must show has one).
 * A learner record (CLR 2.0 ClrCredential, records/<token>.json) gets 1, 2 and 4 for itself (it has
 * no status of its own), then, for every credential nested in it: that it is the credential this
 * site publishes at its id, and 2, 3 and 4 for it (an expired one is only noted: a transcript keeps
 * what was earned); its page is marked data-check-page="record".
 * (The eddsa-rdfc-2022 proofValue needs a JSON-LD processor: `credsite verify`, the wallets and
 * the verifiers linked from the page check it.)
 *
 * URLs: the page may be served from the real site or from a copy (localhost, a preview). Every
 * absolute URL under the site's base (the credential id minus "credentials/<token>.json") is read
 * from the same place under this page's own root instead, so a copy checks its own files, and the
 * result says when the page is not on the issuer's own address.
 *
 * The outcome is written to the element's data-verification attribute: pending, then verified,
 * revoked, suspended, expired, not-yet-valid, failed, or unsupported (this browser cannot check:
 * no Ed25519 in WebCrypto, no DecompressionStream, or the files could not be reached).
 */
(function () {
  'use strict';

  var VC_V2 = 'https://www.w3.org/ns/credentials/v2';
  var JCS_SUITE = 'eddsa-jcs-2022';
  var RDFC_SUITE = 'eddsa-rdfc-2022';
  // Beside every signed document X.json the page checks: X.jcs-proof.jsonld, its detached proof
  // (credsite.issuing.urls.detached_proof_path makes the same name).
  var DETACHED_SUFFIX = '.jcs-proof.jsonld';
  var MIN_ENTRIES = 131072;
  var B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  var DATETIME = /^-?\d{4,}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]((0\d|1[0-3]):[0-5]\d|14:00))$/;
  // RFC 8032 §7.1 test 1: the empty message, to learn whether WebCrypto has Ed25519 at all.
  var PROBE_KEY = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  var PROBE_SIG = 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b';

  /** Thrown when this browser or this way of opening the page cannot check. */
  function Unsupported(message) { this.message = message; }

  // -- encodings ------------------------------------------------------------------------------

  /** RFC 8785 JSON Canonicalization Scheme for parsed JSON (ECMAScript number and string forms). */
  function jcs(value) {
    if (value === null || typeof value === 'boolean' || typeof value === 'string') {
      return JSON.stringify(value);
    }
    if (typeof value === 'number') {
      if (!isFinite(value)) throw new Error('JCS: number is not finite');
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return '[' + value.map(jcs).join(',') + ']';
    if (typeof value === 'object') {
      // Array.prototype.sort compares UTF-16 code units, as RFC 8785 §3.2.3 requires.
      return '{' + Object.keys(value).sort().map(function (k) {
        return JSON.stringify(k) + ':' + jcs(value[k]);
      }).join(',') + '}';
    }
    throw new Error('JCS: unsupported value');
  }

  function utf8(text) { return new TextEncoder().encode(text); }

  function hexBytes(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }

  function base58btcDecode(text) {
    var bytes = [];
    for (var i = 0; i < text.length; i++) {
      var carry = B58.indexOf(text[i]);
      if (carry < 0) throw new Error('not base58btc');
      for (var j = 0; j < bytes.length; j++) {
        carry += bytes[j] * 58;
        bytes[j] = carry & 0xff;
        carry >>= 8;
      }
      while (carry > 0) { bytes.push(carry & 0xff); carry >>= 8; }
    }
    for (var k = 0; k < text.length && text[k] === '1'; k++) bytes.push(0);
    return new Uint8Array(bytes.reverse());
  }

  function base64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error('not base64url');
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var binary = atob(b64);
    var out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  /** Multibase: "z" base58btc or "u" base64url without padding. */
  function multibaseDecode(text) {
    if (typeof text !== 'string' || !text) throw new Error('not a multibase string');
    if (text[0] === 'z') return base58btcDecode(text.slice(1));
    if (text[0] === 'u') return base64urlDecode(text.slice(1));
    throw new Error('unsupported multibase prefix ' + JSON.stringify(text[0]));
  }

  /** An Ed25519 Multikey ("z6Mk...": 0xed 0x01 + 32 bytes) -> the raw 32-byte public key. */
  function multikeyPublic(text) {
    var bytes = multibaseDecode(text);
    if (bytes.length !== 34 || bytes[0] !== 0xed || bytes[1] !== 0x01) {
      throw new Error('not an Ed25519 Multikey');
    }
    return bytes.slice(2);
  }

  function concat(a, b) {
    var out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }

  async function gunzip(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // -- capabilities ---------------------------------------------------------------------------

  async function checkSupport() {
    if (!window.crypto || !crypto.subtle) {
      throw new Unsupported('this page is not in a secure context, so the browser offers no WebCrypto');
    }
    if (typeof DecompressionStream === 'undefined') {
      throw new Unsupported('this browser cannot decompress the revocation list (no DecompressionStream)');
    }
    var ok = false;
    try {
      var key = await crypto.subtle.importKey('raw', hexBytes(PROBE_KEY), { name: 'Ed25519' }, false, ['verify']);
      ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, hexBytes(PROBE_SIG), new Uint8Array(0));
    } catch (e) {
      ok = false;
    }
    if (!ok) throw new Unsupported('this browser cannot check Ed25519 signatures');
  }

  // -- proofs ---------------------------------------------------------------------------------

  function asList(value) {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : [value];
  }

  function withoutProof(doc) {
    var out = {};
    Object.keys(doc).forEach(function (k) { if (k !== 'proof') out[k] = doc[k]; });
    return out;
  }

  /** Verify one eddsa-jcs-2022 proof of `document` with a raw Ed25519 key: {ok, reason}. */
  async function verifyJcsProof(document, proof, publicKey) {
    try {
      if (!proof || typeof proof !== 'object') return { ok: false, reason: 'proof is not an object' };
      if (proof.type !== 'DataIntegrityProof') return { ok: false, reason: 'proof type is not DataIntegrityProof' };
      if (proof.cryptosuite !== JCS_SUITE) return { ok: false, reason: 'cryptosuite is not ' + JCS_SUITE };
      if (proof.proofPurpose !== 'assertionMethod') return { ok: false, reason: 'proofPurpose is not assertionMethod' };
      if (typeof proof.proofValue !== 'string' || proof.proofValue[0] !== 'z') {
        return { ok: false, reason: 'proofValue is not base58btc' };
      }
      var signature = multibaseDecode(proof.proofValue);
      if (signature.length !== 64) return { ok: false, reason: 'proofValue is not a 64-byte signature' };
      var options = {};
      Object.keys(proof).forEach(function (k) { if (k !== 'proofValue') options[k] = proof[k]; });
      var unsecured = withoutProof(document);
      if ('@context' in options) {
        var proofContext = asList(options['@context']);
        var docContext = asList(document['@context']);
        var prefix = docContext.slice(0, proofContext.length);
        if (jcs(prefix) !== jcs(proofContext)) {
          return { ok: false, reason: "the document's @context does not start with the proof's" };
        }
        unsecured['@context'] = options['@context'];
      }
      var hash = concat(await sha256(utf8(jcs(options))), await sha256(utf8(jcs(unsecured))));
      var key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false, ['verify']);
      var ok = await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, hash);
      return ok
        ? { ok: true, reason: 'signature verified' }
        : { ok: false, reason: 'the signature does not match: the file was changed after it was signed, or signed with another key' };
    } catch (e) {
      return { ok: false, reason: 'cannot verify the proof: ' + e.message };
    }
  }

  /** X.json -> X.jcs-proof.jsonld: where the detached proof of a signed document is published. */
  function detachedProofUrl(url) {
    var match = /^([^?#]*)\.json$/.exec(url);
    if (!match) throw new Error(url + ' does not end in .json, so it has no detached proof');
    return match[1] + DETACHED_SUFFIX;
  }

  function didDocumentUrl(did) {
    if (typeof did !== 'string' || did.indexOf('did:web:') !== 0) throw new Error('not a did:web DID');
    if (/[#?\/]/.test(did)) throw new Error('a DID URL, not a DID');
    var parts = did.slice(8).split(':');
    var host = parts[0];
    var segments = parts.slice(1);
    if (!host || segments.some(function (s) { return !s; })) throw new Error('malformed did:web DID');
    host = host.replace(/%3A/gi, ':');
    return 'https://' + host + '/' + (segments.length ? segments.join('/') : '.well-known') + '/did.json';
  }

  function issuerId(doc) {
    var issuer = doc && doc.issuer;
    if (issuer && typeof issuer === 'object') issuer = issuer.id;
    return typeof issuer === 'string' && issuer ? issuer : null;
  }

  function matchesVm(entry, did, vm) {
    var ref = entry && typeof entry === 'object' ? entry.id : entry;
    return typeof ref === 'string' && (ref === vm || (ref[0] === '#' && did + ref === vm));
  }

  // -- the verifier ---------------------------------------------------------------------------

  /**
   * Verify the credential at `credentialUrl`; `path` is its path under the site root
   * ("credentials/<token>.json") and `rootUrl` the absolute URL of this copy's root.
   * Returns {status, checks: [{name, ok, message, outcome}], credential, base, onIssuerSite}.
   */
  async function verifyCredential(credentialUrl, path, rootUrl, now) {
    var checks = [];
    var outcomes = {};
    var cache = {};
    var base = null;

    function add(name, ok, message, outcome) {
      checks.push({ name: name, ok: ok, message: message, outcome: outcome || null });
      if (outcome) outcomes[outcome] = true;
      else if (!ok) outcomes.failed = true;
      return ok;
    }

    function localUrl(url) {
      return base && url.indexOf(base) === 0 ? rootUrl + url.slice(base.length) : url;
    }

    async function fetchJson(url) {
      if (cache[url]) return cache[url];
      var promise = (async function () {
        var response;
        try {
          response = await fetch(localUrl(url), { cache: 'no-cache', credentials: 'omit' });
        } catch (e) {
          throw new Unsupported('could not reach ' + localUrl(url) + ' from here');
        }
        if (!response.ok) throw new Error(localUrl(url) + ': HTTP ' + response.status);
        try {
          return await response.json();
        } catch (e) {
          throw new Error(localUrl(url) + ' is not JSON');
        }
      })();
      cache[url] = promise;
      return promise;
    }

    async function resolveKey(vm, expectedController) {
      if (typeof vm !== 'string') return { key: null, reason: 'the proof names no verificationMethod' };
      var hash = vm.indexOf('#');
      var did = hash < 0 ? vm : vm.slice(0, hash);
      if (did.indexOf('did:key:') === 0) {
        if (did !== expectedController) return { key: null, reason: 'the key ' + did + ' is not the issuer' };
        try { return { key: multikeyPublic(did.slice(8)), reason: 'did:key' }; } catch (e) { return { key: null, reason: e.message }; }
      }
      if (hash < 0) return { key: null, reason: 'the verificationMethod has no #fragment' };
      var url;
      try { url = didDocumentUrl(did); } catch (e) { return { key: null, reason: e.message }; }
      var doc;
      try { doc = await fetchJson(url); } catch (e) {
        if (e instanceof Unsupported) throw e;
        return { key: null, reason: 'DID document: ' + e.message };
      }
      if (!doc || doc.id !== did) return { key: null, reason: 'the DID document at ' + localUrl(url) + ' is not for ' + did };
      var method = asList(doc.verificationMethod).filter(function (m) { return matchesVm(m, did, vm); })[0];
      if (!method || typeof method !== 'object') return { key: null, reason: vm + ' is not listed in the DID document' };
      if (method.type !== 'Multikey') return { key: null, reason: vm + ' is not a Multikey' };
      if (!asList(doc.assertionMethod).some(function (m) { return matchesVm(m, did, vm); })) {
        return { key: null, reason: vm + ' is not authorised for assertionMethod' };
      }
      if (method.controller !== expectedController) {
        return { key: null, reason: 'the key is controlled by ' + method.controller + ', not by the issuer ' + expectedController };
      }
      try {
        return { key: multikeyPublic(method.publicKeyMultibase), reason: 'key from ' + localUrl(url) };
      } catch (e) {
        return { key: null, reason: vm + ': ' + e.message };
      }
    }

    /**
     * Check the proofs of `doc`, fetched from `url`: its detached eddsa-jcs-2022 proof (the file
     * beside it) signs `doc` without its proof set, with a key the DID document of `controller`
     * authorises; and every proof inside `doc` (eddsa-rdfc-2022, what wallets check) names that
     * same key. True when all of that holds.
     */
    async function checkProofs(label, doc, url, controller) {
      var detached;
      try {
        detached = await fetchJson(detachedProofUrl(url));
      } catch (e) {
        if (e instanceof Unsupported) throw e;
        return add(label + 'signature', false, 'the detached ' + JCS_SUITE + ' proof could not be read: ' + e.message);
      }
      if (!detached || typeof detached !== 'object' || Array.isArray(detached)) {
        return add(label + 'signature', false, 'the detached proof is not a JSON object');
      }
      var vm = detached.verificationMethod;
      var hosted = asList(doc.proof);
      var rdfc = hosted.filter(function (p) { return p && p.cryptosuite === RDFC_SUITE; });
      var others = hosted.filter(function (p) {
        return !p || p.type !== 'DataIntegrityProof' || p.proofPurpose !== 'assertionMethod' || p.verificationMethod !== vm;
      });
      var setOk = rdfc.length > 0 && others.length === 0;
      add(label + 'proof set', setOk, setOk
        ? 'its ' + RDFC_SUITE + ' proof (what wallets check) names the same key'
        : (rdfc.length ? 'its proof set names another key or purpose than the detached proof' : 'it has no ' + RDFC_SUITE + ' proof, so wallets would refuse it'));
      var resolved = await resolveKey(vm, controller);
      if (!resolved.key) return add(label + 'issuer key', false, resolved.reason);
      add(label + 'issuer key', true, 'the key is in the issuer\u2019s DID document (' + resolved.reason + ')');
      var result = await verifyJcsProof(doc, detached, resolved.key);
      add(label + 'signature', result.ok, result.ok ? 'the ' + JCS_SUITE + ' signature matches (its detached proof, ' + localUrl(detachedProofUrl(url)) + ')' : result.reason);
      return setOk && result.ok;
    }

    function parseTime(value) {
      if (typeof value !== 'string' || !DATETIME.test(value)) return null;
      var t = Date.parse(value);
      return isNaN(t) ? null : t;
    }

    function checkDates(label, doc, required, expiredOutcome, earlyOutcome) {
      var start = null;
      if ('validFrom' in doc) {
        start = parseTime(doc.validFrom);
        if (start === null) add(label + 'validFrom', false, 'validFrom is not a date-time with a time zone');
        else if (now < start) add(label + 'validFrom', false, 'not valid before ' + doc.validFrom, earlyOutcome);
        else add(label + 'validFrom', true, 'valid from ' + doc.validFrom);
      } else if (required) {
        add(label + 'validFrom', false, 'validFrom is missing');
      }
      if ('validUntil' in doc) {
        var end = parseTime(doc.validUntil);
        if (end === null) add(label + 'validUntil', false, 'validUntil is not a date-time with a time zone');
        else if (start !== null && start > end) add(label + 'validUntil', false, 'validUntil is before validFrom');
        else if (now >= end) add(label + 'validUntil', false, 'expired at ' + doc.validUntil, expiredOutcome);
        else add(label + 'validUntil', true, 'valid until ' + doc.validUntil);
      }
    }

    async function loadStatusList(url, issuer) {
      var label = 'status list: ';
      var list;
      try { list = await fetchJson(url); } catch (e) {
        if (e instanceof Unsupported) throw e;
        add(label + 'fetch', false, e.message);
        return null;
      }
      var before = checks.length;
      var types = asList(list && list.type);
      add(label + 'type', types.indexOf('BitstringStatusListCredential') >= 0, 'the list is a BitstringStatusListCredential');
      var listIssuer = issuerId(list);
      add(label + 'issuer', listIssuer !== null && listIssuer === issuer,
        listIssuer === issuer ? 'the list is signed by the credential\u2019s issuer' : 'the list issuer ' + listIssuer + ' is not the credential issuer');
      await checkProofs(label, list, url, listIssuer);
      checkDates(label, list, false, null, null);
      var failed = checks.slice(before).some(function (c) { return !c.ok; });
      return failed ? null : list;
    }

    async function checkStatusEntry(entry, issuer, label) {
      label = label || '';
      var name = label + 'status';
      if (!entry || typeof entry !== 'object') return add(name, false, 'a credentialStatus entry is not an object');
      if (entry.type !== 'BitstringStatusListEntry') return add(name, false, 'unsupported credentialStatus type ' + entry.type);
      var purpose = entry.statusPurpose;
      var outcome = { revocation: 'revoked', suspension: 'suspended' }[purpose];
      if (!outcome) return add(name, true, 'status purpose ' + purpose + ' is not checked here');
      name = label + purpose;
      var rawIndex = entry.statusListIndex;
      if (typeof rawIndex !== 'string' || !/^[0-9]+$/.test(rawIndex)) return add(name, false, 'statusListIndex is not a base-10 string');
      var index = parseInt(rawIndex, 10);
      if ((entry.statusSize || 1) !== 1) return add(name, false, 'statusSize ' + entry.statusSize + ' is not supported');
      var url = entry.statusListCredential;
      if (typeof url !== 'string' || !url) return add(name, false, 'statusListCredential is missing');
      var key = 'status ' + url;
      if (!(key in cache)) cache[key] = loadStatusList(url, issuer);
      var list = await cache[key];
      if (!list) return add(name, false, 'the status list ' + localUrl(url) + ' could not be verified');
      var subject = list.credentialSubject;
      if (!subject || asList(subject.type).indexOf('BitstringStatusList') < 0) return add(name, false, 'the list has no BitstringStatusList');
      if (asList(subject.statusPurpose).indexOf(purpose) < 0) return add(name, false, 'the list is not a ' + purpose + ' list');
      var bits;
      try { bits = await gunzip(multibaseDecode(subject.encodedList)); } catch (e) {
        return add(name, false, 'the list cannot be decoded: ' + e.message);
      }
      var size = bits.length * 8;
      if (size < MIN_ENTRIES) return add(name, false, 'the list has ' + size + ' entries, fewer than ' + MIN_ENTRIES);
      if (index >= size) return add(name, false, 'statusListIndex ' + index + ' is outside the list');
      var set = (bits[index >> 3] & (0x80 >> (index & 7))) !== 0;
      if (set) return add(name, false, 'the issuer has ' + (outcome === 'revoked' ? 'revoked' : 'suspended') + ' this credential (bit ' + index + ' of the signed list is set)', outcome);
      return add(name, true, 'not ' + outcome + ' (bit ' + index + ' of the signed ' + purpose + ' list is clear)');
    }

    /**
     * The credentials nested in a learner record: each must be the one this site publishes at
     * its id, and verify (proofs, key, dates, status) like a credential of its own.
     */
    async function checkNested(record) {
      var nested = asList(record.credentialSubject && record.credentialSubject.verifiableCredential);
      if (!nested.length) return add('credentials', false, 'the learner record holds no credential');
      for (var i = 0; i < nested.length; i++) {
        var vc = nested[i];
        var label = 'credential ' + (i + 1) + ': ';
        if (!vc || typeof vc !== 'object' || typeof vc.id !== 'string') {
          add(label + 'credential', false, 'credential ' + (i + 1) + ' of the record has no id');
          continue;
        }
        var hosted;
        try { hosted = await fetchJson(vc.id); } catch (e) {
          if (e instanceof Unsupported) throw e;
          add(label + 'published', false, 'credential ' + (i + 1) + ' cannot be loaded from ' + localUrl(vc.id) + ': ' + e.message);
          continue;
        }
        if (jcs(hosted) !== jcs(vc)) {
          add(label + 'published', false, 'credential ' + (i + 1) + ' of the record is not the one published at ' + localUrl(vc.id));
          continue;
        }
        add(label + 'published', true, 'credential ' + (i + 1) + ' is the one published at ' + localUrl(vc.id));
        var nestedIssuer = issuerId(vc);
        if (!nestedIssuer) {
          add(label + 'issuer', false, 'credential ' + (i + 1) + ' names no issuer');
          continue;
        }
        await checkProofs(label, vc, vc.id, nestedIssuer);
        checkDates(label, vc, true, 'earlier', 'not-yet-valid');
        var statuses = asList(vc.credentialStatus);
        for (var j = 0; j < statuses.length; j++) await checkStatusEntry(statuses[j], nestedIssuer, label);
      }
    }

    var credential;
    var isRecord = false;
    try {
      credential = await fetchJson(credentialUrl);
    } catch (e) {
      if (e instanceof Unsupported) throw e;
      add('credential', false, 'cannot load the credential: ' + e.message);
      return { status: 'failed', checks: checks, credential: null };
    }
    try {
      if (!credential || typeof credential !== 'object' || Array.isArray(credential)) {
        add('credential', false, 'the credential is not a JSON object');
      } else if (typeof credential.id !== 'string' || credential.id.slice(-path.length - 1) !== '/' + path) {
        add('credential', false, 'the credential\u2019s id (' + credential.id + ') is not this page\u2019s credential');
      } else {
        base = credential.id.slice(0, -path.length);
        add('credential', true, 'the credential file belongs to this page');
        var contexts = asList(credential['@context']);
        add('format', contexts[0] === VC_V2 && asList(credential.type).indexOf('VerifiableCredential') >= 0,
          contexts[0] === VC_V2 ? 'a W3C Verifiable Credential 2.0' : 'the first @context must be ' + VC_V2);
        var issuer = issuerId(credential);
        if (!issuer) {
          add('issuer', false, 'the credential names no issuer');
        } else {
          await checkProofs('', credential, credentialUrl, issuer);
          checkDates('', credential, true, 'expired', 'not-yet-valid');
          var entries = asList(credential.credentialStatus);
          for (var i = 0; i < entries.length; i++) await checkStatusEntry(entries[i], issuer);
          isRecord = asList(credential.type).indexOf('ClrCredential') >= 0;
          if (isRecord) await checkNested(credential);
        }
      }
    } catch (e) {
      if (e instanceof Unsupported) throw e;
      add('internal', false, 'verification stopped: ' + e.message);
    }
    var order = ['failed', 'revoked', 'suspended', 'expired', 'not-yet-valid'];
    var status = order.filter(function (s) { return outcomes[s]; })[0] || 'verified';
    return {
      status: status,
      checks: checks,
      credential: credential,
      record: isRecord,
      base: base,
      onIssuerSite: base !== null && base === rootUrl
    };
  }

  // -- the page -------------------------------------------------------------------------------

  var HEADLINES = {
    verified: 'Verified',
    revoked: 'Revoked',
    suspended: 'Suspended',
    expired: 'Expired',
    'not-yet-valid': 'Not yet valid',
    failed: 'Not verified',
    unsupported: 'Could not check here'
  };
  var ENDORSEMENT_HEADLINES = { revoked: 'Withdrawn' };

  // The page's own language: the words a page in another language than English gives this script
  // (<script type="application/json" id="credsite-words">, from the theme's message catalogs).
  var WORDS = (function () {
    var el = document.getElementById('credsite-words');
    if (!el) return {};
    try { return JSON.parse(el.textContent) || {}; } catch (e) { return {}; }
  })();

  /** `message` in the page's language, with each %(name)s replaced by values[name]. */
  function t(message, values) {
    var found = Object.prototype.hasOwnProperty.call(WORDS, message) ? WORDS[message] : null;
    var text = typeof found === 'string' ? found : message;
    return text.replace(/%\((\w+)\)s/g, function (m, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : m;
    });
  }
  var ICONS = { verified: '\u2713', revoked: '\u2715', suspended: '\u2715', failed: '\u2715', expired: '!', 'not-yet-valid': '!', unsupported: '?' };

  var MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
    'September', 'October', 'November', 'December'];

  /** "10 July 2026", in UTC: the form the page itself uses (its language's, from the page). */
  function formatDate(value) {
    var time = Date.parse(value);
    if (isNaN(time)) return String(value);
    var d = new Date(time);
    var form = WORDS.__date__;
    if (!form || typeof form.pattern !== 'string') {
      return d.getUTCDate() + ' ' + MONTHS[d.getUTCMonth()] + ' ' + d.getUTCFullYear();
    }
    // A CLDR date pattern (as Babel formats the page's dates): d, dd, MMMM/LLLL, y, G and 'text'.
    return form.pattern.replace(/'([^']*)'|([A-Za-z])\2*/g, function (field, quoted) {
      if (quoted !== undefined) return quoted === '' ? "'" : quoted;
      var day = d.getUTCDate();
      switch (field[0]) {
        case 'd': return field.length > 1 && day < 10 ? '0' + day : String(day);
        case 'M': case 'L': return form.months[d.getUTCMonth()];
        case 'y': return String(d.getUTCFullYear());
        case 'G': return form.era || '';
        default: return field;
      }
    });
  }

  function text(value) { return typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : ''; }

  // -- the page shows what was signed ----------------------------------------------------------

  var TYPE_LABELS = {
    MicroCredential: 'Micro-credential',
    CertificateOfCompletion: 'Certificate of completion',
    CoCurricular: 'Co-curricular',
    GeneralEducationDevelopment: 'General Education Development'
  };
  // Older themes marked three names with data-signed-field; they mean these paths.
  var LEGACY_FIELDS = {
    recipient: 'credentialSubject.name',
    achievement: 'credentialSubject.achievement.name',
    issuer: 'issuer.name'
  };
  var PATH_NAMES = {
    'credentialSubject.name': 'recipient\u2019s name',
    'credentialSubject.achievement.name': 'achievement\u2019s name',
    'credentialSubject.achievement.description': 'achievement\u2019s description',
    'credentialSubject.achievement.criteria.narrative': 'criteria',
    'credentialSubject.achievement.achievementType': 'kind of achievement',
    'credentialSubject.narrative': 'recipient\u2019s contribution',
    'credentialSubject.role': 'role',
    'issuer.name': 'issuer\u2019s name',
    'issuer.id': 'issuer\u2019s DID',
    'issuer.url': 'issuer\u2019s web address',
    validFrom: 'issue date',
    validUntil: 'expiry date',
    id: 'credential\u2019s address',
    'credentialSubject.endorsementComment': 'endorsement\u2019s statement',
    'credentialSubject.id': 'endorsed achievement, issuer or credential'
  };

  /** "MasterDegree" -> "Master degree", in the page's language, as the page's type_label does
   * (an ext: type as written). */
  function typeLabel(value) {
    if (typeof value !== 'string') return '';
    if (TYPE_LABELS[value]) return t(TYPE_LABELS[value]);
    var name = value.replace(/^ext:/, '');
    var words = name.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+/g) || [name];
    var label = [words[0]].concat(words.slice(1).map(function (w) { return w.toLowerCase(); })).join(' ');
    return /^ext:/.test(value) ? label : t(label);
  }

  /** "2026-07-10", in UTC: the page's <time datetime>. */
  function isoDate(value) {
    var t = Date.parse(value);
    return isNaN(t) ? String(value) : new Date(t).toISOString().slice(0, 10);
  }

  /** The object in `doc` whose id is `id` (a JSON-LD node reference), or undefined. */
  function byId(doc, id) {
    var found;
    (function walk(node) {
      if (found || !node || typeof node !== 'object') return;
      if (!Array.isArray(node) && node.id === id) { found = node; return; }
      Object.keys(node).forEach(function (k) { walk(node[k]); });
    })(doc);
    return found;
  }

  /**
   * The value at `path` ("credentialSubject.result.0.value") in `doc`, or undefined. A step past a
   * string follows it as an id: "credentialSubject.result.0.resultDescription.name" is the name
   * of the ResultDescription that result 0 points at.
   */
  function resolvePath(doc, path) {
    var value = doc;
    var parts = path.split('.');
    for (var i = 0; i < parts.length; i++) {
      if (typeof value === 'string' && i > 0) value = byId(doc, value);
      if (!value || typeof value !== 'object') return undefined;
      if (Array.isArray(value)) {
        if (!/^[0-9]+$/.test(parts[i])) return undefined;
        value = value[parseInt(parts[i], 10)];
      } else if (Object.prototype.hasOwnProperty.call(value, parts[i])) {
        value = value[parts[i]];
      } else {
        return undefined;
      }
    }
    return value;
  }

  /**
   * The letters, digits and number punctuation of a text, as space-separated words. Markdown's
   * inline marks (emphasis, code, escapes, link brackets) are dropped rather than splitting a
   * word, so "**five**," and "five," read the same.
   */
  function words(value) {
    var kept = String(value).normalize('NFC').replace(/[*_`~\\[\]]/g, '');
    return (kept.match(/[\p{L}\p{N}\p{M}.,%'@$€£¥/:]+/gu) || []).join(' ');
  }

  /**
   * What a reader sees of Markdown `source`, as words: link and image addresses, reference
   * definitions, list markers and raw HTML tags are not shown, so they are taken out; emphasis,
   * heading and other marks are not letters or digits, so words() leaves them out.
   */
  function markdownWords(source) {
    var text = String(source)
      // code shows its text as it is, angle brackets included
      .replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, function (m, ticks, code) {
        return code.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      })
      // the page drops scripts and styles with their content
      .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ')
      .replace(/<(https?:\/\/[^<>\s]+)>/g, '$1')
      .replace(/<([^<>\s@]+@[^<>\s]+)>/g, '$1')
      .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
      .replace(/\]\([^)]*\)/g, ']')
      .replace(/\]\[[^\]]*\]/g, ']')
      .replace(/^ {0,3}\[[^\]]+\]:.*$/gm, ' ')
      .replace(/^[ \t]*(?:[-+*]|[0-9]+[.)])[ \t]+/gm, ' ');
    // Entities and raw HTML: parsed in an inert document (no script runs, nothing is fetched).
    var parsed = new DOMParser().parseFromString(text, 'text/html');
    return words(parsed.documentElement.textContent || '');
  }

  function quoteText(value) { return '\u201c' + (value.length > 80 ? value.slice(0, 79) + '\u2026' : value) + '\u201d'; }

  function pathName(doc, path) {
    var inner = /^credentialSubject\.verifiableCredential\.([0-9]+)\.(.+)$/.exec(path);
    if (inner) {
      var nested = resolvePath(doc, 'credentialSubject.verifiableCredential.' + inner[1]);
      return pathName(nested || {}, inner[2]) + ' of credential ' + (Number(inner[1]) + 1);
    }
    if (/^credentialSubject\.association\./.test(path)) return 'pathway';
    if (path === 'name' && asList(doc.type).indexOf('ClrCredential') >= 0) return 'record\u2019s name';
    if (PATH_NAMES[path]) return PATH_NAMES[path];
    var result = /^credentialSubject\.result\.([0-9]+)\./.exec(path);
    if (result) {
      var label = resolvePath(doc, 'credentialSubject.result.' + result[1] + '.resultDescription.name');
      var described = resolvePath(doc, 'credentialSubject.result.' + result[1] + '.resultDescription');
      // per-recipient fields are results too (#field-...); declared results are the assessed ones
      var kind = typeof described === 'string' && described.indexOf('#field-') >= 0 ? ' field' : ' result';
      var what = /\.(achievedLevel|requiredLevel)\./.test(path) ? ' level' : /\.status$/.test(path) ? ' status' : '';
      return (typeof label === 'string' ? '\u201c' + label + '\u201d' : 'result ' + result[1]) + kind + what;
    }
    if (/(^|\.)endorsement\.[0-9]+\./.test(path)) {
      var endorser = resolvePath(doc, path.replace(/(endorsement\.[0-9]+)\..*$/, '$1.issuer.name'));
      return 'endorsement' + (typeof endorser === 'string' ? ' by ' + endorser : '') +
        (/endorsementComment$/.test(path) ? ' (its statement)' : /issuer\.name$/.test(path) ? ' (its endorser\u2019s name)' : '');
    }
    if (/^evidence\./.test(path)) return 'evidence';
    if (/alignment\./.test(path)) return 'skill';
    return path;
  }

  /** Does element `el`, marked with data-vc=`path`, show `value` the way its format says? */
  function shows(el, value, format) {
    var shown = text(el.textContent);
    if (format === 'absent') return { ok: value === undefined, shown: shown, expected: 'nothing' };
    if (typeof value !== 'string') return { ok: false, shown: shown, expected: 'nothing' };
    var expected;
    var ok;
    switch (format) {
      case 'date':
        expected = formatDate(value);
        ok = shown === expected && (!el.hasAttribute('datetime') || el.getAttribute('datetime') === isoDate(value));
        break;
      case 'markdown':
        expected = text(value);
        ok = words(el.textContent) === markdownWords(value);
        break;
      case 'type':
        expected = typeLabel(value);
        ok = shown.toLowerCase() === expected.toLowerCase();
        break;
      case 'host':
        expected = value.replace(/^https:\/\//, '');
        ok = shown === expected;
        break;
      case 'token':
        expected = value.replace(/^.*\//, '').replace(/\.json$/, '');
        ok = shown === expected;
        break;
      case 'page':
        expected = value.replace(/\.json$/, '.html');
        ok = shown === expected;
        break;
      default:
        expected = text(value);
        ok = shown === expected;
    }
    return { ok: ok, shown: shown, expected: expected };
  }

  /** The credential a Learner Credential Wallet link carries, read the way LCW reads it. */
  function lcwCredential(href) {
    var request = new URL(href).searchParams.get('request');
    var message = JSON.parse(decodeURI(request));
    return asList(message.verifiablePresentation.verifiableCredential)[0];
  }

  /**
   * Learner Credential Wallet's link offering `cred` in an (unsigned) presentation, as
   * credsite.website.pages.lcw_request_url makes it: LCW percent-decodes the parameter, then runs
   * decodeURI over it again, so every "%" in the JSON is sent as "%25" first.
   */
  function lcwRequestUrl(cred) {
    var message = { verifiablePresentation: {
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      type: ['VerifiablePresentation'],
      verifiableCredential: [cred]
    } };
    return 'https://lcw.app/request?request=' + encodeURIComponent(JSON.stringify(message).replace(/%/g, '%25'));
  }

  function lastSegment(url) {
    return String(url || '').replace(/[?#].*$/, '').replace(/^.*\//, '');
  }

  /**
   * A wallet button that links the credential's JSON (the page does not carry the credential:
   * the link is made here, from the hosted JSON). Made when the page's check has the verified
   * credential (`checkPage`), or at the click, from the JSON fetched then; without JavaScript
   * the button is a link to the JSON.
   */
  function lcwButtons() {
    Array.prototype.forEach.call(document.querySelectorAll('a[data-vc-embedded="lcw"]'), function (node) {
      node.addEventListener('click', function (event) {
        var href = node.getAttribute('href') || '';
        if (/^https:\/\/lcw\.app\//.test(href)) return;
        event.preventDefault();
        fetch(new URL(href, location.href).href, { cache: 'no-cache' })
          .then(function (response) { if (!response.ok) throw new Error(String(response.status)); return response.json(); })
          .then(function (cred) { location.href = lcwRequestUrl(cred); })
          .catch(function () { location.href = href; });
      });
    });
  }

  /** The signed values a page marked data-check-page="all" must show somewhere. */
  function requiredPaths(cred) {
    if (asList(cred.type).indexOf('EndorsementCredential') >= 0) {
      // an endorsement's page: who says it, when, about what, and what they say
      var said = ['issuer.name', 'validFrom', 'credentialSubject.id'];
      if (resolvePath(cred, 'credentialSubject.endorsementComment') !== undefined) said.push('credentialSubject.endorsementComment');
      return said;
    }
    var paths = ['credentialSubject.name', 'credentialSubject.achievement.name', 'validFrom'];
    // every endorsement the credential embeds (of its achievement, of itself): who, and what they say
    [['credentialSubject.achievement.endorsement', resolvePath(cred, 'credentialSubject.achievement.endorsement')],
      ['endorsement', cred.endorsement]].forEach(function (pair) {
      asList(pair[1]).forEach(function (e, i) {
        paths.push(pair[0] + '.' + i + '.issuer.name');
        if (e && e.credentialSubject && e.credentialSubject.endorsementComment !== undefined) {
          paths.push(pair[0] + '.' + i + '.credentialSubject.endorsementComment');
        }
      });
    });
    ['issuer.name', 'validUntil', 'credentialSubject.role', 'credentialSubject.narrative',
      'credentialSubject.achievement.description', 'credentialSubject.achievement.criteria.narrative'
    ].forEach(function (p) { if (resolvePath(cred, p) !== undefined) paths.push(p); });
    // every result: its label, and whichever of its value, achieved level and status it has
    asList(resolvePath(cred, 'credentialSubject.result')).forEach(function (r, i) {
      var at = 'credentialSubject.result.' + i + '.';
      paths.push(at + 'resultDescription.name');
      if (r && r.value !== undefined) paths.push(at + 'value');
      if (r && r.achievedLevel !== undefined) paths.push(at + 'achievedLevel.name');
      if (r && r.status !== undefined) paths.push(at + 'status');
    });
    asList(resolvePath(cred, 'credentialSubject.achievement.alignment')).forEach(function (a, i) {
      paths.push('credentialSubject.achievement.alignment.' + i + '.targetName');
    });
    return paths;
  }

  /** The signed values a learner record's page (data-check-page="record") must show. */
  function recordPaths(record) {
    var paths = ['name', 'validFrom', 'issuer.name'];
    asList(resolvePath(record, 'credentialSubject.verifiableCredential')).forEach(function (vc, i) {
      var at = 'credentialSubject.verifiableCredential.' + i + '.';
      paths.push(at + 'credentialSubject.achievement.name', at + 'issuer.name', at + 'validFrom');
    });
    asList(resolvePath(record, 'credentialSubject.association')).forEach(function (a, i) {
      paths.push('credentialSubject.association.' + i + '.sourceId.name');
    });
    return paths;
  }

  /**
   * Compare every value the page shows as part of the credential with the verified JSON: any
   * difference fails the page, naming the field. Checks: data-vc (text; data-vc-format: date,
   * markdown, type, host, token, page, absent), data-vc-href (the link's href), data-vc-value
   * (a field's value), data-vc-embedded="lcw" (the credential inside a wallet link),
   * data-vc-status (the state the page claims: revoked, suspended, expired).
   */
  function checkPage(result, el) {
    var cred = result.credential;
    var problems = [];
    var count = 0;
    function fail(message) { problems.push(message); }
    Array.prototype.forEach.call(document.querySelectorAll('[data-signed-field]'), function (node) {
      var path = LEGACY_FIELDS[node.getAttribute('data-signed-field')];
      if (path && !node.hasAttribute('data-vc')) node.setAttribute('data-vc', path);
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-vc]'), function (node) {
      var path = node.getAttribute('data-vc');
      var format = node.getAttribute('data-vc-format') || '';
      var value = resolvePath(cred, path);
      var r = shows(node, value, format);
      count++;
      if (r.ok) return;
      if (format === 'absent') {
        fail('this page says there is no ' + pathName(cred, path) + ', but the signed credential has one');
      } else if (value === undefined) {
        fail('this page shows a ' + pathName(cred, path) + ' (' + quoteText(r.shown) + ') that is not in the signed credential');
      } else {
        fail('this page shows the ' + pathName(cred, path) + ' as ' + quoteText(r.shown) + ' but the signed credential says ' + quoteText(r.expected));
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-vc-href]'), function (node) {
      var path = node.getAttribute('data-vc-href');
      count++;
      if (node.getAttribute('href') !== resolvePath(cred, path)) {
        fail('a link for the ' + pathName(cred, path) + ' on this page goes to ' + quoteText(node.getAttribute('href') || '') + ', not where the signed credential says');
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-vc-value]'), function (node) {
      var path = node.getAttribute('data-vc-value');
      count++;
      if (node.value !== resolvePath(cred, path)) {
        fail('this page gives the ' + pathName(cred, path) + ' as ' + quoteText(node.value || '') + ' but the signed credential says ' + quoteText(String(resolvePath(cred, path))));
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-vc-embedded="lcw"]'), function (node) {
      count++;
      var href = node.getAttribute('href') || '';
      if (!/^https:\/\/lcw\.app\//.test(href)) {
        // the default theme's button links the credential's JSON: the wallet link is made from it
        if (lastSegment(node.getAttribute('data-json') || href) !== lastSegment(cred.id)) {
          fail('the \u201cAdd to Learner Credential Wallet\u201d link on this page does not carry the signed credential');
        } else {
          node.setAttribute('href', lcwRequestUrl(cred));
        }
        return;
      }
      var embedded;
      try { embedded = lcwCredential(href); } catch (e) { embedded = null; }
      if (!embedded || jcs(embedded) !== jcs(cred)) {
        fail('the \u201cAdd to Learner Credential Wallet\u201d link on this page does not carry the signed credential');
      }
    });
    var outcomes = {};
    result.checks.forEach(function (c) { if (c.outcome) outcomes[c.outcome] = true; });
    var claimed = {};
    Array.prototype.forEach.call(document.querySelectorAll('[data-vc-status]'), function (node) {
      claimed[node.getAttribute('data-vc-status')] = true;
    });
    Object.keys(claimed).forEach(function (state) {
      count++;
      if (!outcomes[state]) {
        fail('this page says the credential is ' + state + ', but the signed ' + (state === 'expired' ? 'dates say' : 'status list says') + ' it is not');
      }
    });
    if (el.getAttribute('data-check-page') === 'record') {
      recordPaths(cred).forEach(function (path) {
        if (!document.querySelector('[data-vc="' + path + '"]')) {
          fail('this page does not show the signed ' + pathName(cred, path));
        }
      });
    }
    if (el.getAttribute('data-check-page') === 'all') {
      requiredPaths(cred).forEach(function (path) {
        if (!document.querySelector('[data-vc="' + path + '"]')) {
          fail('this page does not show the signed ' + pathName(cred, path));
        }
      });
      asList(cred.evidence).forEach(function (e, i) {
        if (!document.querySelector('[data-vc^="evidence.' + i + '."]')) fail('this page does not show the signed evidence ' + (i + 1));
      });
    }
    if (problems.length) {
      problems.forEach(function (message) {
        result.checks.push({ name: 'page', ok: false, outcome: null, message: message });
      });
      result.status = 'failed';
    } else {
      result.checks.push({
        name: 'page', ok: true, outcome: null,
        message: 'the ' + count + ' values this page shows as the credential (names, dates, texts, fields, evidence, links, status) are the signed ones'
      });
    }
  }

  function isEndorsement(cred) {
    return !!cred && asList(cred.type).indexOf('EndorsementCredential') >= 0;
  }

  function describe(result) {
    var cred = result.credential || {};
    var issuerName = (cred.issuer && cred.issuer.name) || issuerId(cred) || 'the issuer';
    var firstFailure = result.checks.filter(function (c) { return !c.ok && !c.outcome; })[0];
    if (result.record) {
      var count = asList(cred.credentialSubject && cred.credentialSubject.verifiableCredential).length;
      switch (result.status) {
        case 'verified':
          return 'Signed by ' + issuerName + ' on ' + formatDate(cred.validFrom) + ' and unchanged since. Each of its ' +
            count + ' credential' + (count === 1 ? '' : 's') + ' is signed by its issuer, published on this site and not revoked.';
        case 'revoked':
        case 'suspended':
          return 'The record\u2019s signature is genuine, but a credential in it has been ' + result.status + ' since.';
        case 'not-yet-valid':
          return 'The signature is genuine, but the record or a credential in it is only valid from a later date.';
        case 'failed':
          return 'Do not rely on this record: ' + (firstFailure ? firstFailure.message : 'a check failed') + '.';
      }
    }
    if (isEndorsement(cred)) {
      switch (result.status) {
        case 'verified':
          return 'Signed by ' + issuerName + ' with its own key and unchanged since ' +
            formatDate(cred.validFrom) + '. Not withdrawn.';
        case 'revoked':
          return 'The signature is genuine, but ' + issuerName + ' has withdrawn this endorsement.';
      }
    }
    var values = { issuer: issuerName, date: formatDate(cred.validFrom) };
    switch (result.status) {
      case 'verified':
        if (cred.validUntil) {
          values.until = formatDate(cred.validUntil);
          return t('Signed by %(issuer)s and unchanged since it was issued on %(date)s. Not revoked; valid until %(until)s.', values);
        }
        return t('Signed by %(issuer)s and unchanged since it was issued on %(date)s. Not revoked.', values);
      case 'revoked':
        return t('The signature is genuine, but %(issuer)s has revoked this credential. It is no longer valid.', values);
      case 'suspended':
        return t('The signature is genuine, but %(issuer)s has suspended this credential. It is not valid while suspended.', values);
      case 'expired':
        return t('The signature is genuine, but the credential expired on %(date)s.', { date: formatDate(cred.validUntil) });
      case 'not-yet-valid':
        return t('The signature is genuine, but the credential is only valid from %(date)s.', values);
      default:
        return t('Do not rely on this credential: %(reason)s.', { reason: firstFailure ? firstFailure.message : t('a check failed') });
    }
  }

  function show(el, status, detail, checks, note) {
    el.setAttribute('data-verification', status);
    // For styles elsewhere on the page (the default theme greys the badge unless verified).
    document.documentElement.setAttribute('data-verification-result', status);
    var label = el.querySelector('.verification-label');
    var icon = el.querySelector('.verification-icon');
    var detailEl = el.querySelector('.verification-detail');
    var headlines = el.getAttribute('data-kind') === 'endorsement' ? ENDORSEMENT_HEADLINES : HEADLINES;
    if (icon) icon.textContent = ICONS[status] || '';
    if (label) label.textContent = t(headlines[status] || HEADLINES[status] || status);
    if (detailEl) {
      detailEl.textContent = '';
      if (Array.isArray(detail)) detail.forEach(function (part) { detailEl.appendChild(part); });
      else detailEl.textContent = detail;
    }
    var old = el.querySelector('.verification-note');
    if (old) old.remove();
    if (note) {
      var p = document.createElement('p');
      p.className = 'verification-note';
      p.textContent = note;
      el.querySelector('.verification-result').appendChild(p);
    }
    var details = el.querySelector('.verification-checks');
    if (details && checks && checks.length) {
      var list = details.querySelector('ul');
      list.textContent = '';
      checks.forEach(function (c) {
        var li = document.createElement('li');
        li.className = c.ok ? 'check-ok' : (c.outcome ? 'check-outcome' : 'check-failed');
        var span = document.createElement('span');
        span.textContent = (c.ok ? t('Passed: ') : t('Not passed: ')) + c.message;
        li.appendChild(span);
        list.appendChild(li);
      });
      details.hidden = false;
    }
  }

  function unsupportedDetail(el, reason) {
    var parts = [];
    parts.push(document.createTextNode('This page could not run the check (' + reason + '). That says nothing about the credential itself. Download the '));
    var a = document.createElement('a');
    a.href = el.getAttribute('data-credential-href');
    a.setAttribute('download', '');
    a.textContent = 'credential (JSON)';
    parts.push(a);
    parts.push(document.createTextNode(' and check it with '));
    var code = document.createElement('code');
    code.textContent = 'credsite verify';
    parts.push(code);
    parts.push(document.createTextNode(', any Open Badges 3.0 verifier, or a current browser.'));
    return parts;
  }

  async function run(el) {
    var path = el.getAttribute('data-credential');
    var rootUrl = new URL(el.getAttribute('data-root') || './', location.href).href;
    var credentialUrl = rootUrl + path;
    el.setAttribute('data-credential-href', credentialUrl);
    try {
      await checkSupport();
      var result = await verifyCredential(credentialUrl, path, rootUrl, Date.now());
      // Only a verified JSON can say what "the signed value" is.
      if (result.credential && result.base !== null && result.status !== 'failed') checkPage(result, el);
      var note = null;
      if (result.base && !result.onIssuerSite) {
        note = t('Checked with the files of the copy this page was opened from (%(copy)s), not at the issuer\u2019s own address (%(site)s).',
          { copy: rootUrl, site: result.base });
      }
      show(el, result.status, describe(result), result.checks, note);
    } catch (e) {
      if (e instanceof Unsupported) {
        show(el, 'unsupported', unsupportedDetail(el, e.message), null, null);
      } else {
        show(el, 'failed', 'The check stopped with an error: ' + (e && e.message) + '.', null, null);
      }
    }
  }

  // -- endorsements shown on a page -------------------------------------------------------------

  /**
   * Check one endorsement a page shows (<li data-endorsement="endorsements/TOKEN.json">): its
   * hosted JSON is verified like a credential (the detached eddsa-jcs-2022 proof with the
   * endorser's key from its own DID document, the proof set naming that key, the endorser's status
   * list, the dates); the state the page gives it (data-endorsement-state: active or withdrawn) must
   * be what the endorser's list says; every element marked data-ve="PATH" must show the value at
   * PATH in it; and on a credential page (data-endorsement-in, data-endorsement-at) the copy the
   * credential embeds must be exactly the hosted one. The outcome goes to data-endorsement-check:
   * verified, withdrawn, expired, not-yet-valid, failed or unsupported.
   */
  async function checkEndorsement(block) {
    var out = block.querySelector('[data-endorsement-result]');
    var rootUrl = new URL(block.getAttribute('data-root') || './', location.href).href;
    var path = block.getAttribute('data-endorsement');
    var state;
    var message;
    try {
      await checkSupport();
      var result = await verifyCredential(rootUrl + path, path, rootUrl, Date.now());
      var cred = result.credential;
      var problems = result.checks.filter(function (c) { return !c.ok && !c.outcome; }).map(function (c) { return c.message; });
      var withdrawn = result.checks.some(function (c) { return c.outcome === 'revoked'; });
      var claimed = block.getAttribute('data-endorsement-state') || 'active';
      if (!problems.length && cred) {
        if (claimed === 'withdrawn' && !withdrawn) problems.push('this page says it was withdrawn, but the endorser\u2019s signed status list says it was not');
        if (claimed !== 'withdrawn' && withdrawn) problems.push('the endorser has withdrawn it (its signed status list says so), but this page shows it as current');
        Array.prototype.forEach.call(block.querySelectorAll('[data-ve]'), function (node) {
          var at = node.getAttribute('data-ve');
          var r = shows(node, resolvePath(cred, at), node.getAttribute('data-ve-format') || '');
          if (!r.ok) problems.push('this page shows the ' + (PATH_NAMES[at] || at).replace('issuer\u2019s', 'endorser\u2019s') + ' as ' + quoteText(r.shown) + ' but the signed endorsement says ' + quoteText(r.expected));
        });
        var inPath = block.getAttribute('data-endorsement-in');
        if (inPath) {
          var response = await fetch(rootUrl + inPath, { cache: 'no-cache', credentials: 'omit' });
          var outer = response.ok ? await response.json() : null;
          var copy = outer ? resolvePath(outer, block.getAttribute('data-endorsement-at')) : undefined;
          if (!copy || jcs(copy) !== jcs(cred)) problems.push('the copy this credential embeds is not the endorsement its endorser signed');
        }
      }
      var endorser = (cred && cred.issuer && cred.issuer.name) || 'the endorser';
      if (problems.length) {
        state = 'failed';
        message = t('Not verified: %(reason)s.', { reason: problems[0] });
      } else if (withdrawn) {
        state = 'withdrawn';
        message = t('Checked in your browser: %(endorser)s signed it with its own key, and has withdrawn it.', { endorser: endorser });
      } else if (result.status === 'verified') {
        state = 'verified';
        message = t('Checked in your browser: signed by %(endorser)s with its own key, unchanged, not withdrawn.', { endorser: endorser });
      } else {
        state = result.status;
        message = state === 'expired'
          ? t('Checked in your browser: signed by %(endorser)s, but it has expired.', { endorser: endorser })
          : t('Checked in your browser: signed by %(endorser)s, but it is not valid yet.', { endorser: endorser });
      }
    } catch (e) {
      state = e instanceof Unsupported ? 'unsupported' : 'failed';
      message = e instanceof Unsupported
        ? 'Could not be checked in this browser (' + e.message + '); the link below leads to the signed endorsement.'
        : 'Not verified: the check stopped with an error: ' + (e && e.message) + '.';
    }
    block.setAttribute('data-endorsement-check', state);
    if (out) out.textContent = message;
    return state;
  }

  // For tests and other scripts: the pure parts, and the verifier itself.
  window.credsiteVerify = {
    jcs: jcs,
    base58btcDecode: base58btcDecode,
    multibaseDecode: multibaseDecode,
    multikeyPublic: multikeyPublic,
    didDocumentUrl: didDocumentUrl,
    verifyJcsProof: verifyJcsProof,
    verifyCredential: verifyCredential,
    checkEndorsement: checkEndorsement,
    detachedProofUrl: detachedProofUrl,
    resolvePath: resolvePath,
    markdownWords: markdownWords,
    words: words,
    typeLabel: typeLabel,
    lcwCredential: lcwCredential,
    lcwRequestUrl: lcwRequestUrl,
    checkSupport: checkSupport
  };

  lcwButtons();
  var el = document.querySelector('[data-verification][data-credential]');
  if (el) {
    window.credsiteVerification = run(el);
  }
  var endorsements = document.querySelectorAll('[data-endorsement]');
  if (endorsements.length) {
    window.credsiteEndorsements = Promise.all(Array.prototype.map.call(endorsements, checkEndorsement));
  }
})();
