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
  /**
   * Local sources only: where the file is on disk, so that onnxruntime opens a graph and reads its
   * external data itself: no copy of the weights in JavaScript, and no 2 GiB limit of one read.
   * Given together with `byteLength`.
   */
  readonly localPath?: (relPath: string) => string;
  /** The file's size in bytes, without reading it (external data is checked against what the graph needs). */
  readonly byteLength?: (relPath: string) => Promise<number>;
}

/**
 * An in-memory folder: tests, bundled models, or files a user picked in a browser (`File`s are
 * `Blob`s, read only when asked for, and cross to a worker without copying their bytes).
 */
export function memoryFileSource(
  files: Readonly<Record<string, string | Uint8Array | Blob>>,
  description = 'memory',
): ModelFileSource {
  const get = (relPath: string): string | Uint8Array | Blob => {
    const file = files[relPath];
    if (file === undefined) throw new Error(`${description}: no file ${relPath}`);
    return file;
  };
  return {
    description,
    exists: async (relPath) => files[relPath] !== undefined,
    readText: async (relPath) => {
      const file = get(relPath);
      if (typeof file === 'string') return file;
      return file instanceof Uint8Array ? new TextDecoder().decode(file) : file.text();
    },
    readBinary: async (relPath) => {
      const file = get(relPath);
      if (typeof file === 'string') return new TextEncoder().encode(file);
      return file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer());
    },
  };
}
