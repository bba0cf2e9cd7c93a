import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/core/clock.js';
import type { DoctorContext } from '../../../src/gateway/doctor.js';
import { scannerDoctor } from '../../../src/gateway/families/scanner/doctor.js';
import { scannerSchema } from '../../../src/gateway/families/scanner/index.js';
import { ensurePcscd, type Pcscd, pcscSkipReason } from '../../helpers/pcscd.js';

const context: DoctorContext = {
  clock: systemClock,
  simulators: () => {
    throw new Error('no simulators here');
  },
  timeoutMs: 2000,
};

const scanner = (config: Record<string, unknown>) =>
  scannerSchema.parse({ id: 'scanner-9', kind: 'scanner', ...config });

/**
 * `carrel doctor` for scanners and card readers, each driver's own checks: what is looked at,
 * what was found, and the hint that fixes it (pcscd and libccid, the udev rule, the node).
 */
describe('scanner doctor', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'carrel-scanner-doctor-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keyboard wedge: a missing node fails with the udev rule; a FIFO passes; a plain file is no input device', async () => {
    const missing = await scannerDoctor(
      scanner({ driver: 'evdev', device: '/dev/input/by-id/carrel-missing-event-kbd' }),
      context,
    );
    expect(missing).toEqual([
      {
        name: 'scanner scanner-9 input device',
        status: 'fail',
        detail: '/dev/input/by-id/carrel-missing-event-kbd is missing (ENOENT)',
        hint: expect.stringMatching(/devices\[scanner-9\]\.device.*99-carrel\.rules/),
      },
    ]);

    const fifo = join(dir, 'wedge.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await scannerDoctor(scanner({ driver: 'evdev', device: fifo }), context)).toEqual([
      { name: 'scanner scanner-9 input device', status: 'pass', detail: `${fifo} (FIFO) is readable` },
    ]);

    const file = join(dir, 'not-a-device');
    writeFileSync(file, '');
    const [plain] = await scannerDoctor(scanner({ driver: 'evdev', device: file }), context);
    expect(plain).toMatchObject({ status: 'fail', detail: `${file} is a file, not an input device` });
  });

  it.skipIf(process.getuid?.() === 0)(
    'keyboard wedge: a node this user may not read fails with the udev rule',
    async () => {
      const locked = join(dir, 'locked.fifo');
      execFileSync('mkfifo', ['-m', '000', locked]);
      const [check] = await scannerDoctor(scanner({ driver: 'evdev', device: locked }), context);
      expect(check).toMatchObject({ status: 'fail', hint: expect.stringContaining('plugdev') });
    },
  );

  it('serial: the node must be there; over TCP the link must take a connection', async () => {
    const [missing] = await scannerDoctor(
      scanner({ driver: 'serial', transport: { type: 'serial', path: '/dev/ttyCARRELSCAN9' } }),
      context,
    );
    expect(missing).toMatchObject({
      name: 'scanner scanner-9 serial node',
      status: 'fail',
      detail: '/dev/ttyCARRELSCAN9 is missing (ENOENT)',
      hint: expect.stringContaining('devices[scanner-9].transport.path'),
    });
    const [present] = await scannerDoctor(
      scanner({ driver: 'serial', transport: { type: 'serial', path: '/dev/null' } }),
      context,
    );
    expect(present).toMatchObject({ status: 'pass', detail: '/dev/null is there (character device)' });

    const server: Server = createServer((socket) => socket.on('error', () => {}));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const [open] = await scannerDoctor(
      scanner({ driver: 'serial', transport: { type: 'tcp', host: '127.0.0.1', port } }),
      context,
    );
    expect(open).toMatchObject({ name: 'scanner scanner-9 link', status: 'pass' });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const [closed] = await scannerDoctor(
      scanner({ driver: 'serial', transport: { type: 'tcp', host: '127.0.0.1', port } }),
      context,
    );
    expect(closed).toMatchObject({ name: 'scanner scanner-9 link', status: 'fail' });
  });

  it('card reader: pcscd not answering fails with the packages to install, and the reader is not looked for', async () => {
    const saved = process.env.PCSCLITE_CSOCK_NAME;
    process.env.PCSCLITE_CSOCK_NAME = join(dir, 'no-pcscd.comm');
    try {
      const checks = await scannerDoctor(scanner({ driver: 'pcsc', card: { reader: 'ACR122U' } }), context);
      expect(checks).toEqual([
        {
          name: 'scanner scanner-9 pcscd',
          status: 'fail',
          detail: `pcscd does not answer on ${join(dir, 'no-pcscd.comm')} (ENOENT)`,
          hint: expect.stringContaining('apt-get install pcscd libccid'),
        },
        { name: 'scanner scanner-9 reader', status: 'skip', detail: 'pcscd does not answer' },
      ]);
    } finally {
      if (saved === undefined) delete process.env.PCSCLITE_CSOCK_NAME;
      else process.env.PCSCLITE_CSOCK_NAME = saved;
    }
  });

  it('HID POS: a scanner not in the HID device list fails, with the udev rule and HID POS mode', async () => {
    const [check] = await scannerDoctor(
      scanner({ driver: 'hidpos', hid: { vendorId: 0x05e0, productId: 0x1ff0 } }),
      context,
    );
    expect(check).toMatchObject({
      name: 'scanner scanner-9 HID device',
      status: 'fail',
      detail: 'hid://05e0:1ff0 is not plugged in (or this user may not see it)',
      hint: expect.stringMatching(/HID POS mode.*99-carrel\.rules/),
    });
  });
});

const skipPcsc = pcscSkipReason();
describe.skipIf(skipPcsc !== undefined)('scanner doctor with the real pcscd and vpcd', () => {
  let pcscd: Pcscd;
  beforeAll(async () => {
    pcscd = await ensurePcscd();
  }, 15_000);
  afterAll(async () => pcscd?.stop());

  it('passes pcscd and the reader named; names the readers pcscd has when the configured one is absent', async () => {
    expect(
      await scannerDoctor(scanner({ driver: 'pcsc', card: { reader: 'Virtual PCD 00 00' } }), context),
    ).toEqual([
      {
        name: 'scanner scanner-9 pcscd',
        status: 'pass',
        detail: expect.stringMatching(/^pcscd answers on /),
      },
      { name: 'scanner scanner-9 reader', status: 'pass', detail: '"Virtual PCD 00 00" is attached' },
    ]);
    const [, absent] = await scannerDoctor(scanner({ driver: 'pcsc', card: { reader: 'ACR122U' } }), context);
    expect(absent).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(
        /^pcscd has no reader named like "ACR122U"; it has .*"Virtual PCD 00 00"/,
      ),
      hint: expect.stringContaining('devices[scanner-9].card.reader'),
    });
  });
});
