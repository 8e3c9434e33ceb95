/**
 * Read access to a model folder, injected by the backend so that this package never touches the
 * file system itself: backend-cuda reads with `fs/promises`, a browser backend with `fetch`.
 * Paths are relative to the folder and always use `/` (e.g. `onnx/model.onnx`).
 */
export interface ModelFileSource {
  /** Where the folder is, for messages (a path or URL). */
  readonly description: string;
  /** Whether `relPath` exists. Never throws for a missing file. */
  exists(relPath: string): Promise<boolean>;
  /** The file as UTF-8 text; rejects when it cannot be read. */
  readText(relPath: string): Promise<string>;
  /** The file's bytes; rejects when it cannot be read. */
  readBinary(relPath: string): Promise<Uint8Array>;
}

/** An in-memory folder (tests, bundled models, files picked by a user in a browser). */
export function memoryFileSource(
  files: Readonly<Record<string, string | Uint8Array>>,
  description = 'memory',
): ModelFileSource {
  const get = (relPath: string): string | Uint8Array => {
    const file = files[relPath];
    if (file === undefined) throw new Error(`${description}: no file ${relPath}`);
    return file;
  };
  return {
    description,
    exists: async (relPath) => files[relPath] !== undefined,
    readText: async (relPath) => {
      const file = get(relPath);
      return typeof file === 'string' ? file : new TextDecoder().decode(file);
    },
    readBinary: async (relPath) => {
      const file = get(relPath);
      return typeof file === 'string' ? new TextEncoder().encode(file) : file;
    },
  };
}
