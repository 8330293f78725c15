// The compact layer syntax of `simdnet train --layers`: comma-separated tokens, one layer each, read by one
// table of token forms. Each form turns its token into the layer registry's { className, config } (the
// options of the sn.layers factory, tfjs-layers' names), so a new form is one row here and nothing else.
// The whole stack is checked before any data is read: a token that reads as no form, a suffix the form
// does not take, an image layer after the images were flattened, a stack that ends on images.
import type { Config } from '../nn/config.js';
import { didYouMean, UsageError } from './args.js';

/** The activations a token may name (the hidden activations of simdnet train). */
export const HIDDEN_ACTIVATIONS = ['relu', 'leakyRelu', 'sigmoid', 'tanh', 'linear'] as const;
export type HiddenActivation = (typeof HIDDEN_ACTIVATIONS)[number];

/** One layer of a --layers stack: the registry's class name and config, and the token it came from. */
export interface LayerSpec {
  readonly className: string;
  readonly config: Config;
  readonly token: string;
  /** 1-based position in the stack, for messages. */
  readonly position: number;
}

export interface StackSpec {
  readonly layers: readonly LayerSpec[];
  /** How the dataset is fed: 'image' ([n, rows, cols, 1]) when the stack starts with an image layer, else 'flat' ([n, pixels]). */
  readonly input: 'image' | 'flat';
  /** True when every layer is a plain dense layer (the classic `--layers 128,64`). */
  readonly denseOnly: boolean;
}

/** What a token's suffixes (after '-') may set. */
type Suffix = 'strides' | 'padding' | 'activation';

interface TokenForm {
  /** The keyword the token starts with ('' for a bare number). */
  readonly keyword: string;
  /** How the form reads in help and errors. */
  readonly form: string;
  readonly example: string;
  /** The head (the token before its first '-'); its groups go to `config`. */
  readonly head: RegExp;
  readonly className: string;
  /** An image layer needs [rows, cols, channels] inputs; 'any' takes whatever comes. */
  readonly takes: 'image' | 'any';
  /** 'flat' ends the image part of the stack (flatten, gap); 'same' keeps its input's kind. */
  readonly gives: 'image' | 'flat' | 'same';
  /** The dataset's layout when this is the first layer that cares (dropout, batchnorm and activations do not). */
  readonly starts: 'image' | 'flat' | null;
  readonly suffixes: readonly Suffix[];
  /** Whether --init sets its kernel and bias initializers (it has weights drawn at random). */
  readonly initialized: boolean;
  /** The config from the head's groups (numbers already whole or decimal by the head's pattern). */
  config(groups: string[]): Config;
}

/** 3 or 3x5 as a size or a [rows, cols] pair. */
const pair = (a: string, b: string | undefined): number | [number, number] => (b === undefined ? Number(a) : [Number(a), Number(b)]);

const dense = (units: string): Config => ({ units: Number(units) });
const pooling = (size: string | undefined, cols: string | undefined): Config => (size === undefined ? {} : { poolSize: pair(size, cols) });

const FORMS: readonly TokenForm[] = [
  { keyword: '', form: '<units>', example: '128', head: /^(\d+)$/, className: 'Dense', takes: 'any', gives: 'same', starts: 'flat', suffixes: ['activation'], initialized: true, config: ([u]) => dense(u) },
  { keyword: 'dense', form: 'dense<units>', example: 'dense128', head: /^dense(\d+)$/, className: 'Dense', takes: 'any', gives: 'same', starts: 'flat', suffixes: ['activation'], initialized: true, config: ([u]) => dense(u) },
  {
    keyword: 'conv', form: 'conv<filters>x<k>[x<k2>]', example: 'conv32x3', head: /^conv(\d+)x(\d+)(?:x(\d+))?$/, className: 'Conv2D', takes: 'image', gives: 'image', starts: 'image',
    suffixes: ['strides', 'padding', 'activation'], initialized: true, config: ([f, k, k2]) => ({ filters: Number(f), kernelSize: pair(k, k2) }),
  },
  { keyword: 'pool', form: 'pool[<p>[x<p2>]]', example: 'pool2', head: /^pool(?:(\d+)(?:x(\d+))?)?$/, className: 'MaxPooling2D', takes: 'image', gives: 'image', starts: 'image', suffixes: ['strides', 'padding'], initialized: false, config: ([p, p2]) => pooling(p, p2) },
  { keyword: 'avgpool', form: 'avgpool[<p>[x<p2>]]', example: 'avgpool2', head: /^avgpool(?:(\d+)(?:x(\d+))?)?$/, className: 'AveragePooling2D', takes: 'image', gives: 'image', starts: 'image', suffixes: ['strides', 'padding'], initialized: false, config: ([p, p2]) => pooling(p, p2) },
  { keyword: 'gap', form: 'gap', example: 'gap', head: /^gap$/, className: 'GlobalAveragePooling2D', takes: 'image', gives: 'flat', starts: 'image', suffixes: [], initialized: false, config: () => ({}) },
  { keyword: 'flatten', form: 'flatten', example: 'flatten', head: /^flatten$/, className: 'Flatten', takes: 'any', gives: 'flat', starts: 'image', suffixes: [], initialized: false, config: () => ({}) },
  { keyword: 'dropout', form: 'dropout<rate>', example: 'dropout0.5', head: /^dropout(\d*\.?\d+)$/, className: 'Dropout', takes: 'any', gives: 'same', starts: null, suffixes: [], initialized: false, config: ([r]) => ({ rate: Number(r) }) },
  { keyword: 'batchnorm', form: 'batchnorm', example: 'batchnorm', head: /^batchnorm$/, className: 'BatchNormalization', takes: 'any', gives: 'same', starts: null, suffixes: [], initialized: false, config: () => ({}) },
  ...HIDDEN_ACTIVATIONS.map((a): TokenForm => ({
    keyword: a, form: a, example: a, head: new RegExp(`^${a}$`), className: 'Activation', takes: 'any', gives: 'same', starts: null, suffixes: [], initialized: false, config: () => ({ activation: a }),
  })),
];

const KEYWORDS = FORMS.map((f) => f.keyword).filter((k) => k !== '');

const SUFFIX_FORMS: Record<Suffix, string> = { strides: '-s<stride>', padding: '-same|-valid', activation: `-<activation> (${HIDDEN_ACTIVATIONS.join(', ')})` };

/** The forms, for errors: '<units>, dense<units>, conv<filters>x<k>[x<k2>], ...'. */
const LAYER_FORMS = FORMS.filter((f) => f.className !== 'Activation').map((f) => f.form).join(', ') + `, ${HIDDEN_ACTIVATIONS.join('|')}`;

/** Suffix values, or the reason the text is no suffix of `form`. */
function readSuffix(text: string, form: TokenForm): { kind: Suffix; value: unknown } | string {
  const stride = /^s(\d+)$/.exec(text);
  const kind: Suffix | undefined = stride ? 'strides' : text === 'same' || text === 'valid' ? 'padding' : (HIDDEN_ACTIVATIONS as readonly string[]).includes(text) ? 'activation' : undefined;
  const takes = form.suffixes.length === 0 ? `${form.keyword} takes no suffix` : `${form.keyword || 'a dense layer'} takes ${form.suffixes.map((s) => SUFFIX_FORMS[s]).join(', ')}`;
  if (kind === undefined) {
    const hint = form.suffixes.includes('activation') ? didYouMean(text, HIDDEN_ACTIVATIONS, (c) => `'-${c}'`) : '';
    return `${takes}; '-${text}' is no suffix${hint}`;
  }
  if (!form.suffixes.includes(kind)) return `'-${text}' sets ${kind === 'strides' ? 'a stride' : kind}, but ${takes}`;
  return { kind, value: stride ? Number(stride[1]) : text };
}

/** The form a token's head reads as, or the reason it reads as none (with a suggestion when one is near). */
function findForm(head: string): { form: TokenForm; groups: string[] } | string {
  for (const form of FORMS) {
    const m = form.head.exec(head);
    if (m) return { form, groups: m.slice(1) };
  }
  const keyword = /^[a-zA-Z]*/.exec(head)![0];
  const known = FORMS.find((f) => f.keyword !== '' && f.keyword === keyword);
  if (known) return `does not read as ${known.form} (e.g. ${known.example})`;
  const near = keyword === '' ? undefined : didYouMean(keyword, KEYWORDS, (k) => `'${k}${head.slice(keyword.length)}'`);
  return `is not a layer${near ?? ''}`;
}

/**
 * Reads a --layers value ('none', or tokens such as `conv32x3,pool2,flatten,dropout0.5,128`). Dense and conv
 * layers take `activation` unless a suffix names another, and the initializers `init` (from --init) when given.
 */
export function parseLayerStack(text: string, activation: HiddenActivation, init: Config): StackSpec {
  if (text === 'none') return { layers: [], input: 'flat', denseOnly: true };
  const valid = `valid: ${LAYER_FORMS}, with suffixes ${Object.values(SUFFIX_FORMS).join(', ')} where they apply; or 'none'`;
  const tokens = text.split(',').map((t) => t.trim());
  const layers: LayerSpec[] = [];
  const forms: TokenForm[] = [];
  tokens.forEach((token, i) => {
    const at = `train: --layers token ${i + 1} '${token}'`;
    if (token === '') throw new UsageError(`train: --layers token ${i + 1} is empty (tokens are separated by single commas; ${valid})`);
    const [head, ...suffixes] = token.split('-');
    const found = findForm(head);
    if (typeof found === 'string') throw new UsageError(`${at} ${found} (${valid})`);
    const { form, groups } = found;
    const config: Config = form.config(groups);
    if (form.suffixes.includes('activation')) config.activation = activation;
    if (form.initialized) Object.assign(config, init);
    const seen = new Set<Suffix>();
    for (const text of suffixes) {
      const suffix = readSuffix(text, form);
      if (typeof suffix === 'string') throw new UsageError(`${at}: ${suffix}`);
      if (seen.has(suffix.kind)) throw new UsageError(`${at}: ${suffix.kind} is given twice`);
      seen.add(suffix.kind);
      config[suffix.kind] = suffix.value;
    }
    layers.push({ className: form.className, config, token, position: i + 1 });
    forms.push(form);
  });
  // The images stay images until a layer flattens them; the first layer that cares decides the input.
  const input = forms.find((f) => f.starts !== null)?.starts ?? 'flat';
  let kind: 'image' | 'flat' = input;
  let flattenedBy: LayerSpec | undefined;
  forms.forEach((form, i) => {
    if (form.takes === 'image' && kind !== 'image') {
      const after = flattenedBy === undefined ? 'the stack starts with flat inputs' : `it follows token ${flattenedBy.position} '${flattenedBy.token}', which makes flat vectors`;
      throw new UsageError(`train: --layers token ${i + 1} '${layers[i].token}' needs images (rows x cols x channels), but ${after}`);
    }
    if (form.gives === 'flat' && kind === 'image') flattenedBy = layers[i];
    if (form.gives !== 'same') kind = form.gives;
  });
  if (kind === 'image') {
    throw new UsageError(`train: --layers '${text}' ends with images; add flatten or gap before the output layer (a dense layer of one unit per class, added by train)`);
  }
  return { layers, input, denseOnly: forms.every((f) => f.className === 'Dense') };
}
