import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
// The model-adapter's self-made ONNX fixtures (written with its protobuf writer).
import { type ToyFolderOptions, toyFiles } from '../../model-adapter/test/fixtures.js';

/** Writes a toy model folder to a temporary directory; returns its path and a cleanup. */
export function writeToyFolder(options: ToyFolderOptions = {}): { folder: string; remove: () => void } {
  const folder = mkdtempSync(join(tmpdir(), 'reasonflow-toy-'));
  for (const [name, content] of Object.entries(toyFiles(options))) {
    const path = join(folder, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return { folder, remove: () => rmSync(folder, { recursive: true, force: true }) };
}
