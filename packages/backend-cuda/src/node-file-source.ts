import { access, readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { FileProgress, ModelFileSource } from '@reasonflow/model-adapter';

/**
 * A model folder on the local file system. Paths stay inside the folder. `onProgress` hears once
 * per binary file, when it has been read (`done: true`), in the same shape as fetchFileSource's.
 */
export function nodeFileSource(folder: string, onProgress?: (progress: FileProgress) => void): ModelFileSource {
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
      onProgress?.({ file: relPath, loaded: buffer.byteLength, total: buffer.byteLength, done: true });
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    },
  };
}
