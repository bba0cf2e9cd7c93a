/**
 * The floor under a scan's latency, in a process of its own: the minimum any correct reader
 * of the two scanners must do, and a bare WebSocket server per scanner — no framer limits, no
 * checks of the text, no classification, no bus, no health record.
 *
 * - Serial: the tty's bytes split at the terminator (CR), each scan sent as it ends.
 * - Keyboard wedge: the FIFO's input_event records read (the protocol's record reader), key
 *   presses taken, each key code mapped to its character through the protocol's US keymap with
 *   Shift held or not, the scan sent at Enter.
 *
 * Each scan goes out as one JSON message `{ event: 'scanner.identified', data: { value, device,
 * at } }`, to every client of that scanner's server.
 *
 * `node bare-scanner.js <tty> <fifo>` prints `scanners serial ws://127.0.0.1:<port> wedge
 * ws://127.0.0.1:<port>`.
 */
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { SerialPort } from 'serialport';
import { WebSocketServer } from 'ws';
import {
  characterOf,
  EV_KEY,
  InputEventReader,
  KEY,
  KEY_DOWN,
  KEY_UP,
  keymap,
} from '../src/protocols/scan/index.js';

const [tty, fifo] = process.argv.slice(2);
if (!tty || !fifo) throw new Error('usage: bare-scanner.js <tty> <fifo>');

async function socketServer(device: string) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    port: (server.address() as { port: number }).port,
    send(value: string) {
      const text = JSON.stringify({
        event: 'scanner.identified',
        data: { value, device, at: new Date().toISOString() },
      });
      for (const client of server.clients) client.send(text);
    },
  };
}

// Serial: bytes to the terminator.
const serialSocket = await socketServer('bench-serial');
const port = new SerialPort({ path: tty, baudRate: 9600, autoOpen: false, lock: false });
await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
let line = '';
port.on('data', (chunk: Buffer) => {
  line += chunk.toString('utf8');
  for (let end = line.indexOf('\r'); end >= 0; end = line.indexOf('\r')) {
    serialSocket.send(line.slice(0, end));
    line = line.slice(end + 1);
  }
});

// Keyboard wedge: records to key presses to characters, to Enter.
const wedgeSocket = await socketServer('bench-wedge');
const us = keymap('us');
const records = new InputEventReader();
let shift = 0;
let typed = '';
const input = new Socket({
  fd: openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK),
  readable: true,
  writable: false,
});
input.on('data', (chunk: Buffer) => {
  for (const event of records.push(chunk)) {
    if (event instanceof Error || event.type !== EV_KEY) continue;
    if (event.code === KEY.LEFTSHIFT || event.code === KEY.RIGHTSHIFT) {
      if (event.value === KEY_DOWN) shift++;
      else if (event.value === KEY_UP) shift--;
      continue;
    }
    if (event.value !== KEY_DOWN) continue;
    if (event.code !== KEY.ENTER) typed += characterOf(us, event.code, shift > 0, false) ?? '';
    else {
      wedgeSocket.send(typed);
      typed = '';
    }
  }
});

console.log(`scanners serial ws://127.0.0.1:${serialSocket.port} wedge ws://127.0.0.1:${wedgeSocket.port}`);
process.once('SIGTERM', () => process.exit(0));
