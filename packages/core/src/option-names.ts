import { ConfigError } from './errors.js';

/**
 * Maps an options object's keys to their camelCase names: camelCase names pass, snake_case aliases
 * are renamed, and an unknown name is refused with the closest known one suggested — a typo or a
 * Python spelling must not be silently ignored.
 * @throws ConfigError naming an unknown key (with a suggestion) or a field given in two spellings.
 */
export function resolveOptionNames(
  input: Readonly<Record<string, unknown>>,
  camelNames: ReadonlySet<string>,
  snakeAliases: Readonly<Record<string, string>>,
  /** What the options are, for messages (e.g. `config field`, `generate option`). */
  kind: string,
): { values: Record<string, unknown>; given: Set<string> } {
  const values: Record<string, unknown> = {};
  const spelling = new Map<string, string>();
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    const name = camelNames.has(key) ? key : Object.hasOwn(snakeAliases, key) ? snakeAliases[key] : undefined;
    if (name === undefined) {
      const suggestion = closestName(key, [...camelNames, ...Object.keys(snakeAliases)]);
      throw new ConfigError(
        key,
        value,
        `a known ${kind}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; known: ${[...camelNames].join(', ')}`,
      );
    }
    const previous = spelling.get(name);
    if (previous !== undefined && previous !== key) {
      throw new ConfigError(name, value, `one spelling only (both "${previous}" and "${key}" given)`);
    }
    spelling.set(name, key);
    values[name] = value;
  }
  return { values, given: new Set(spelling.keys()) };
}

/**
 * The known name nearest to `name` by edit distance, ignoring case and underscores; undefined when
 * none is near enough to be a plausible typo (distance over a third of the name).
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const normalise = (s: string) => s.toLowerCase().replaceAll('_', '');
  const target = normalise(name);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  // On a tie, answer in the caller's spelling (snake_case for a snake_case name).
  const sameStyle = (candidate: string) => candidate.includes('_') === name.includes('_');
  for (const candidate of known) {
    const d = editDistance(target, normalise(candidate));
    if (d < bestDistance || (d === bestDistance && best !== undefined && !sameStyle(best) && sameStyle(candidate))) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(target.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
