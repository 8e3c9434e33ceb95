import type { ReasonFlowConfig } from './config.js';

type ThresholdConfig = Pick<
  ReasonFlowConfig,
  'acceptanceThreshold' | 'minAcceptanceThreshold' | 'maxAcceptanceThreshold' | 'uncertaintyThreshold'
>;

/** Uncertainty below which the model counts as confident and the threshold tightens. */
export const CONFIDENT_UNCERTAINTY = 0.3;
/** Previous acceptance rate below which the threshold relaxes. */
export const VERY_LOW_ACCEPTANCE_RATE = 0.2;

/**
 * The original's acceptance-threshold adaptation. Iteration 0 uses the base; iterations 1-2 relax it
 * (×0.8); high uncertainty relaxes it (×0.85); low uncertainty tightens it (×1.2); a very low previous
 * acceptance rate relaxes it (×0.9). Always clamped to [min, max].
 */
export function adaptAcceptanceThreshold(
  config: ThresholdConfig,
  iteration: number,
  uncertainty: number | undefined,
  previousAcceptanceRate: number | undefined,
): number {
  const { acceptanceThreshold: base, minAcceptanceThreshold: min, maxAcceptanceThreshold: max } = config;
  if (iteration === 0) return base;
  if (iteration <= 2) return Math.max(base * 0.8, min);
  if (uncertainty !== undefined && uncertainty > config.uncertaintyThreshold) return Math.max(base * 0.85, min);
  if (uncertainty !== undefined && uncertainty < CONFIDENT_UNCERTAINTY) return Math.min(base * 1.2, max);
  if (previousAcceptanceRate !== undefined && previousAcceptanceRate < VERY_LOW_ACCEPTANCE_RATE) {
    return Math.max(base * 0.9, min);
  }
  return base;
}
