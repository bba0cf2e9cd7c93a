import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { printerSimulators } from '../../simulators/printer/family.js';
import { jsonCaller, startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/**
 * Receipts naming patrons and titles in letters the receipt printer's code page lacks (the
 * simulated desk's printer: ESC/POS over TCP, code page PC858), posted over HTTP as a kiosk does,
 * read back from what the printer simulator printed.
 */
let desk: TestDesk;
const call = jsonCaller(() => desk.api);
/** The library's own receipt templates (the printer's `templates` setting). */
const templates = mkdtempSync(path.join(tmpdir(), 'carrel-receipts-'));

/** A Polish library's own receipt: its name, thanks and labels in its own words, and a line in Japanese. */
writeFileSync(
  path.join(templates, 'thanks.receipt'),
  [
    '{align:center}',
    '^^"Bibliothèque Łódź"',
    'Dziękujemy — do zobaczenia!',
    '{align:left}',
    'Wypożyczający: | {{patron.name}}',
    '„Pan Tadeusz” | zwrot: {{dueDate}}',
    '図書館',
    '=',
    '',
  ].join('\n'),
);

beforeAll(async () => {
  desk = await startTestDesk((config) => ({
    ...config,
    mqtt: { mode: 'off' },
    devices: config.devices.map((d) => (d.kind === 'receipt-printer' ? { ...d, templates } : d)),
  }));
  await waitForDevice(desk.api, 'receipt-1', 'online', 15_000);
}, 30_000);

afterAll(async () => {
  await desk?.stop();
  rmSync(templates, { recursive: true, force: true });
});

const printer = () => desk.desk.simulators.handle(printerSimulators, 'printer-sim')!;

async function print(data: Record<string, unknown>, template = 'checkout') {
  const posted = await call('POST', '/api/v1/printers/receipt-1/receipts', { template, data });
  expect(posted.status).toBe(202);
  return until(async () => {
    const job = (await call('GET', `/api/v1/printers/receipt-1/jobs/${posted.body.id}`)).body;
    return job.state === 'printed' ? job : undefined;
  }, 10_000);
}

describe('a receipt with letters outside the printer’s code page', () => {
  it('prints Turkish, Polish and Romanian names legibly, as their letters without the marks PC858 lacks', async () => {
    const job = await print({
      patron: { name: 'Şükrü Çağlayan' },
      loans: [
        { title: 'Kırmızı Saçlı Kadın', barcode: '31000001', dueDate: '2026-12-13' },
        { title: 'Łódź i Świętokrzyskie', barcode: '31000002', dueDate: '2026-12-13' },
        { title: 'Țara și oamenii', barcode: '31000003', dueDate: '2026-12-13' },
      ],
    });
    const text = printer().receipts().at(-1)!.text;
    expect(text).toContain('Sükrü Çaglayan');
    expect(text).toContain('Kirmizi Saçli Kadin');
    expect(text).toContain('Lódz i Swietokrzyskie');
    expect(text).toContain('Tara si oamenii');
    expect(text).not.toContain('?');
    expect(job.notice).toBeUndefined();
  });

  it('keeps the Swedish letters PC858 has as they are', async () => {
    await print({
      patron: { name: 'Zoë Åström' },
      loans: [{ title: 'Pippi Långstrump', barcode: '31000001', dueDate: '2026-12-13' }],
    });
    const text = printer().receipts().at(-1)!.text;
    expect(text).toContain('Zoë Åström');
    expect(text).toContain('Pippi Långstrump');
  });

  it('says in words, on the job, that a title in Japanese could not be printed, naming no patron', async () => {
    const job = await print({
      patron: { name: 'Mei Lin' },
      loans: [{ title: 'ノルウェイの森', barcode: '31000010', dueDate: '2026-12-13' }],
    });
    expect(job.notice).toMatch(/7 characters .*code page .*cp858.*printed as "\?"/);
    expect(job.notice).not.toContain('Mei');
    expect(job.notice).not.toContain('ノ');
    // The item is still named by its barcode on the paper.
    expect(printer().receipts().at(-1)!.text).toContain('31000010');
  });

  it("folds the library's own template text as it does the data, and counts what still cannot print", async () => {
    const job = await print({ patron: { name: 'Şükrü Çağlayan' }, dueDate: '2026-12-13' }, 'thanks');
    const text = printer().receipts().at(-1)!.text;
    // PC858 has è and ó, not Ł, ź, ę, ż or ą: the letters without their marks, dashes and quotes as ASCII.
    expect(text).toContain('Bibliothèque Lódz');
    expect(text).toContain('Dziekujemy - do zobaczenia!');
    expect(text).toContain('Wypozyczajacy:');
    expect(text).toContain('"Pan Tadeusz"');
    expect(text).toContain('Sükrü Çaglayan');
    // Only the three Japanese characters, which have no such form, print as "?", and the job says so.
    expect(text.match(/\?/g)).toHaveLength(3);
    expect(job.notice).toMatch(/3 characters .*code page .*cp858.*printed as "\?"/);
  });
});
