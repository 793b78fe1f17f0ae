// Bake as a page's download links would (themes/default/static/bake.js), without a browser:
//
//   node tests/js/bake_all.mjs SITE OUT
//
// SITE is a site built with `bake_in_browser: true`. Every download link with data-bake on its
// credential and learner-record pages is baked with bake.js, its image and document read from
// SITE, and written to OUT at the document's path in the site with the image's suffix
// (credentials/TOKEN.png, ob2/assertions/TOKEN.svg, records/TOKEN.png). Prints one line per
// file: "KIND PATH". tests/test_bake_in_browser.py compares them with what the build bakes.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bake = createRequire(import.meta.url)(join(REPO, 'themes', 'default', 'static', 'bake.js'));
const [site, out] = process.argv.slice(2).map((p) => resolve(p));
const LINK = /<a href="([^"]+)" download data-bake="(ob3|ob2|clr)" data-bake-document="([^"]+)">/g;

for (const folder of ['credentials', 'records']) {
  let names = [];
  try { names = readdirSync(join(site, folder)); } catch { continue; }
  for (const name of names.filter((n) => n.endsWith('.html')).sort()) {
    const page = join(site, folder, name);
    for (const [, href, kind, documentHref] of readFileSync(page, 'utf8').matchAll(LINK)) {
      const art = readFileSync(resolve(dirname(page), href));
      const documentPath = resolve(dirname(page), documentHref);
      const text = readFileSync(documentPath);
      const svg = href.endsWith('.svg');
      let made;
      if (svg) {
        const json = text.toString('utf8');
        const verify = kind === 'ob2' ? JSON.parse(json).id : undefined;
        made = Buffer.from(bake.svg(art.toString('utf8'), kind, json, verify), 'utf8');
      } else {
        made = Buffer.from(bake.png(new Uint8Array(art), kind, new Uint8Array(text)));
      }
      const path = relative(site, documentPath).replace(/\.json$/, svg ? '.svg' : '.png');
      mkdirSync(dirname(join(out, path)), { recursive: true });
      writeFileSync(join(out, path), made);
      console.log(`${kind} ${path} ${relative(site, resolve(dirname(page), href))}`);
    }
  }
}
