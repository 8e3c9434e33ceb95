#!/usr/bin/env node
// Runs first in `pnpm test`: makes sure of what the tests need outside node_modules, so that README's
// test command passes on a fresh machine. Today that is Chromium, which the web demo's browser test
// (apps/web/test/browser.test.ts) drives: Debian's `chromium` package, installed here when it is
// missing and we are root; otherwise we stop with the exact command to run.
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';
const INSTALL_COMMAND = 'apt-get update && apt-get install -y chromium';

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The Chromium the browser test will launch, or undefined when there is none. */
function findChromium() {
  const override = process.env.REASONFLOW_CHROMIUM;
  if (override) return isExecutable(override) ? override : undefined;
  if (isExecutable(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'chromium'))
    .find(isExecutable);
}

function fail(message) {
  console.error(`\nensure-test-deps: ${message}\n`);
  process.exit(1);
}

function run(command, args) {
  console.error(`ensure-test-deps: ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  if (result.status !== 0) fail(`\`${command} ${args.join(' ')}\` exited with ${result.status}.`);
}

function ensureChromium() {
  if (process.env.REASONFLOW_CHROMIUM && !findChromium()) {
    fail(`REASONFLOW_CHROMIUM=${process.env.REASONFLOW_CHROMIUM} is not an executable file.`);
  }
  if (findChromium()) return;

  const why = "the web demo's browser test (apps/web) needs Chromium, and none was found";
  if (process.platform !== 'linux' || !isExecutable('/usr/bin/apt-get')) {
    fail(
      `${why} at ${DEBIAN_CHROMIUM} or on PATH.\n` +
        'Install Chromium, then run the tests with REASONFLOW_CHROMIUM=/path/to/chromium pnpm test.',
    );
  }
  if (process.getuid?.() !== 0) {
    fail(`${why}. Install Debian's chromium package, then run \`pnpm test\` again:\n\n  sudo sh -c '${INSTALL_COMMAND}'`);
  }
  console.error(`ensure-test-deps: ${why}; installing Debian's chromium package.`);
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', 'chromium']);
  const installed = findChromium();
  if (!installed) fail(`apt-get installed chromium, but ${DEBIAN_CHROMIUM} is still missing.`);
  console.error(`ensure-test-deps: Chromium is at ${installed}.`);
}

ensureChromium();
