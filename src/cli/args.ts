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
      throw new UsageError(`${command}: unknown option ${eq < 0 ? arg : arg.slice(0, eq)} (valid: ${Object.keys(allowed).map((o) => `--${o}`).join(', ')}, --help)`);
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
  if (!(valid as readonly string[]).includes(text)) throw new UsageError(`${command}: --${name} must be one of ${valid.join(', ')}, got '${text}'`);
  return text as T;
}

/** Help text: usage line, description, and one aligned line per option. */
export function helpText(usage: string, description: string, allowed: Readonly<Record<string, OptionSpec>>): string {
  const rows = Object.entries(allowed).map(([name, o]) => [`--${name} ${o.value}`, o.help + (o.default !== undefined ? ` (default ${o.default})` : '')]);
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  return `usage: ${usage}\n\n${description}\n\noptions:\n${rows.map(([a, b]) => `  ${a.padEnd(width)}${b}`).join('\n')}\n`;
}
