import type { ModelFileSource } from '@reasonflow/model-adapter';

/**
 * A model folder a user picked (`<input type=file webkitdirectory>`, drag and drop): relative paths
 * to `Blob`s (a `File` is one). Files are read when asked for, so the weights are read only by the
 * side that runs them. `Blob`s cross to a worker without copying their bytes.
 */
export function blobFileSource(files: Readonly<Record<string, Blob>>, description = 'local folder'): ModelFileSource {
  const get = (relPath: string): Blob => {
    const file = files[relPath];
    if (file === undefined) throw new Error(`${description}: no file ${relPath}`);
    return file;
  };
  return {
    description,
    exists: async (relPath) => files[relPath] !== undefined,
    readText: (relPath) => get(relPath).text(),
    readBinary: async (relPath) => new Uint8Array(await get(relPath).arrayBuffer()),
  };
}

/**
 * The files of a picked folder keyed by their path inside it: `webkitRelativePath` starts with the
 * folder's own name, which is dropped (`tiny/onnx/model.onnx` → `onnx/model.onnx`).
 */
export function filesByRelativePath(files: Iterable<File>): Record<string, File> {
  const out: Record<string, File> = {};
  for (const file of files) {
    const path = file.webkitRelativePath || file.name;
    out[path.includes('/') ? path.slice(path.indexOf('/') + 1) : path] = file;
  }
  return out;
}
