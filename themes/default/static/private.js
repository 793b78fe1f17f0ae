/* credsite private credentials: open the encrypted page and files with the key in the link's
 * #fragment (never sent to the host), then show the credential page, which verifies itself with
 * verify.js exactly as a public one does. Format and key derivation: credsite/issuing/private.py.
 * Blob: MAGIC | 12-byte nonce | AES-256-GCM ciphertext and tag; associated data: the file's path
 * in the site (credentials/TOKEN.json). */
(function () {
  'use strict';
  var MAGIC = 'credsite-private-v1\n';
  var el = document.querySelector('[data-private]');
  if (!el) return;
  var status = el.querySelector('[data-private-status]');

  function fail(message) {
    el.setAttribute('data-private', 'failed');
    status.textContent = message;
    window.credsitePrivate = { status: 'failed', message: message };
  }

  function fromBase64url(text) {
    if (!/^[A-Za-z0-9_-]+$/.test(text)) throw new Error('not base64url');
    var b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bin = atob(b64);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  var CANNOT_OPEN = 'This private credential cannot be opened with this link: the key after “#” is ' +
    'wrong or incomplete. Ask its recipient for the full link.';

  async function main() {
    var fragment = location.hash.replace(/^#/, '').replace(/^key=/, '');
    if (!fragment) {
      return fail('This private credential cannot be opened from this address alone: open the ' +
        'full link you were given, including the part after “#”.');
    }
    if (!(window.crypto && crypto.subtle && window.TextDecoder)) {
      return fail('This browser cannot open private credentials (it lacks Web Crypto). Try a current browser.');
    }
    var raw;
    try { raw = fromBase64url(fragment); } catch (e) { return fail(CANNOT_OPEN); }
    if (raw.length !== 32) return fail(CANNOT_OPEN);
    var key = await crypto.subtle.importKey('raw', raw, { name: 'AES-GCM' }, false, ['decrypt']);
    var path = el.getAttribute('data-private-path');  // credentials/TOKEN
    var rootUrl = new URL(el.getAttribute('data-root') || './', location.href).href;
    var encoder = new TextEncoder();
    var magic = encoder.encode(MAGIC);

    async function open(suffix) {
      var name = path + suffix;
      var response = await fetch(rootUrl + name + '.enc', { cache: 'no-cache', credentials: 'omit' });
      if (!response.ok) throw new Error(name + '.enc: HTTP ' + response.status);
      var blob = new Uint8Array(await response.arrayBuffer());
      for (var i = 0; i < magic.length; i++) {
        if (blob[i] !== magic[i]) throw new Error(name + '.enc is not a credsite private file');
      }
      var nonce = blob.slice(magic.length, magic.length + 12);
      var plain = await crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: nonce, additionalData: encoder.encode(name) }, key,
        blob.slice(magic.length + 12));
      return new Uint8Array(plain);
    }

    var page;
    try { page = await open('.html'); } catch (e) { return fail(CANNOT_OPEN); }
    var doc = new DOMParser().parseFromString(new TextDecoder().decode(page), 'text/html');
    var links = [];  // [element, attribute, address without its #fragment] of each link and image
    doc.querySelectorAll('[href], [src]').forEach(function (node) {
      ['href', 'src'].forEach(function (name) {
        var value = node.getAttribute(name);
        if (!value) return;
        var url = new URL(value, location.href);
        url.hash = '';
        links.push([node, name, url.href]);
      });
    });
    var linked = {};  // what the page links to: its baked images only where the build made them
    links.forEach(function (link) { linked[link[2]] = true; });
    var files = {};
    var types = { '.json': 'application/json', '.jcs-proof.jsonld': 'application/json',
      '.png': 'image/png', '.svg': 'image/svg+xml' };
    var images = { '.png': true, '.svg': true };
    for (var suffix in types) {
      if (images[suffix] && !linked[rootUrl + path + suffix]) continue;  // bake_in_browser: none
      try { files[suffix] = await open(suffix); } catch (e) { /* not published */ }
    }
    // verify.js fetches TOKEN.json and its detached proof: answer with the decrypted files.
    var served = {};
    var blobUrls = {};
    Object.keys(files).forEach(function (suffix) {
      served[rootUrl + path + suffix] = { data: files[suffix], type: types[suffix] };
      blobUrls[rootUrl + path + suffix] = URL.createObjectURL(new Blob([files[suffix]], { type: types[suffix] }));
    });
    var realFetch = window.fetch.bind(window);
    window.fetch = function (input, init) {
      var url = new URL(typeof input === 'string' ? input : input.url, location.href);
      url.hash = '';
      url.search = '';
      var hit = served[url.href];
      if (hit) {
        return Promise.resolve(new Response(hit.data.slice(), { status: 200, headers: { 'Content-Type': hit.type } }));
      }
      return realFetch(input, init);
    };
    window.credsitePrivate = { status: 'opened' };
    // The page's links to and images of its own files (not published in clear) point at the
    // decrypted copies instead, before the page is shown.
    links.forEach(function (link) {
      if (blobUrls[link[2]]) link[0].setAttribute(link[1], blobUrls[link[2]]);
    });
    document.open();
    document.write('<!doctype html>\n' + doc.documentElement.outerHTML);
    document.close();
  }

  main().catch(function () { fail(CANNOT_OPEN); });
})();
