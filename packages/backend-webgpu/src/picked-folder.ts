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
