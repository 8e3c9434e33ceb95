#!/usr/bin/env node
// `lint:package` of every published package (run by turbo in the package's folder, after its build):
// checks what npm would publish, offline, from the package's own `pnpm pack`/`npm pack` tarball.
// - LICENSE: the package's copy is the repository's (npm only packs files inside the package).
// - publint --strict: exports, files, types and package.json fields as consumers' tools read them.
// - attw --profile esm-only: the types resolve for every module resolution (node16/nodenext, bundler).
//   Our packages are ESM-only on purpose (Node >= 20.19 can `require()` ESM), so CommonJS-resolution
//   findings are expected; this profile ignores exactly those and still checks everything else.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const packageDir = process.cwd();
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'));

function fail(message) {
  console.error(`lint:package ${manifest.name}: ${message}`);
  process.exit(1);
}

if (manifest.private) fail('a private package is not published; it has no lint:package.');
if (readFileSync(join(packageDir, 'LICENSE'), 'utf8') !== readFileSync(join(repositoryRoot, 'LICENSE'), 'utf8')) {
  fail('LICENSE differs from the repository root LICENSE; copy it again.');
}

/** Runs a tool from the workspace root's node_modules/.bin, where it is a dev dependency. */
function runTool(binName, args) {
  const result = spawnSync(join(repositoryRoot, 'node_modules', '.bin', binName), args, { stdio: 'inherit', cwd: packageDir });
  if (result.error) fail(`${binName}: ${result.error.message}`);
  if (result.status !== 0) fail(`${binName} ${args.join(' ')} failed (exit ${result.status}).`);
}

runTool('publint', ['--strict']);
runTool('attw', ['--pack', '.', '--profile', 'esm-only', '--format', 'table-flipped']);
