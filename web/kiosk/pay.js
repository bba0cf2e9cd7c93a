/**
 * The kiosk's "pay fees" flow, on Carrel's public API only: the patron's card
 * number and PIN → their fees (patron information) → a payment for the fees
 * chosen → coins and notes credited live on the payment's WebSocket → the
 * payment's receipt (shown here, printed on request). The start screen and its
 * other flows are kiosk.js's; this module only adds its own screens.
 */

import { amount, minorOf, money } from '/common/money.js';
import { KioskApi, newRequestId, Problem, takeToken } from './api.js';
import { problemWords } from './words.js';

const api = new KioskApi(location.origin, takeToken(location, sessionStorage, history));
const $ = (id) => document.getElementById(id);

const pay = { patron: '', pin: '', fees: [], payment: null, socket: null, busy: false };
/**
 * Untouched this long on a screen of the patron's own — the card number and PIN typed, their fees,
 * what they paid — the patron has walked away: the kiosk starts again, and the next person sees none
 * of it. (While money goes in, the payment's own timeout ends it.)
 */
const IDLE_MS = 60_000;
const IDLE_SCREENS = ['pay-login', 'pay-fees', 'pay-done'];
let current = 'start';
let idleTimer = 0;

function touched() {
  clearTimeout(idleTimer);
  if (!IDLE_SCREENS.includes(current)) return;
  idleTimer = setTimeout(() => {
    if (IDLE_SCREENS.includes(current) && !pay.busy && !$(`screen-${current}`).hidden) toStart();
  }, IDLE_MS);
}
for (const type of ['pointerdown', 'keydown', 'input']) document.addEventListener(type, touched, true);

function show(screen) {
  current = screen;
  for (const section of document.querySelectorAll('.screen'))
    section.hidden = section.id !== `screen-${screen}`;
  touched();
  // The first control shown: Print a receipt is hidden for a payment not completed, and the focus
  // given to it fell to the page's body.
  const first = [...($(`screen-${screen}`)?.querySelectorAll('input, button') ?? [])].find((control) =>
    control.checkVisibility(),
  );
  if (first && screen !== 'start') first.focus();
}

function say(id, text) {
  $(id).textContent = text ?? '';
  $(id).hidden = !text;
}

async function once(action, errorId) {
  if (pay.busy) return;
  pay.busy = true;
  try {
    await action();
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    say(errorId, problemWords(error));
  } finally {
    pay.busy = false;
  }
}

function toStart() {
  pay.socket?.close();
  pay.socket = null;
  pay.payment = null;
  pay.pin = '';
  $('pay-pin').value = '';
  location.reload();
}

async function showFees() {
  const patron = $('pay-patron').value.trim();
  const pin = $('pay-pin').value;
  if (!patron) return say('pay-login-error', 'Please type your library card number.');
  const { patron: found } = await api.call('POST', '/api/v1/patrons/lookup', {
    patron,
    ...(pin ? { pin } : {}),
  });
  pay.patron = patron;
  pay.pin = pin;
  pay.currency = found.fines.currency;
  pay.fees = found.fines.items.filter((fee) => fee.id && minorOf(fee.amount, pay.currency));
  const list = $('pay-fees');
  list.replaceChildren();
  for (const fee of pay.fees) {
    const row = document.createElement('li');
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = true;
    box.value = fee.id;
    box.addEventListener('change', selected);
    label.append(
      box,
      ` ${fee.description ?? fee.id} — ${money(minorOf(fee.amount, pay.currency), pay.currency)}`,
    );
    row.append(label);
    list.append(row);
  }
  $('pay-fees-empty').hidden = pay.fees.length > 0;
  $('pay-start').hidden = pay.fees.length === 0;
  selected();
  say('pay-fees-error', '');
  show('pay-fees');
}

function chosen() {
  const ids = [...document.querySelectorAll('#pay-fees input:checked')].map((box) => box.value);
  return pay.fees.filter((fee) => ids.includes(fee.id));
}

function selected() {
  const total = chosen().reduce((sum, fee) => sum + minorOf(fee.amount, pay.currency), 0);
  $('pay-selected').textContent = money(total, pay.currency);
}

function render(payment) {
  $('pay-remaining').textContent = money(payment.remainingMinor, payment.currency);
  $('pay-paid').textContent = money(payment.paidMinor, payment.currency);
  $('pay-accepting').textContent =
    payment.accepting.map((v) => amount(v, payment.currency)).join(', ') || 'nothing';
  const list = $('pay-credits');
  list.replaceChildren(
    ...payment.credits.map((credit) => {
      const row = document.createElement('li');
      row.textContent = `${money(credit.valueMinor, payment.currency)} taken`;
      return row;
    }),
  );
}

/**
 * The payment whose opening has no known outcome (its answer was lost): pressing Pay again for the
 * same fees sends the same request id, and Carrel answers with the payment it opened, rather than
 * opening another while the first holds the cash devices.
 */
let unsettledOpening;

async function startPayment() {
  const fees = chosen();
  if (fees.length === 0) return say('pay-fees-error', 'Choose at least one fee to pay.');
  const request = {
    patron: pay.patron,
    ...(pay.pin ? { pin: pay.pin } : {}),
    purpose: { kind: 'fees', fees: fees.map((fee) => fee.id) },
    amountDueMinor: fees.reduce((sum, fee) => sum + minorOf(fee.amount, pay.currency), 0),
  };
  const key = JSON.stringify(request);
  if (unsettledOpening?.key !== key) unsettledOpening = { key, requestId: newRequestId() };
  let payment;
  try {
    payment = await api.call('POST', '/api/v1/payments', {
      ...request,
      requestId: unsettledOpening.requestId,
    });
    unsettledOpening = undefined;
  } catch (error) {
    if (!(error instanceof Problem && (error.status === 0 || error.status >= 500)))
      unsettledOpening = undefined;
    throw error;
  }
  pay.payment = payment;
  render(payment);
  say('pay-insert-error', '');
  show('pay-insert');
  watchPayment(payment.id);
}

/**
 * The payment's live feed. Lost while it collects (Carrel restarted, the network), it is dialled
 * again for as long as it takes: its first message is the whole payment, and a payment Carrel
 * ended meanwhile (a restart settles what was inserted) shows its end and receipt.
 */
function watchPayment(id, attempt = 0) {
  const socket = api.socket(
    `/api/v1/payments/${encodeURIComponent(id)}/events`,
    {},
    (message) => {
      if (attempt > 0) say('pay-insert-error', '');
      attempt = 0;
      if (message.event === 'payment') pay.payment = message.data;
      if (message.event === 'credit') pay.payment = { ...pay.payment, ...creditInto(message.data) };
      if (message.event === 'ended')
        done(message.data).catch(() => say('pay-insert-error', 'Please see staff.'));
      else render(pay.payment);
    },
    (event) => {
      if (pay.socket !== socket || pay.payment?.id !== id || pay.payment.state !== 'collecting') return;
      if (attempt >= 4 || event?.silent) say('pay-insert-error', 'Reconnecting to the payment… Please wait.');
      setTimeout(
        () => {
          if (pay.socket === socket) watchPayment(id, attempt + 1);
        },
        Math.min(500 * 2 ** attempt, 5000),
      );
    },
  );
  pay.socket = socket;
}

function creditInto(credit) {
  const credits = [
    ...(pay.payment.credits ?? []),
    { device: credit.device, valueMinor: credit.valueMinor, at: credit.at },
  ];
  return { credits, paidMinor: credit.paidMinor, remainingMinor: credit.remainingMinor };
}

async function done(payment) {
  pay.socket?.close();
  pay.socket = null;
  pay.payment = payment;
  if (payment.state === 'cancelled') {
    $('pay-done-title').textContent = 'Payment cancelled';
    $('pay-done-message').textContent = 'Nothing was paid.';
  } else {
    $('pay-done-title').textContent = 'Thank you';
    $('pay-done-message').textContent =
      `You paid ${money(payment.paidMinor, payment.currency)}.` +
      (payment.remainingMinor > 0
        ? ` Still to pay: ${money(payment.remainingMinor, payment.currency)}.`
        : '');
  }
  // An excess the desk does not take, or money for a fee the library system refused: staff pay it back.
  const owed = payment.overpayment.owedToPatronMinor - payment.overpayment.paidOutMinor;
  say(
    'pay-done-owed',
    owed > 0
      ? `${money(owed, payment.currency)} is owed back to you: please see staff with your receipt.`
      : '',
  );
  const receipt = await api.call('GET', `/api/v1/payments/${encodeURIComponent(payment.id)}/receipt`);
  $('pay-done-lines').replaceChildren(
    ...receipt.data.lines.map((line) => {
      const row = document.createElement('li');
      row.textContent = `${line.description}: ${line.paid} — ${line.status}`;
      return row;
    }),
  );
  say(
    'pay-done-offline',
    receipt.data.offline
      ? 'The library system could not be reached: your payment is recorded and will be sent to it as soon as it is back.'
      : '',
  );
  $('pay-print').hidden = payment.state !== 'completed';
  say('pay-done-status', '');
  show('pay-done');
}

async function end(method, path) {
  const ended = await api.call(method, path);
  await done(ended.payment);
}

$('start-pay').addEventListener('click', () => {
  say('pay-login-error', '');
  show('pay-login');
});
$('pay-login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  once(showFees, 'pay-login-error');
});
$('pay-start').addEventListener('click', () => once(startPayment, 'pay-fees-error'));
$('pay-finish').addEventListener('click', () =>
  once(
    () => end('POST', `/api/v1/payments/${encodeURIComponent(pay.payment.id)}/finish`),
    'pay-insert-error',
  ),
);
$('pay-cancel').addEventListener('click', () =>
  once(() => end('DELETE', `/api/v1/payments/${encodeURIComponent(pay.payment.id)}`), 'pay-insert-error'),
);
$('pay-print').addEventListener('click', () =>
  once(async () => {
    await api.call('POST', `/api/v1/payments/${encodeURIComponent(pay.payment.id)}/receipt`, {});
    say('pay-done-status', 'Your receipt is printing.');
  }, 'pay-done-status'),
);
for (const button of document.querySelectorAll('[data-pay="to-start"]'))
  button.addEventListener('click', toStart);

// A kiosk page closed or reloaded mid-payment lets the cash devices go: left collecting, they would
// take the next patron's coins for this payment until its timeout. What was inserted is paid.
addEventListener('pagehide', () => {
  if (pay.payment?.state !== 'collecting') return;
  api
    .call('DELETE', `/api/v1/payments/${encodeURIComponent(pay.payment.id)}`, undefined, { keepalive: true })
    .catch(() => {});
});
