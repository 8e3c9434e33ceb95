import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importBackend, MissingBackendError } from '../src/missing-backend.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(packageDir, '..');

describe('a missing backend package', () => {
  it('is a MissingBackendError naming the package and the command to install it', async () => {
    const name = '@reasonflow/backend-not-installed';
    const error = await importBackend(name, 'Node', () => import(/* @vite-ignore */ name)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MissingBackendError);
    expect(error).toMatchObject({ packageName: name, platform: 'Node' });
    expect((error as Error).message).toContain(`npm install ${name}`);
  });

  it('leaves other import failures as they are', async () => {
    const broken = new Error('boom');
    await expect(importBackend('@reasonflow/backend-cuda', 'Node', () => Promise.reject(broken))).rejects.toBe(broken);
  });

  // An app that installed reasonflow and core but no backend: built facade, no backend-cuda beside it.
  const app = mkdtempSync(join(tmpdir(), 'reasonflow-no-backend-'));
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  it('in an install without @reasonflow/backend-cuda: importing works, loading names the package', () => {
    const installed = join(app, 'node_modules', 'reasonflow');
    mkdirSync(installed, { recursive: true });
    cpSync(join(packageDir, 'package.json'), join(installed, 'package.json'));
    cpSync(join(packageDir, 'dist'), join(installed, 'dist'), { recursive: true });
    mkdirSync(join(app, 'node_modules', '@reasonflow'));
    for (const dependency of ['core', 'model-adapter']) {
      symlinkSync(join(packagesDir, dependency), join(app, 'node_modules', '@reasonflow', dependency), 'dir');
    }
    const script =
      "const { ReasonFlow, MissingBackendError } = await import('reasonflow');" +
      "try { await ReasonFlow.fromPretrained('/nowhere'); console.log('loaded'); }" +
      'catch (e) { console.log(JSON.stringify({ isTyped: e instanceof MissingBackendError, name: e.name, packageName: e.packageName })); }';
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual({ isTyped: true, name: 'MissingBackendError', packageName: '@reasonflow/backend-cuda' });
  });
});
