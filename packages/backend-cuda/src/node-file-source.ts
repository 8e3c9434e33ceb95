import { access, readFile, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ConfigError, ModelError } from '@reasonflow/core';
import type { FileProgress, ModelFileSource } from '@reasonflow/model-adapter';

/**
 * Checks that `folder` names an existing directory, so that a wrong path is one clear error instead
 * of every model file reported missing. `""` is refused rather than read as the current directory.
 * @throws ConfigError for an empty or non-string path; ModelError naming the resolved path otherwise.
 */
export async function checkModelFolder(folder: string): Promise<string> {
  if (typeof folder !== 'string' || folder.trim() === '') {
    throw new ConfigError('folder', folder, 'the path of a model folder (a non-empty string)');
  }
  const root = resolve(folder);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(root)).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem = code === 'ENOENT' ? `The model folder ${root} does not exist.` : `The model folder ${root} cannot be read (${code ?? (error as Error).message}).`;
    throw new ModelError(problem, [problem], { cause: error });
  }
  if (!isDirectory) {
    const problem = `${root} is a file, not a model folder (pass the folder that holds config.json and onnx/).`;
    throw new ModelError(problem, [problem]);
  }
  return root;
}

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
    localPath: path,
    byteLength: async (relPath) => (await stat(path(relPath))).size,
  };
}
