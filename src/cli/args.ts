// Command-line parsing for the simdnet CLI: `--name value` or `--name=value`, positional arguments, and
// `--help`. Any mistake is a UsageError, which main prints as one line and exits with code 2.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** Placeholder shown in help, e.g. '<n>'. */
  readonly value: string;
  readonly help: string;
  readonly default?: string;
}

export interface ParsedArgs {
  readonly help: boolean;
  readonly positional: string[];
  readonly options: Map<string, string>;
}

/**
 * Edit distance with adjacent transpositions (optimal string alignment: Damerau, "A technique for computer
 * detection and correction of spelling errors", CACM 1964), so 'trian' is one edit from 'train'.
 */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate closest to a mistyped `word`, if close enough to be what was meant: at most one edit per
 * three letters (at least one), or a prefix of three letters or more ('--epoch' for '--epochs',
 * 'pred' for 'predict'). Case is ignored. Undefined when nothing is close or two candidates tie.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  if (w.length >= 3) {
    const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(w));
    if (prefixed.length === 1) return prefixed[0];
  }
  const scored = candidates.map((c) => ({ c, d: editDistance(w, c.toLowerCase()) })).sort((x, y) => x.d - y.d);
  const best = scored[0];
  if (best === undefined || best.d > Math.max(1, Math.floor(w.length / 3))) return undefined;
  return scored.length > 1 && scored[1].d === best.d ? undefined : best.c;
}

/** '; did you mean X?' when a candidate is close to `word`, else ''. */
export function didYouMean(word: string, candidates: readonly string[], quote: (c: string) => string = (c) => c): string {
  const match = closest(word, candidates);
  return match === undefined ? '' : `; did you mean ${quote(match)}?`;
}

/** Splits argv against the allowed options; unknown options and missing values are usage errors. */
export function parseArgs(command: string, argv: readonly string[], allowed: Readonly<Record<string, OptionSpec>>): ParsedArgs {
  const options = new Map<string, string>();
  const positional: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : '';
    if (!Object.hasOwn(allowed, name)) {
      const given = eq < 0 ? arg : arg.slice(0, eq);
      const hint = didYouMean(given.replace(/^-+/, ''), [...Object.keys(allowed), 'help'], (o) => `--${o}`);
      throw new UsageError(`${command}: unknown option ${given}${hint} (valid: ${Object.keys(allowed).map((o) => `--${o}`).join(', ')}, --help)`);
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) value = argv[++i];
    if (value === undefined) throw new UsageError(`${command}: option --${name} needs a value ${allowed[name].value}`);
    if (options.has(name)) throw new UsageError(`${command}: option --${name} is given twice`);
    options.set(name, value);
  }
  return { help, positional, options };
}

/** The option's value, or its default. */
export function optionValue(args: ParsedArgs, allowed: Readonly<Record<string, OptionSpec>>, name: string): string | undefined {
  return args.options.get(name) ?? allowed[name].default;
}

export function wholeNumber(command: string, name: string, text: string, min: number): number {
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${command}: --${name} must be a whole number >= ${min}, got '${text}'`);
  return n;
}

export function positiveNumber(command: string, name: string, text: string): number {
  const n = /^[0-9]*\.?[0-9]+(e[-+]?[0-9]+)?$/i.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${command}: --${name} must be a number > 0, got '${text}'`);
  return n;
}

export function choice<T extends string>(command: string, name: string, text: string, valid: readonly T[]): T {
  if (!(valid as readonly string[]).includes(text)) {
    throw new UsageError(`${command}: --${name} must be one of ${valid.join(', ')}, got '${text}'${didYouMean(text, valid, (c) => `'${c}'`)}`);
  }
  return text as T;
}

/** Help text: usage line, description, and one aligned line per option. */
export function helpText(usage: string, description: string, allowed: Readonly<Record<string, OptionSpec>>): string {
  const rows = Object.entries(allowed).map(([name, o]) => [`--${name} ${o.value}`, o.help + (o.default !== undefined ? ` (default ${o.default})` : '')]);
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `usage: ${usage}\n\n${description}\n\noptions:\n${rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`).join('\n')}\n`;
}
