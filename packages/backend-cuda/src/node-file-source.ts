import { access, readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { ModelFileSource } from '@reasonflow/model-adapter';

/** A model folder on the local file system. Paths stay inside the folder. */
export function nodeFileSource(folder: string): ModelFileSource {
  const root = resolve(folder);
  const path = (relPath: string): string => {
    const full = resolve(join(root, relPath));
    if (full !== root && !full.startsWith(root + sep)) throw new RangeError(`${relPath} is outside the model folder ${root}`);
    return full;
  };
  return {
    description: root,
    exists: async (relPath) => {
      try {
        await access(path(relPath));
        return true;
      } catch {
        return false;
      }
    },
    readText: async (relPath) => readFile(path(relPath), 'utf8'),
    readBinary: async (relPath) => {
      const buffer = await readFile(path(relPath));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    },
  };
}
