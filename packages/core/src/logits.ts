import { ModelError } from './errors.js';
import type { Logits } from './model.js';
import type { Tensor, TensorBackend } from './tensor-backend.js';

/**
 * Turns what a sequence's `forward` returned into a tensor of `backend`: host data is adopted as is;
 * device logits are adopted by a backend that works on their location, downloaded otherwise.
 */
export async function logitsToTensor(backend: TensorBackend, logits: Logits, rows: number, vocab: number): Promise<Tensor> {
  const [r, v] = logits.dims;
  if (r !== rows || v !== vocab) {
    if (logits.location !== 'cpu') logits.dispose();
    throw new ModelError(`Model returned logits of shape [${r}, ${v}], expected [${rows}, ${vocab}].`);
  }
  if (logits.location === 'cpu') return backend.fromHost(logits.data, logits.dims);
  const adopted = backend.fromDevice?.(logits);
  if (adopted !== undefined) return adopted;
  try {
    return backend.fromHost(await logits.download(), logits.dims);
  } finally {
    logits.dispose();
  }
}

/** The values of `logits` in host memory (device logits are downloaded and released). */
export async function logitsToHost(logits: Logits): Promise<Float32Array> {
  if (logits.location === 'cpu') return logits.data;
  try {
    return await logits.download();
  } finally {
    logits.dispose();
  }
}
