import type { ReasonFlowConfig } from './config.js';

type ScheduleConfig = Pick<ReasonFlowConfig, 'temperatures' | 'minTemperature' | 'maxTemperature' | 'dynamicTemperature'>;

/** Acceptance rate below which the schedule widens exploration. */
export const LOW_ACCEPTANCE_RATE = 0.3;
/** Iterations (0-based) that get the warm-up boost. */
export const WARMUP_ITERATIONS = 3;
/** Iterations after which temperatures cool down. */
export const COOLDOWN_AFTER = 10;

/**
 * The original's temperature schedule: [tLow, tHigh] for this iteration.
 * Warm-up (iterations 0-2): every base temperature ×1.2, capped at max. Low acceptance in the
 * previous iteration: temperature i ×(1 + 0.15·i), clamped. After iteration 10: ×0.9, floored at min.
 */
export function scheduleTemperatures(
  config: ScheduleConfig,
  iteration: number,
  previousAcceptanceRate: number | undefined,
): [number, number] {
  const [low, high] = config.temperatures;
  if (!config.dynamicTemperature) return [low, high];
  const { minTemperature: min, maxTemperature: max } = config;
  if (iteration < WARMUP_ITERATIONS) return [Math.min(low * 1.2, max), Math.min(high * 1.2, max)];
  if (previousAcceptanceRate !== undefined && previousAcceptanceRate < LOW_ACCEPTANCE_RATE) {
    return [clamp(low * (1 + 0.15 * 0), min, max), clamp(high * (1 + 0.15 * 1), min, max)];
  }
  if (iteration > COOLDOWN_AFTER) return [Math.max(low * 0.9, min), Math.max(high * 0.9, min)];
  return [low, high];
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(Math.max(x, min), max);
}
