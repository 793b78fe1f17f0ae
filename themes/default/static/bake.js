/* credsite baked images made in the visitor's browser (site.yaml `bake_in_browser`): a large
 * site publishes no baked PNG and SVG per credential, OB 2.0 assertion and learner record. As
 * the page loads, each download link ([data-bake]) fetches the signed document and the badge
 * image it names and bakes the one into the other exactly as the build does
 * (credsite/openbadges/png.py bake_png, svg.py bake_svg): the same bytes the build would have
 * published, the document's bytes as fetched. Then the link's href is that image and its item is
 * shown. OB 3.0 §5.3 "Baked Badge", OB 2.0 "Baking", CLR 2.0 "Baked CLR".
 * Links stay hidden where the browser cannot do it (no fetch, TextEncoder or Blob URLs).
 * Plain ES5 apart from those, as page.js. In Node, `require` gives the two baking functions. */
(function (root) {
  'use strict';

  var KINDS = {
    ob3: { keyword: 'openbadgecredential', prefix: 'openbadges', element: 'credential',
      namespace: 'https://purl.imsglobal.org/ob/v3p0' },
    ob2: { keyword: 'openbadges', prefix: 'openbadges', element: 'assertion',
      namespace: 'http://openbadges.org' },
    clr: { keyword: 'clrcredential', prefix: 'clr', element: 'credential',
      namespace: 'https://purl.imsglobal.org/clr/v2p0' }
  };
  var IHDR_END = 33; // the 8-byte signature, then IHDR: length, type, 13 bytes, CRC
  var SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

  var crcTable = null;
  function crc32(bytes, start, end) {
    if (!crcTable) {
      crcTable = [];
      for (var n = 0; n < 256; n++) {
        var c = n;
        for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        crcTable[n] = c >>> 0;
      }
    }
    var crc = 0xffffffff;
    for (var i = start; i < end; i++) crc = crcTable[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  function ascii(text) {
    var out = [];
    for (var i = 0; i < text.length; i++) out.push(text.charCodeAt(i));
    return out;
  }

  /** The PNG `art` (Uint8Array: a badge the build published, so only IHDR, PLTE, tRNS, IDAT and
   * IEND) with one uncompressed iTXt chunk `kind`'s keyword = `text` (Uint8Array, UTF-8) right
   * after IHDR: compression flag 0, method 0, empty language tag and translated keyword. */
  function bakePng(art, kind, text) {
    for (var s = 0; s < SIGNATURE.length; s++) {
      if (art[s] !== SIGNATURE[s]) throw new Error('not a PNG image');
    }
    if (String.fromCharCode(art[12], art[13], art[14], art[15]) !== 'IHDR') {
      throw new Error('not a PNG image');
    }
    var head = ascii('iTXt' + KINDS[kind].keyword).concat([0, 0, 0, 0, 0]);
    var length = head.length - 4 + text.length;
    var out = new Uint8Array(art.length + 12 + length);
    out.set(art.subarray(0, IHDR_END), 0);
    var at = IHDR_END;
    out[at] = length >>> 24; out[at + 1] = (length >>> 16) & 255;
    out[at + 2] = (length >>> 8) & 255; out[at + 3] = length & 255;
    out.set(head, at + 4);
    out.set(text, at + 4 + head.length);
    var crc = crc32(out, at + 4, at + 8 + length);
    var end = at + 8 + length;
    out[end] = crc >>> 24; out[end + 1] = (crc >>> 16) & 255;
    out[end + 2] = (crc >>> 8) & 255; out[end + 3] = crc & 255;
    out.set(art.subarray(IHDR_END), end + 4);
    return out;
  }

  function escapeAttr(value) {
    return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
      .replace(/\r/g, '&#13;').replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
  }

  /** The SVG text `art` (a badge the build published) with `kind`'s element directly after the
   * <svg> start tag holding `text` (the document's JSON) in CDATA; OB 2.0's also says
   * verify="`verify`" (the hosted assertion's URL). */
  function bakeSvg(art, kind, text, verify) {
    // No character XML cannot carry (svg.py XML_ILLEGAL_RE) is met here: JSON escapes control
    // characters, the build refuses content with U+FFFE or U+FFFF, and TextDecoder makes no lone
    // surrogate.
    var how = KINDS[kind];
    if (art.slice(0, 4) !== '<svg') throw new Error('not an SVG image');
    var close = art.indexOf('>');
    var tag = art.slice(0, close);
    var tail = /\s*(\/?)\s*$/.exec(tag);
    var head = tag.slice(0, tail.index);
    var rest = art.slice(close + 1);
    var start = '<' + how.prefix + ':' + how.element;
    if (verify) start += ' verify="' + escapeAttr(verify) + '"';
    var baked = text
      ? start + '><![CDATA[' + text.split(']]>').join(']]]]><![CDATA[>') + ']]></' +
        how.prefix + ':' + how.element + '>'
      : start + '/>';
    head += ' xmlns:' + how.prefix + '="' + how.namespace + '">';
    return head + baked + (tail[1] ? '</svg>' : '') + rest;
  }

  root.credsiteBake = { png: bakePng, svg: bakeSvg };
  if (typeof module !== 'undefined' && module.exports) module.exports = root.credsiteBake;
  if (typeof document === 'undefined') return;
  if (!(window.fetch && window.TextEncoder && window.TextDecoder && window.Blob && window.URL &&
        URL.createObjectURL && window.Uint8Array)) return;

  function fetched(url) {
    return window.fetch(url, { credentials: 'omit' }).then(function (response) {
      if (!response.ok) throw new Error(url + ': HTTP ' + response.status);
      return response.arrayBuffer();
    });
  }

  /** Bake `link`'s document into its image; then its href is the baked image (so a click, a
   * middle-click or "Save link as" all give it) and its download name TOKEN.png (.svg). */
  function bake(link) {
    var kind = link.getAttribute('data-bake');
    var source = link.getAttribute('data-bake-document');
    var art = link.getAttribute('href');
    var svg = /\.svg$/.test(art);
    return Promise.all([fetched(art), fetched(source)]).then(function (both) {
      var text = new Uint8Array(both[1]);
      var json = new TextDecoder('utf-8', { fatal: true }).decode(text);
      var data = svg
        ? new TextEncoder().encode(bakeSvg(new TextDecoder('utf-8', { fatal: true }).decode(both[0]),
          kind, json, kind === 'ob2' ? JSON.parse(json).id : undefined))
        : bakePng(new Uint8Array(both[0]), kind, text);
      var name = source.split('/').pop().replace(/\.json$/, svg ? '.svg' : '.png');
      link.href = URL.createObjectURL(new Blob([data], { type: svg ? 'image/svg+xml' : 'image/png' }));
      link.setAttribute('download', name);
      link.setAttribute('data-baked', name);
    });
  }

  // Each item is shown once every link in it is baked; one that cannot be (an image or document
  // missing, a network error) stays hidden: the page's JSON download is the same signed document.
  var items = [];
  Array.prototype.forEach.call(document.querySelectorAll('[data-bake]'), function (link) {
    var item = link.closest ? link.closest('li') : null;
    if (item && items.indexOf(item) < 0) items.push(item);
  });
  items.forEach(function (item) {
    var links = Array.prototype.slice.call(item.querySelectorAll('[data-bake]'));
    Promise.all(links.map(bake)).then(function () {
      item.hidden = false;
      item.style.display = '';
    }, function () { /* left hidden */ });
  });
})(typeof window !== 'undefined' ? window : globalThis);
