/**
 * The station's screens and its alert lines: which screen is shown, and what the patron is told
 * above it — one line, or what became of each job a press of Print (or Print all) sent — and the
 * line that says the station's link to Carrel is down.
 */
import { Problem, printApi } from '/common/print-api.js';

export const $ = (id) => document.getElementById(id);

export function alertText(text, ok = false) {
  $('alert').textContent = text ?? '';
  $('alert').className = ok ? 'alert ok' : 'alert';
  $('alert').hidden = !text;
}

/**
 * Shows one screen and puts the keyboard's focus on it: the login screen's first field shown (the
 * card, or the PIN when the card is on the pad or was scanned), another screen's heading (a
 * screen reader reads where the patron now is; Tab goes on to its buttons). The focus was left on
 * the screen just hidden: nothing showed where it was, and a screen reader said nothing.
 */
export function show(screen) {
  for (const id of ['screen-login', 'screen-jobs', 'screen-topup']) $(id).hidden = id !== screen;
  const target =
    screen === 'screen-login'
      ? [$('card'), $('pin')].find((input) => input.checkVisibility())
      : $(screen).querySelector('h1');
  target?.focus();
}

/**
 * What became of each job a press of Print (or Print all) sent: one line each, so a patron who
 * printed three documents sees the one that failed and that it was not charged, not only the last.
 */
export function showOutcomes(outcomes) {
  if (outcomes.length === 0) return alertText();
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  if (outcomes.length === 1) return alertText(outcomes[0].text, failed === 0);
  const printing = outcomes.length - failed;
  const summary = document.createElement('p');
  summary.textContent =
    failed === 0
      ? `All ${outcomes.length} documents were sent to the printer.`
      : `${printing} of ${outcomes.length} documents ${printing === 1 ? 'was' : 'were'} sent to the printer; ${failed} ${failed === 1 ? 'was' : 'were'} not.`;
  const list = document.createElement('ul');
  list.className = 'outcomes';
  list.append(
    ...outcomes.map((outcome) => {
      const li = document.createElement('li');
      li.className = outcome.ok ? 'ok' : 'failed';
      li.textContent = outcome.text;
      return li;
    }),
  );
  $('alert').replaceChildren(summary, list);
  $('alert').className = failed === 0 ? 'alert ok' : 'alert';
  $('alert').hidden = false;
}

/** Away this long, the patron is told (a blink of the network is not worth a word). */
const SAY_AWAY_AFTER_MS = 2000;
const DIAL_AGAIN_MS = 1500;
const RECONNECTING =
  'Reconnecting… This station has lost its link to the print service. Please wait a moment; if it does not come back, ask staff.';

/**
 * The station's link to Carrel, followed on the event WebSocket (the print queues' events only):
 * Carrel stopping (a restart, a crash) closes it, and the station says so in words within seconds
 * on its own line — at the start screen too, where nothing is pressed: it said nothing until the
 * patron pressed something. It dials again every 1.5 s and, once back, takes the words away and
 * tells `onBack()`.
 */
export function watchLink({ token, onBack }) {
  const api = printApi(token);
  const say = (text) => {
    $('link').textContent = text;
    $('link').hidden = !text;
  };
  let away = false;
  let sayTimer;

  function lost() {
    if (!away) {
      away = true;
      clearTimeout(sayTimer);
      sayTimer = setTimeout(() => away && say(RECONNECTING), SAY_AWAY_AFTER_MS);
    }
    setTimeout(dial, DIAL_AGAIN_MS);
  }

  async function dial() {
    let queues;
    try {
      const { devices } = await api.call('GET', '/api/v1/devices');
      queues = devices.filter((device) => device.kind === 'print-queue').map((device) => device.device);
    } catch (error) {
      // Not allowed to read the devices (the token's scope): the link cannot be followed here.
      if (error instanceof Problem && (error.status === 401 || error.status === 403)) return;
      return lost();
    }
    api.events(
      queues,
      () => {},
      () => {
        if (!away) return;
        away = false;
        clearTimeout(sayTimer);
        say('');
        onBack();
      },
      () => lost(),
    );
  }

  dial();
}
