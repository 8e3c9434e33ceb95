import type { Tensor, TensorBackend } from './tensor-backend.js';

/**
 * Per-thinker perturbation of a step-0 distribution (the original's "swap / temperature scaling").
 * Thinker i > 0 looks at its most probable token a and its (i+1)-th most probable token b:
 * if p[b] / p[a] > threshold the two probabilities are swapped; otherwise p[b] is multiplied by tHigh,
 * p[a] by tLow, and the row is renormalised. Works on log-probabilities; touches only the top list.
 */
export interface Perturbation {
  readonly swapped: boolean;
  /** Vocabulary ids of a (most probable) and b ((i+1)-th most probable). */
  readonly columns: readonly [number, number];
  /** New log-probabilities of a and b before the row shift. */
  readonly logValues: readonly [number, number];
  /** Added to the whole row afterwards to renormalise (0 for a swap). */
  readonly shift: number;
}

/**
 * @param thinker row index (≥ 1)
 * @param topLogProbs the row's top-k log-probabilities, descending (k ≥ thinker + 1)
 * @param topIndices their vocabulary ids
 * @returns undefined when the row has no (thinker+1)-th candidate (vocabulary smaller than that)
 */
export function perturbThinker(
  thinker: number,
  topLogProbs: ArrayLike<number>,
  topIndices: ArrayLike<number>,
  threshold: number,
  tLow: number,
  tHigh: number,
): Perturbation | undefined {
  if (thinker < 1 || thinker >= topLogProbs.length) return undefined;
  const la = topLogProbs[0]!;
  const lb = topLogProbs[thinker]!;
  const columns: [number, number] = [topIndices[0]!, topIndices[thinker]!];
  if (Math.exp(lb - la) > threshold) {
    return { swapped: true, columns, logValues: [lb, la], shift: 0 };
  }
  const pa = Math.exp(la);
  const pb = Math.exp(lb);
  // Mass after scaling the two entries; the rest of the row is unchanged until the shift.
  const total = 1 - pa - pb + pa * tLow + pb * tHigh;
  return {
    swapped: false,
    columns,
    logValues: [la + Math.log(tLow), lb + Math.log(tHigh)],
    shift: -Math.log(total),
  };
}

/**
 * Index into the top list of the perturbed row's argmax. The perturbation lowers a, raises b and
 * shifts every other entry equally, so the new maximum is always within the row's top list.
 */
export function perturbedArgmaxPosition(
  thinker: number,
  topLogProbs: ArrayLike<number>,
  perturbation: Perturbation | undefined,
): number {
  if (!perturbation) return 0;
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < topLogProbs.length; j++) {
    const value = j === 0 ? perturbation.logValues[0] : j === thinker ? perturbation.logValues[1] : topLogProbs[j]!;
    if (value > bestValue) {
      bestValue = value;
      best = j;
    }
  }
  return best;
}

/** Writes each perturbed thinker's two edited log-probabilities and its renormalising shift into `logProbs`. */
export function applyPerturbations(backend: TensorBackend, logProbs: Tensor, perturbations: readonly (Perturbation | undefined)[]): void {
  const edits = perturbations.filter((p) => p !== undefined).length;
  if (edits === 0) return;
  const rowIds = new Int32Array(edits * 2);
  const columns = new Int32Array(edits * 2);
  const values = new Float32Array(edits * 2);
  const shifts = new Float32Array(perturbations.length);
  let e = 0;
  perturbations.forEach((p, r) => {
    if (!p) return;
    for (let j = 0; j < 2; j++) {
      rowIds[e] = r;
      columns[e] = p.columns[j]!;
      values[e] = p.logValues[j]!;
      e++;
    }
    shifts[r] = p.shift;
  });
  backend.setElements(logProbs, rowIds, columns, values);
  backend.shiftRows(logProbs, shifts);
}
