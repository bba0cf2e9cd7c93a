import { CarrelError } from '../../core/errors.js';

/**
 * A small mustache dialect for receipt templates, so a library can edit its
 * receipts without touching code:
 *
 * - `{{patron.name}}`            a value, escaped for receiptline markup
 * - `{{{logo}}}`                 a value inserted raw (markup the gateway made)
 * - `{{#loans}}…{{/loans}}`      a section: repeated per list item, shown once for a
 *                                truthy value (an object becomes the context)
 * - `{{^fines}}…{{/fines}}`      an inverted section: shown when the value is missing,
 *                                false or an empty list
 * - `{{! a comment }}`           dropped
 * - `{{.}}`                      the current list item
 *
 * A line holding nothing but a section tag or a comment is removed whole, so
 * sections do not leave blank lines on the paper.
 */

export class TemplateSyntaxError extends CarrelError {
  constructor(
    readonly template: string,
    readonly line: number,
    detail: string,
  ) {
    super('template_syntax', `receipt template "${template}" line ${line}: ${detail}`);
  }
}

type Node =
  | { type: 'text'; text: string }
  | { type: 'value'; path: string; raw: boolean }
  | { type: 'section'; path: string; inverted: boolean; children: Node[] };

export interface CompiledTemplate {
  readonly name: string;
  /**
   * The markup with every value through `escapeValue`, and the template's own text (its markup,
   * the library's words) through `templateText` (as it is when not given).
   */
  render(
    data: unknown,
    escapeValue: (value: string) => string,
    templateText?: (text: string) => string,
  ): string;
}

interface RenderText {
  value: (value: string) => string;
  template: (text: string) => string;
}

interface Tag {
  kind: '#' | '^' | '/' | '!' | '{' | '&' | '';
  key: string;
  start: number;
  end: number;
  line: number;
}

const TAG = /\{\{![\s\S]*?\}\}|\{\{\{\s*([^}]*?)\s*\}\}\}|\{\{([#^/&]?)\s*([^}]*?)\s*\}\}/g;
const KEY = /^(\.|[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*)$/;

/** Parses a template once; throws TemplateSyntaxError with the line number on bad syntax. */
export function compileTemplate(name: string, source: string): CompiledTemplate {
  const tags = scanTags(name, source);
  const root: Node[] = [];
  const stack: Array<{ path: string; line: number; children: Node[] }> = [];
  let children = root;
  let cursor = 0;

  for (const tag of tags) {
    const standalone = tag.kind === '#' || tag.kind === '^' || tag.kind === '/' || tag.kind === '!';
    let textEnd = tag.start;
    let next = tag.end;
    if (standalone) {
      const lineStart = source.lastIndexOf('\n', tag.start - 1) + 1;
      const newline = source.indexOf('\n', tag.end);
      const lineEnd = newline === -1 ? source.length : newline;
      const alone =
        lineStart >= cursor &&
        /^[\t ]*$/.test(source.slice(lineStart, tag.start)) &&
        /^[\t ]*\r?$/.test(source.slice(tag.end, lineEnd));
      if (alone) {
        textEnd = lineStart;
        next = newline === -1 ? source.length : newline + 1;
      }
    }
    if (textEnd > cursor) children.push({ type: 'text', text: source.slice(cursor, textEnd) });
    cursor = next;

    switch (tag.kind) {
      case '!':
        break;
      case '#':
      case '^': {
        const section: Node = { type: 'section', path: tag.key, inverted: tag.kind === '^', children: [] };
        children.push(section);
        stack.push({ path: tag.key, line: tag.line, children });
        children = section.children;
        break;
      }
      case '/': {
        const open = stack.pop();
        if (!open) throw new TemplateSyntaxError(name, tag.line, `{{/${tag.key}}} closes no open section`);
        if (open.path !== tag.key)
          throw new TemplateSyntaxError(
            name,
            tag.line,
            `{{/${tag.key}}} does not match {{#${open.path}}} opened on line ${open.line}`,
          );
        children = open.children;
        break;
      }
      default:
        children.push({ type: 'value', path: tag.key, raw: tag.kind === '{' || tag.kind === '&' });
    }
  }
  const unclosed = stack.pop();
  if (unclosed)
    throw new TemplateSyntaxError(name, unclosed.line, `section {{#${unclosed.path}}} is never closed`);
  if (cursor < source.length) root.push({ type: 'text', text: source.slice(cursor) });

  return {
    name,
    render: (data, escapeValue, templateText = (text) => text) =>
      renderNodes(root, [data], { value: escapeValue, template: templateText }),
  };
}

function scanTags(name: string, source: string): Tag[] {
  const tags: Tag[] = [];
  let searched = 0;
  for (const match of source.matchAll(TAG)) {
    const start = match.index;
    const [whole, rawKey, sigil, key = rawKey ?? ''] = match;
    const line = lineOf(source, start);
    const unmatched = source.slice(searched, start).indexOf('{{');
    if (unmatched !== -1)
      throw new TemplateSyntaxError(name, lineOf(source, searched + unmatched), 'unclosed {{');
    searched = start + whole.length;
    const kind = (whole.startsWith('{{!') ? '!' : rawKey !== undefined ? '{' : sigil) as Tag['kind'];
    if (kind !== '!' && !KEY.test(key))
      throw new TemplateSyntaxError(name, line, `"${key}" is not a valid name (use letters, digits, dots)`);
    tags.push({ kind, key, start, end: start + whole.length, line });
  }
  const rest = source.slice(searched).indexOf('{{');
  if (rest !== -1) throw new TemplateSyntaxError(name, lineOf(source, searched + rest), 'unclosed {{');
  return tags;
}

function lineOf(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

function renderNodes(nodes: Node[], contexts: unknown[], text: RenderText): string {
  let out = '';
  for (const node of nodes) {
    if (node.type === 'text') {
      out += text.template(node.text);
    } else if (node.type === 'value') {
      const shown = display(lookup(node.path, contexts));
      out += node.raw ? shown : text.value(shown);
    } else {
      const value = lookup(node.path, contexts);
      const empty = value === undefined || value === null || value === false || value === '' || value === 0;
      const list = Array.isArray(value);
      if (node.inverted) {
        if (empty || (list && value.length === 0)) out += renderNodes(node.children, contexts, text);
      } else if (list) {
        for (const item of value) out += renderNodes(node.children, [...contexts, item], text);
      } else if (!empty) {
        const pushed = typeof value === 'object' ? [...contexts, value] : contexts;
        out += renderNodes(node.children, pushed, text);
      }
    }
  }
  return out;
}

function lookup(path: string, contexts: unknown[]): unknown {
  if (path === '.') return contexts[contexts.length - 1];
  const [head, ...rest] = path.split('.');
  for (let i = contexts.length - 1; i >= 0; i--) {
    const context = contexts[i];
    if (context !== null && typeof context === 'object' && Object.hasOwn(context, head!)) {
      let value: unknown = (context as Record<string, unknown>)[head!];
      for (const key of rest) {
        if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined;
        value = (value as Record<string, unknown>)[key];
      }
      return value;
    }
  }
  return undefined;
}

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 16).replace('T', ' ');
  if (typeof value === 'object') return '';
  return String(value);
}

/**
 * Makes any text safe inside receiptline markup: every character receiptline
 * gives a meaning to becomes a hexadecimal escape, which it prints as the plain
 * character. Works in text columns and inside `{code:…}` properties alike, so a
 * patron's name can never add a cut, a column or a barcode.
 */
export function escapeReceiptText(value: string): string {
  return value.replace(/\r\n|[\r\n]/g, ' ').replace(/[\\|{}~_"^`;=-]/g, hexEscape);
}

function hexEscape(char: string): string {
  return `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
}
