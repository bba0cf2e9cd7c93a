import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import receiptline from 'receiptline';
import { afterEach, describe, expect, it } from 'vitest';
import { compileTemplate, escapeReceiptText } from '../../../src/devices/printer/template-engine.js';
import {
  builtInTemplatesDirectory,
  ReceiptTemplates,
  renderReceipt,
  TemplateError,
  TemplateSyntaxError,
} from '../../../src/devices/printer/templates.js';

const options = { columns: 42, encoding: 'cp858' };
const asText = (markup: string) =>
  receiptline.transform(markup, { cpl: 42, encoding: 'cp858', command: 'text' });
const render = (template: string, data: object) =>
  compileTemplate('t', template).render(data, escapeReceiptText);

/** GS 8 L: receiptline sends images and QR codes as raster graphics. */
const GRAPHICS = Buffer.from([0x1d, 0x38, 0x4c]);

/** A 1x1 black PNG. */
const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==',
  'base64',
);

describe('template engine', () => {
  it('fills values and nested paths', () => {
    expect(
      render('Hi {{patron.name}} at {{library.name}}', {
        patron: { name: 'Ann' },
        library: { name: 'Main' },
      }),
    ).toBe('Hi Ann at Main');
  });

  it('repeats a section per list item and drops standalone tag lines', () => {
    const template = 'Loans:\n{{#loans}}\n- {{title}} ({{library}})\n{{/loans}}\nEnd\n';
    const out = render(template, { library: 'Main', loans: [{ title: 'A' }, { title: 'B' }] });
    expect(out).toBe('Loans:\n\\x2d A (Main)\n\\x2d B (Main)\nEnd\n'.replaceAll('\\x2d', '-'));
  });

  it('shows an inverted section for a missing, false or empty value only', () => {
    const template = '{{^fines}}none{{/fines}}';
    expect(render(template, {})).toBe('none');
    expect(render(template, { fines: [] })).toBe('none');
    expect(render(template, { fines: false })).toBe('none');
    expect(render(template, { fines: [{ amount: 1 }] })).toBe('');
  });

  it('shows a section once for a truthy value and uses an object as context', () => {
    expect(render('{{#job}}{{title}}/{{pages}}{{/job}}', { job: { title: 'x', pages: 3 } })).toBe('x/3');
    expect(render('{{#hold}}HOLD{{/hold}}', { hold: true })).toBe('HOLD');
    expect(render('{{#hold}}HOLD{{/hold}}', { hold: false })).toBe('');
  });

  it('inserts triple-brace values raw and everything else escaped', () => {
    expect(render('{{{logo}}}', { logo: '{image:abc}' })).toBe('{image:abc}');
    expect(render('{{v}}', { v: '{image:abc}' })).toBe('\\x7bimage:abc\\x7d');
  });

  it('reports an unclosed section with the line it was opened on', () => {
    const error = (() => {
      try {
        compileTemplate('checkout', 'line one\n{{#loans}}\n{{title}}\n');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(TemplateSyntaxError);
    expect(error).toMatchObject({ code: 'template_syntax', line: 2 });
    expect((error as Error).message).toContain('line 2');
  });

  it('reports a mismatched close, a stray close and an unclosed tag', () => {
    expect(() => compileTemplate('t', '{{#a}}\n{{/b}}')).toThrow(/line 2.*does not match/);
    expect(() => compileTemplate('t', 'x\n\n{{/a}}')).toThrow(/line 3.*closes no open section/);
    expect(() => compileTemplate('t', 'x\n{{name')).toThrow(/line 2: unclosed/);
  });
});

describe('escaping patron data for receiptline', () => {
  it('escapes every markup character so it prints as itself', () => {
    const hostile = 'A|B {code:1} ~_"^`\\ x';
    const escaped = escapeReceiptText(hostile);
    expect(escaped).not.toMatch(/[|{}~_"^`]/);
    expect(asText(`${escaped} |`).trimEnd()).toBe(hostile);
  });

  it('cannot inject a cut, a rule or a new line of markup', () => {
    expect(asText(escapeReceiptText('='))).toContain('=');
    const injected = render('Name: {{name}} |\nafter |', { name: 'x\n=\n{code:123}' });
    expect(injected.split('\n')).toHaveLength(2);
    const bytes = renderReceipt('{{name}}', { name: '=' }, options);
    // GS V (cut) never appears for a data value of "=".
    expect(Buffer.from(bytes).includes(Buffer.from([0x1d, 0x56]))).toBe(false);
  });

  it('keeps escaped values working inside a barcode property', () => {
    const bytes = Buffer.from(
      renderReceipt('{code:{{id}}; option:code128,2,48,hri}', { id: 'A;B|C' }, options),
    );
    expect(bytes.includes(Buffer.from('A;B|C', 'latin1'))).toBe(true);
  });
});

describe('renderReceipt', () => {
  it('prints accented names in code page 858 with the code page selected', () => {
    const bytes = Buffer.from(renderReceipt('{{patron.name}}', { patron: { name: 'Zoë Åström' } }, options));
    // ESC t 19 selects page 858; ë=0x89, Å=0x8f, ö=0x94.
    expect(bytes.includes(Buffer.from([0x1b, 0x74, 19]))).toBe(true);
    expect(bytes.includes(Buffer.from([0x5a, 0x6f, 0x89, 0x20, 0x8f, 0x73, 0x74, 0x72, 0x94, 0x6d]))).toBe(
      true,
    );
  });

  it('starts with ESC @ and cuts where the template says', () => {
    const bytes = Buffer.from(renderReceipt('hello\n=', {}, options));
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1b, 0x40]));
    const cuts = bytes.toString('latin1').split('\x1dVB').length - 1;
    expect(cuts).toBe(1);
  });

  it('prints the logo as a raster image where the template has {{{logo}}}', () => {
    const withLogo = Buffer.from(renderReceipt('{{{logo}}}\nhi', {}, { ...options, logoPng: PIXEL_PNG }));
    const without = Buffer.from(renderReceipt('{{{logo}}}\nhi', {}, options));
    expect(withLogo.includes(GRAPHICS)).toBe(true);
    expect(without.includes(GRAPHICS)).toBe(false);
  });

  it('refuses an encoding receiptline cannot print', () => {
    expect(() => renderReceipt('x', {}, { columns: 42, encoding: 'utf-7' })).toThrow(TemplateError);
  });
});

describe('ReceiptTemplates', () => {
  let overrides: string | undefined;
  afterEach(() => {
    if (overrides) rmSync(overrides, { recursive: true, force: true });
    overrides = undefined;
  });

  const sample = {
    library: { name: 'Westside Library', branch: 'Main' },
    patron: { name: 'Zoë Åström' },
    printedAt: '2026-01-02 10:00',
    loans: [{ title: 'Moby-Dick', author: 'Melville', barcode: '31234000012345', dueDate: '2026-02-01' }],
    returns: [{ title: 'Emma', barcode: '31234000099999', hold: true }],
    fines: [{ description: 'Overdue', title: 'Emma', amount: '1.50' }],
    total: '1.50',
    currency: 'EUR',
    transactionId: 'T-1001',
    job: { title: 'essay.pdf', pages: 3, cost: '0.30' },
    releaseCode: '4711',
    printer: 'desk-printer',
    columns: 42,
    encoding: 'cp858',
  };

  it('lists the built-in templates', () => {
    const templates = new ReceiptTemplates(options);
    expect(templates.list()).toEqual([
      'checkin',
      'checkout',
      'fines',
      'payment',
      'print-release',
      'test-page',
    ]);
    expect(builtInTemplatesDirectory()).toMatch(/templates[/\\]receipts$/);
  });

  it.each(['checkin', 'checkout', 'fines', 'print-release', 'test-page'])(
    'renders the built-in %s template with a cut',
    (name) => {
      const templates = new ReceiptTemplates({ ...options, logoPng: PIXEL_PNG });
      const bytes = Buffer.from(templates.render(name, sample));
      expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1b, 0x40]));
      expect(bytes.includes(Buffer.from('\x1dVB', 'latin1'))).toBe(true);
      expect(bytes.includes(Buffer.from('Westside Library', 'latin1'))).toBe(true);
      expect(bytes.includes(GRAPHICS)).toBe(true);
    },
  );

  it('puts a barcode on the checkout receipt and a QR code on the print-release receipt', () => {
    const templates = new ReceiptTemplates(options);
    const checkout = Buffer.from(templates.render('checkout', sample));
    expect(checkout.includes(Buffer.from([0x1d, 0x6b]))).toBe(true); // GS k: barcode
    const release = Buffer.from(templates.render('print-release', sample));
    // No logo configured: the only graphic is the QR code.
    expect(release.includes(GRAPHICS)).toBe(true);
  });

  it("prints a loan's note on the checkout receipt, and nothing for a loan without one", () => {
    const templates = new ReceiptTemplates(options);
    const note = 'Not released at the kiosk: please show it to staff';
    const loans = [
      ...sample.loans,
      { title: 'Emma', barcode: '31234000099999', dueDate: '2026-02-01', note },
    ];
    const bytes = Buffer.from(templates.render('checkout', { ...sample, loans })).toString('latin1');
    // Printed once, inverted, under the loan it belongs to (wrapped at the receipt's 42 columns).
    expect(bytes.split('Not released at the kiosk').length - 1).toBe(1);
    expect(bytes.indexOf('Not released at the kiosk')).toBeGreaterThan(bytes.indexOf('Emma'));
    expect(bytes).toContain('to staff');
  });

  it('prints each loan she asked to renew that was not renewed, with why', () => {
    const templates = new ReceiptTemplates(options);
    const notRenewed = [
      { title: 'Norwegian Wood', barcode: '31000010', note: 'Not renewed: Item is on hold' },
    ];
    const bytes = Buffer.from(templates.render('checkout', { ...sample, notRenewed })).toString('latin1');
    expect(bytes.indexOf('Not renewed: Item is on hold')).toBeGreaterThan(bytes.indexOf('Norwegian Wood'));
    const without = Buffer.from(templates.render('checkout', sample)).toString('latin1');
    expect(without).not.toContain('Not renewed');
  });

  it('counts the loans checked out and those renewed apart on the checkout receipt, and every loan without counts', () => {
    const markup = readFileSync(path.join(builtInTemplatesDirectory(), 'checkout.receipt'), 'utf8');
    const totals = (data: object) =>
      asText(render(markup, { ...sample, logo: '', ...data }))
        .split('\n')
        .filter((line) => /Items (checked out|renewed)/.test(line))
        .map((line) => line.replace(/\s+/g, ' ').trim());
    expect(totals({})).toEqual([`Items checked out: ${sample.loans.length}`]);
    expect(totals({ counts: { checkedOut: 1, renewed: 2 } })).toEqual([
      'Items checked out: 1',
      'Items renewed: 2',
    ]);
    expect(totals({ counts: { checkedOut: 3, renewed: 0 } })).toEqual(['Items checked out: 3']);
  });

  it('merges defaults under the data', () => {
    const templates = new ReceiptTemplates({ ...options, defaults: { library: { name: 'Eastside' } } });
    const bytes = Buffer.from(templates.render('test-page', { printer: 'p1' }));
    expect(bytes.includes(Buffer.from('Eastside', 'latin1'))).toBe(true);
  });

  it('lets a directory override a built-in by file name and add new ones', () => {
    overrides = mkdtempSync(path.join(tmpdir(), 'carrel-receipts-'));
    writeFileSync(path.join(overrides, 'checkout.receipt'), 'Custom {{library.name}}\n=');
    writeFileSync(path.join(overrides, 'holds.receipt'), 'Hold for {{patron.name}}\n=');
    const templates = new ReceiptTemplates({ ...options, directory: overrides });
    expect(templates.list()).toContain('holds');
    const bytes = Buffer.from(templates.render('checkout', sample));
    expect(bytes.includes(Buffer.from('Custom Westside Library', 'latin1'))).toBe(true);
  });

  it('gives typed errors for an unknown template and a broken one', () => {
    overrides = mkdtempSync(path.join(tmpdir(), 'carrel-receipts-'));
    writeFileSync(path.join(overrides, 'broken.receipt'), 'a\nb\n{{#loans}}\n');
    const templates = new ReceiptTemplates({ ...options, directory: overrides });
    expect(() => templates.render('nope', {})).toThrow(expect.objectContaining({ code: 'template_unknown' }));
    expect(() => templates.render('../etc/passwd', {})).toThrow(
      expect.objectContaining({ code: 'template_unknown' }),
    );
    expect(() => templates.render('broken', {})).toThrow(
      expect.objectContaining({ code: 'template_syntax', template: 'broken', line: 3 }),
    );
  });
});
