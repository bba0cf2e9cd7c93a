/**
 * `carrel doctor` for scanners and card readers, by driver, without taking the
 * device from a running Carrel: a card reader's pcscd answers on its socket and
 * has the configured reader; a keyboard wedge's input node is there and this
 * user may read it; a serial scanner's node is there (or its TCP link answers);
 * a HID POS scanner is in the system's HID device list.
 */
import { withDeadline } from '../../../core/clock.js';
import { describeError } from '../../../core/errors.js';
import { createTransport } from '../../../devices/transport/factory.js';
import { describeHid, findHid, listHidDevices } from '../../../devices/transport/hid.js';
import { nodeStatus } from '../../../devices/transport/node-status.js';
import { listPcscReaders, pcscdSocketPath, reachPcscd } from '../../../devices/transport/pcsc.js';
import { type DoctorCheck, type DoctorContext, doctorCheck } from '../../doctor.js';
import type { ScannerConfig } from './config.js';

const UDEV_HINT =
  'install the udev rules (sudo cp systemd/99-carrel.rules /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger): they give known scanners to plugdev and hide wedge scanners from the desktop; then add the user to plugdev (sudo usermod -aG plugdev carrel)';

export async function scannerDoctor(config: ScannerConfig, context: DoctorContext): Promise<DoctorCheck[]> {
  switch (config.driver) {
    case 'pcsc':
      return pcscChecks(config, context);
    case 'evdev':
      return [inputNodeCheck(config)];
    case 'serial':
      return [await serialCheck(config, context)];
    case 'hidpos':
      return [await hidCheck(config)];
  }
}

async function pcscChecks(config: ScannerConfig, context: DoctorContext): Promise<DoctorCheck[]> {
  const name = `scanner ${config.id}`;
  const socket = pcscdSocketPath();
  const refused = await reachPcscd(context.clock, socket, context.timeoutMs);
  const wanted = config.card.reader;
  const readerName = `${name} reader`;
  if (refused !== undefined)
    return [
      doctorCheck(
        `${name} pcscd`,
        'fail',
        `pcscd does not answer on ${socket} (${refused})`,
        'install and start pcscd with the USB reader driver: sudo apt-get install pcscd libccid && sudo systemctl enable --now pcscd.socket',
      ),
      doctorCheck(readerName, 'skip', 'pcscd does not answer'),
    ];
  const checks = [doctorCheck(`${name} pcscd`, 'pass', `pcscd answers on ${socket}`)];
  let readers: string[];
  try {
    readers = await listPcscReaders(context.clock, Math.min(context.timeoutMs, 2000), wanted);
  } catch (error) {
    const { code, message } = describeError(error);
    checks.push(
      doctorCheck(
        readerName,
        'fail',
        `the readers cannot be listed: ${message}`,
        code === 'native_module_missing'
          ? "install Debian's libpcsclite-dev, build-essential and python3, then reinstall Carrel so @pokusew/pcsclite builds"
          : 'restart pcscd (sudo systemctl restart pcscd)',
      ),
    );
    return checks;
  }
  const found = readers.find((reader) => wanted === undefined || reader.includes(wanted));
  const like = wanted === undefined ? 'reader' : `reader named like "${wanted}"`;
  if (found !== undefined) checks.push(doctorCheck(readerName, 'pass', `"${found}" is attached`));
  else
    checks.push(
      doctorCheck(
        readerName,
        'fail',
        `pcscd has no ${like}${readers.length > 0 ? `; it has ${readers.map((r) => `"${r}"`).join(', ')}` : ''}`,
        `plug the reader in (pcsc_scan from pcsc-tools lists what pcscd sees; a USB CCID reader needs Debian's libccid)${wanted === undefined ? '' : `, or correct devices[${config.id}].card.reader`}`,
      ),
    );
  return checks;
}

function inputNodeCheck(config: ScannerConfig): DoctorCheck {
  const name = `scanner ${config.id} input device`;
  const path = config.device ?? '';
  const node = nodeStatus(path);
  if (node.state === 'missing')
    return doctorCheck(
      name,
      'fail',
      `${path} is missing (${node.code})`,
      `plug the scanner in and check devices[${config.id}].device (ls -l /dev/input/by-id/); ${UDEV_HINT}`,
    );
  const shown = node.real === path ? path : `${path} → ${node.real}`;
  if (node.type !== 'character device' && node.type !== 'FIFO')
    return doctorCheck(
      name,
      'fail',
      `${shown} is a ${node.type}, not an input device`,
      `devices[${config.id}].device must name the scanner's /dev/input/event* node`,
    );
  if (!node.readable) return doctorCheck(name, 'fail', `${shown}: this user may not read it`, UDEV_HINT);
  return doctorCheck(name, 'pass', `${shown} (${node.type}) is readable`);
}

async function serialCheck(config: ScannerConfig, context: DoctorContext): Promise<DoctorCheck> {
  const { transport } = config;
  if (transport === undefined)
    return doctorCheck(`scanner ${config.id} link`, 'fail', 'no transport is configured');
  if (transport.type === 'serial' || transport.type === 'lp') {
    const name = `scanner ${config.id} serial node`;
    const node = nodeStatus(transport.path);
    if (node.state === 'missing')
      return doctorCheck(
        name,
        'fail',
        `${transport.path} is missing (${node.code})`,
        `plug the scanner in and check devices[${config.id}].transport.path (ls -l /dev/serial/by-id/)`,
      );
    const shown = node.real === transport.path ? transport.path : `${transport.path} → ${node.real}`;
    return doctorCheck(name, 'pass', `${shown} is there (${node.type})`);
  }
  // A serial-over-IP converter, or the simulator: does it take a connection?
  const name = `scanner ${config.id} link`;
  const link = createTransport(transport, context.simulators, { clock: context.clock });
  try {
    await withDeadline(
      context.clock,
      `doctor-scanner-${config.id}`,
      link.open(),
      context.timeoutMs,
      () => new Error(`no answer within ${context.timeoutMs} ms`),
    );
    return doctorCheck(name, 'pass', `${link.description} takes a connection`);
  } catch (error) {
    return doctorCheck(
      name,
      'fail',
      `${link.description}: ${describeError(error).message}`,
      `check devices[${config.id}].transport, the converter's power and the network`,
    );
  } finally {
    await link.close().catch(() => undefined);
  }
}

async function hidCheck(config: ScannerConfig): Promise<DoctorCheck> {
  const { hid } = config;
  const selector =
    hid.path !== undefined
      ? { path: hid.path }
      : { vendorId: hid.vendorId ?? 0, productId: hid.productId ?? 0 };
  const name = `scanner ${config.id} HID device`;
  let devices: Awaited<ReturnType<typeof listHidDevices>>;
  try {
    devices = await listHidDevices();
  } catch (error) {
    return doctorCheck(
      name,
      'fail',
      `the HID devices cannot be listed: ${describeError(error).message}`,
      "node-hid needs Debian's libusb-1.0-0 and libudev1",
    );
  }
  const found = findHid(selector, devices);
  if (found === undefined)
    return doctorCheck(
      name,
      'fail',
      `${describeHid(selector)} is not plugged in (or this user may not see it)`,
      `plug the scanner in and set it to USB HID POS mode (its manual's configuration barcode); ${UDEV_HINT}`,
    );
  return doctorCheck(
    name,
    'pass',
    `${describeHid(selector)} is plugged in${found.product ? ` ("${found.product}")` : ''}${found.path ? ` at ${found.path}` : ''}`,
  );
}
