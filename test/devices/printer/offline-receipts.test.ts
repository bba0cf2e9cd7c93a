import { describe, expect, it } from 'vitest';
import { ReceiptTemplates } from '../../../src/devices/printer/templates.js';

const options = { columns: 42, encoding: 'cp858' as const };
const sample = {
  library: { name: 'Westside Library' },
  printedAt: '2026-11-23 10:00',
  loans: [{ title: 'Dune', barcode: '31000005', dueDate: 'when the library system is back' }],
  returns: [{ title: 'Dune', barcode: '31000005' }],
};

describe('receipts of transactions taken offline', () => {
  it.each(['checkout', 'checkin'])('marks the %s receipt offline, and only when it was', (name) => {
    const templates = new ReceiptTemplates(options);
    const offline = Buffer.from(templates.render(name, { ...sample, offline: true })).toString('latin1');
    const online = Buffer.from(templates.render(name, { ...sample, offline: false })).toString('latin1');
    expect(offline).toContain('OFFLINE');
    expect(offline).toContain('Will be sent to the library system later');
    expect(online).not.toContain('OFFLINE');
    expect(online).not.toContain('library system later');
  });
});
