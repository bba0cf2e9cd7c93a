/**
 * A device's detail in words, for the IT staff reading the dashboard: each key a family's health
 * record carries (GET /api/v1/devices, `detail`) named as a person says it, and its value with its
 * unit — durations (`…Ms`) in ms or s, money (`…Minor`) in the currency beside it, times as local
 * times, with their day when not today at the desk. One table for every family, the keys inside a detail's objects too; a key it does not know
 * (a newer Carrel, a family added since) is shown as it is, never hidden.
 */
import { deskWhen } from '/common/desk-clock.js';
import { money } from '/common/money.js';

/** Key → words. Inside an object the words start lower-case ("checksum errors 0"). */
const WORDS = {
  // The ILS link (SIP2)
  roundTripMs: 'Round trip',
  connections: 'Connections',
  idle: 'Idle connections',
  waiting: 'Requests waiting',
  connectionsDropped: 'Connections the ILS dropped',
  // Receipt printers
  paper: 'Paper',
  coverOpen: 'Cover open',
  problems: 'Problems',
  warnings: 'Warnings',
  // RFID pads
  firmware: 'Firmware',
  protocol: 'Protocol',
  tags: 'Tags on the pad',
  pendingSecurity: 'Security writes waiting',
  rounds: 'Inventory rounds',
  // Security gates
  notificationLink: 'Notification link',
  peer: 'Gate’s address',
  lastFrameAt: 'Last message',
  keepAliveTimeoutMs: 'Keep-alive timeout',
  ack: 'Acknowledges messages',
  commandLink: 'Command link',
  alarm: 'Alarm',
  on: 'On',
  loops: 'Loops',
  counts: 'Counts',
  in: 'In',
  out: 'Out',
  notifications: 'Notifications',
  tagReads: 'Tag reads',
  keepAlives: 'Keep-alives',
  frameErrors: 'Unreadable messages',
  ignoredFrames: 'Ignored messages',
  acks: 'Acknowledgements',
  commandFrameErrors: 'Unreadable command replies',
  visitors: 'Visitors',
  counter: 'Counter',
  today: 'Today',
  since: 'Since',
  time: 'Read at',
  occupancy: 'Inside now',
  occupancySince: 'Inside counted since',
  lastAlarm: 'Last alarm',
  alarmsMayBeMissed: 'Alarms may have been missed',
  from: 'From',
  to: 'To',
  // Print queues
  printerState: 'Printer',
  printerReasons: 'Printer says',
  heldJobs: 'Held jobs',
  jobs: 'Jobs',
  server: 'Print server',
  // Cash devices (ccTalk)
  address: 'ccTalk address',
  deviceKind: 'Kind',
  category: 'Category',
  manufacturer: 'Manufacturer',
  product: 'Product',
  serial: 'Serial number',
  software: 'Software',
  channels: 'Coins and notes it takes',
  channel: 'Channel',
  accepting: 'Taking money',
  acceptedChannels: 'Channels taken now',
  line: 'ccTalk line',
  requests: 'Requests',
  timeouts: 'Time-outs',
  checksumErrors: 'Checksum errors',
  noiseBytes: 'Stray bytes',
  wrongAddress: 'Answers from another address',
  echoMismatches: 'Echo mismatches',
  naks: 'Refused (NAK)',
  busy: 'Busy',
  cashBox: 'Cash box',
  count: 'Count',
  currency: 'Currency',
  expectedMinor: 'Expected',
  unverified: 'Not verified',
  lastEmptied: 'Last emptied',
  capacity: 'Holds',
  fillRatio: 'Full',
  nearFull: 'Near full',
  // Card printers
  model: 'Model',
  ribbon: 'Ribbon',
  type: 'Type',
  panelsLeft: 'Panels left',
  low: 'Low',
  cleaningDue: 'Cleaning due',
  cardsPrinted: 'Cards printed',
  problem: 'Problem',
  lastReply: 'Last reply',
  // Scanners
  source: 'Source',
  link: 'Link',
  reads: 'Reads',
  rejected: 'Refused reads',
  typing: 'Typing',
  lastReadAt: 'Last read',
  lastRejected: 'Last refused read',
};

/** A coin acceptor's and a note validator's channels, and what their cash box counts. */
const CASH_WORDS = {
  'coin-acceptor': { channels: 'Coins it takes', count: 'Coins' },
  'bill-validator': { channels: 'Notes it takes', count: 'Notes' },
};

const lowerFirst = (words) => (/^[A-Z][a-z]/.test(words) ? words[0].toLowerCase() + words.slice(1) : words);

/** A detail's key in words; inside an object, lower-case; a key it does not know, as it is. */
export function detailTerm(key, { inner = false, detail } = {}) {
  const words = CASH_WORDS[detail?.deviceKind]?.[key] ?? WORDS[key];
  if (words === undefined) return key;
  return inner ? lowerFirst(words) : words;
}

/** Milliseconds as a person reads them: 5.6 ms, 850 ms, 15 s, 2.5 s. */
function duration(ms) {
  if (typeof ms !== 'number') return show(ms);
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

// A reading not from today at the desk carries its day: "read at 9:15:46 PM" of yesterday's read as today's.
const time = deskWhen;

/**
 * A detail's value in words: durations and money with their units, times as local times, yes/no,
 * lists joined, objects as `words value` pairs; `key` and `within` (the object it is in) say what it is.
 */
export function detailValue(value, key = '', within = undefined, detail = within) {
  if (value === null || value === undefined) return '–';
  if (key.endsWith('Ms')) return duration(value);
  if (key.endsWith('Ratio') && typeof value === 'number') return `${Math.round(value * 100)} %`;
  if (key.endsWith('Minor') && typeof value === 'number')
    return within?.currency ? money(value, within.currency) : String(value);
  return show(value, detail);
}

function show(value, detail) {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return time(value);
  if (Array.isArray(value))
    return value.length ? value.map((inner) => show(inner, detail)).join(', ') : 'none';
  if (typeof value === 'object') {
    // An amount says its currency itself; a coin's or note's channel is its value.
    const amount = Object.keys(value).find((key) => key.endsWith('Minor'));
    if (amount && value.currency !== undefined && 'channel' in value && Object.keys(value).length === 3)
      return detailValue(value[amount], amount, value);
    return Object.entries(value)
      .filter(([key]) => !(key === 'currency' && amount && value.currency))
      .map(
        ([key, inner]) =>
          `${detailTerm(key, { inner: true, detail })} ${detailValue(inner, key, value, detail)}`,
      )
      .join(' · ');
  }
  return String(value);
}
