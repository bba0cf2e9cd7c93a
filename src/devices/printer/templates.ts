import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CarrelError } from '../../core/errors.js';
import { packageRoot } from '../../core/paths.js';
import { CodePageFolding } from './code-page-folding.js';
import { type CompiledTemplate, compileTemplate, escapeReceiptText } from './template-engine.js';

export { TemplateSyntaxError } from './template-engine.js';

type Receiptline = typeof import('receiptline');
let loaded: Receiptline | undefined;
/**
 * receiptline (with its own iconv-lite and pngjs: ~1.3 MB of heap) loads with the first receipt
 * rendered, not with every desk that has a printer; by require, since rendering is synchronous
 * (its package is CommonJS, the same module an import would give).
 */
function receiptline(): Receiptline {
  loaded ??= createRequire(import.meta.url)('receiptline') as Receiptline;
  return loaded;
}

/** The code pages receiptline can print in (a subset of its encodings: single-byte Western ones). */
export type ReceiptEncoding =
  | 'cp437'
  | 'cp850'
  | 'cp852'
  | 'cp858'
  | 'cp860'
  | 'cp863'
  | 'cp865'
  | 'cp866'
  | 'cp1252'
  | 'multilingual';

export interface RenderOptions {
  /** Characters per line at the normal font (42 on 80 mm paper). */
  columns: number;
  encoding: string;
  /** Printed where a template says `{{{logo}}}`. */
  logoPng?: Buffer;
}

export class TemplateError extends CarrelError {}

const PAPER_SENSOR_QUERY = Buffer.from([0x1d, 0x72, 0x31]);

/** receiptline knows no cp850; cp858 is cp850 with the euro sign, so it stands in. */
const ENCODING_ALIASES: Record<string, string> = { cp850: 'cp858' };
const RECEIPTLINE_ENCODINGS = new Set([
  'cp437',
  'cp852',
  'cp858',
  'cp860',
  'cp863',
  'cp865',
  'cp866',
  'cp1252',
  'multilingual',
]);

/**
 * Renders a receipt template (receiptline markup with mustache placeholders) to
 * ESC/POS bytes. Data values are escaped, so patron input cannot add markup.
 */
export function renderReceipt(template: string, data: object, options: RenderOptions): Uint8Array {
  return renderCompiled(compileTemplate('inline', template), data, options).bytes;
}

/** A rendered receipt, and how many characters of its text the code page has no place for (printed as "?"). */
export interface RenderedReceipt {
  bytes: Uint8Array;
  unprintable: number;
}

function renderCompiled(compiled: CompiledTemplate, data: object, options: RenderOptions): RenderedReceipt {
  const encoding = ENCODING_ALIASES[options.encoding] ?? options.encoding;
  if (!RECEIPTLINE_ENCODINGS.has(encoding))
    throw new TemplateError(
      'encoding_unsupported',
      `receipt encoding "${options.encoding}" is not supported`,
    );
  const logo = options.logoPng ? `{image:${options.logoPng.toString('base64')}}` : '';
  // Each value, and the template's own words (a library's name, thanks and labels), in the
  // printer's code page: a letter it lacks prints as the letter without its marks (Ş as S, Ł as L),
  // not as "?"; what has no such form is counted.
  const folding = new CodePageFolding(encoding);
  const markup = compiled
    .render(
      { ...data, logo },
      (value) => escapeReceiptText(folding.fold(value)),
      (text) => foldTemplateText(folding, text),
    )
    .replace(/\n+$/, '');
  let commands: string;
  try {
    commands = receiptline().transform(markup, {
      cpl: options.columns,
      encoding: encoding as never,
      command: 'escpos',
      // Templates say where to cut (`=`); receiptline would add a second cut.
      cutting: false,
      gradient: false,
    });
  } catch (error) {
    throw new TemplateError('template_render_failed', `receipt "${compiled.name}" could not be rendered`, {
      cause: error,
    });
  }
  // receiptline returns one character per byte, and ends with GS r 1 (a paper
  // sensor query) whose answer nobody reads: the driver polls DLE EOT instead.
  const bytes = Buffer.from(commands, 'latin1');
  const end =
    bytes.length >= 3 && bytes.subarray(-3).equals(PAPER_SENSOR_QUERY) ? bytes.length - 3 : bytes.length;
  return { bytes: new Uint8Array(bytes.subarray(0, end)), unprintable: folding.unprintable };
}

/**
 * A template's own text in the code page. Its markup is ASCII and stays as written; only the runs
 * of other characters are folded, and what they fold to is escaped: a „quote” folded to `"` or a
 * dash to `-` is the library's word, not receiptline's emphasis or rule.
 */
function foldTemplateText(folding: CodePageFolding, text: string): string {
  return text.replace(/[^\t\n\r -~]+/g, (run) => escapeReceiptText(folding.fold(run)));
}

export interface ReceiptTemplatesOptions extends RenderOptions {
  /** A directory whose `<name>.receipt` files override the built-in ones. */
  directory?: string;
  /** Merged under each render's data (library name, branch…). */
  defaults?: Record<string, unknown>;
  /** Where the built-in templates live; defaults to templates/receipts in the package. */
  builtInDirectory?: string;
}

/** Loads, caches and renders the receipt templates of one printer. */
export class ReceiptTemplates {
  private readonly cache = new Map<string, CompiledTemplate>();
  private readonly builtIn: string;

  constructor(private readonly options: ReceiptTemplatesOptions) {
    this.builtIn = options.builtInDirectory ?? builtInTemplatesDirectory();
  }

  /** Template names available, built-in and overriding, sorted. */
  list(): string[] {
    const names = new Set<string>();
    for (const directory of [this.builtIn, this.options.directory]) {
      if (!directory || !existsSync(directory)) continue;
      for (const file of readdirSync(directory))
        if (file.endsWith('.receipt')) names.add(file.slice(0, -'.receipt'.length));
    }
    return [...names].sort();
  }

  /** Renders template `name` with `data` to ESC/POS bytes. */
  render(name: string, data: object): Uint8Array {
    return this.renderReceipt(name, data).bytes;
  }

  /** Renders template `name` with `data`, saying how many characters the code page could not print. */
  renderReceipt(name: string, data: object): RenderedReceipt {
    const compiled = this.load(name);
    return renderCompiled(compiled, { ...this.options.defaults, ...data }, this.options);
  }

  /** The code page receipts are printed in (receiptline's name). */
  get encoding(): string {
    return this.options.encoding;
  }

  /** Drops cached templates, so edited files are read again. */
  reload(): void {
    this.cache.clear();
  }

  private load(name: string): CompiledTemplate {
    const cached = this.cache.get(name);
    if (cached) return cached;
    if (!/^[a-z0-9][a-z0-9_-]*$/i.test(name))
      throw new TemplateError('template_unknown', `"${name}" is not a receipt template name`);
    const file = [this.options.directory, this.builtIn]
      .filter((directory): directory is string => directory !== undefined)
      .map((directory) => path.join(directory, `${name}.receipt`))
      .find((candidate) => existsSync(candidate));
    if (!file) throw new TemplateError('template_unknown', `there is no receipt template "${name}"`);
    const compiled = compileTemplate(name, readFileSync(file, 'utf8'));
    this.cache.set(name, compiled);
    return compiled;
  }
}

/** templates/receipts under the package root, found from this file whether it runs from src or dist. */
export function builtInTemplatesDirectory(): string {
  return path.join(packageRoot(), 'templates', 'receipts');
}
