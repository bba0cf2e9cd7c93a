/**
 * Logging in at the station: the library card typed (on screen or with the number keys), laid on
 * the station's RFID pad or scanned at its scanner, then the PIN — always asked. The card number
 * scanned is held here only for one login, never shown or logged.
 */
import { watchPatronScans } from '/common/patron-scans.js';
import { call, Problem } from '/common/print-api.js';
import { $, alertText, show } from './screen.js';
import { loginProblem } from './words.js';

/** A patron scanned is good for one login within this long (the PIN typed meanwhile). */
const SCANNED_VALID_MS = 60_000;

/**
 * The login screen of a station with the RFID reader `pad` and the scanner `scanner` (either may
 * be undefined). `page.loggedIn(answer)` takes the session the desk answered; `page.refresh()`
 * then fills the patron's jobs. Returns `forgetScannedPatron()`, for Done.
 */
export function patronLogin({ pad, scanner, token, page }) {
  let field = 'card';
  for (const id of ['card', 'pin']) $(id).addEventListener('focus', () => (field = id));
  for (const key of ['1', '2', '3', '4', '5', '6', '7', '8', '9', '⌫', '0', 'OK']) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = key;
    // "⌫" is no word: a screen reader read it as a symbol's name, or not at all.
    if (key === '⌫') button.setAttribute('aria-label', 'Delete the last digit');
    button.addEventListener('click', () => {
      const input = $(field);
      if (key === '⌫') input.value = input.value.slice(0, -1);
      else if (key !== 'OK') input.value += key;
      else if (field === 'pin') login();
      else {
        field = 'pin';
        $('pin').focus();
      }
    });
    $('keypad').append(button);
  }
  $('pin').addEventListener('keydown', (event) => event.key === 'Enter' && login());
  $('card').addEventListener('keydown', (event) => event.key === 'Enter' && $('pin').focus());
  $('login').addEventListener('click', login);

  /** A login on its way to the library system. */
  let checking = false;
  async function login() {
    alertText();
    // The PIN is always asked: without it nobody is logged in. Without a card number the desk was
    // asked all the same, and the answer read 'the body is not valid'.
    const noCard = !cardOnPad && scannedPatron === undefined && $('card').value.trim() === '';
    if (noCard || $('pin').value === '') {
      alertText(
        noCard
          ? 'Type your library card number and your PIN, then press Show my print jobs.'
          : 'Type your PIN, then press Show my print jobs.',
      );
      field = noCard ? 'card' : 'pin';
      $(field).focus();
      return;
    }
    // The library system may take a while (or not answer at all): the press is seen, and a second
    // press does not send a second login meanwhile.
    if (checking) return;
    checking = true;
    $('login').disabled = true;
    $('login').textContent = 'Checking your card…';
    try {
      const answer = await call(
        'POST',
        '/api/v1/print/station/login',
        cardOnPad
          ? { pad, pin: $('pin').value }
          : { patron: scannedPatron ?? $('card').value.trim(), pin: $('pin').value },
        token,
      );
      page.loggedIn(answer);
      forgetScannedPatron();
      $('who').textContent = answer.name;
      $('card').value = '';
      $('pin').value = '';
      show('screen-jobs');
      await page.refresh();
    } catch (error) {
      alertText(error instanceof Problem ? `Not logged in: ${loginProblem(error)}` : String(error));
      // A wrong or missing PIN: typed again from the start.
      $('pin').value = '';
      if (!$('screen-login').hidden) {
        field = 'pin';
        $('pin').focus();
      }
    } finally {
      checking = false;
      $('login').disabled = false;
      $('login').textContent = 'Show my print jobs';
    }
  }

  /** A library card on the station's pad stands for the typed card number; the PIN is still asked. */
  let cardOnPad = false;
  async function watchPad() {
    if (!$('screen-login').hidden) {
      const answer = await call(
        'GET',
        `/api/v1/rfid/${encodeURIComponent(pad)}/tags`,
        undefined,
        token,
      ).catch(() => undefined);
      const found = Boolean(answer?.tags?.some((tag) => tag.item?.typeOfUsage === 'patron-card'));
      if (found !== cardOnPad) {
        cardOnPad = found;
        $('card-field').hidden = found;
        $('card-on-pad').hidden = !found;
        if (found) {
          field = 'pin';
          $('pin').focus();
        }
      }
    }
    setTimeout(watchPad, 700);
  }
  if (pad) watchPad();

  /**
   * A patron card (or barcode) scanned at the station's scanner stands for the typed card number
   * for one login; the PIN is still asked. The number is held here only, never shown or logged.
   */
  let scannedPatron;
  let scannedTimer;
  function forgetScannedPatron() {
    clearTimeout(scannedTimer);
    scannedPatron = undefined;
    $('card-scanned').hidden = true;
    $('card-field').hidden = cardOnPad;
  }
  if (scanner)
    watchPatronScans({
      origin: location.origin,
      token,
      scanner,
      onPatron(patron) {
        if ($('screen-login').hidden) return;
        alertText();
        scannedPatron = patron;
        clearTimeout(scannedTimer);
        scannedTimer = setTimeout(forgetScannedPatron, SCANNED_VALID_MS);
        $('card').value = '';
        $('card-field').hidden = true;
        $('card-scanned').hidden = false;
        $('pin').value = '';
        field = 'pin';
        $('pin').focus();
      },
      onRefused: (reason) =>
        alertText(`The card scanner “${scanner}” cannot be used (${reason}): type the card number.`),
    });

  return { forgetScannedPatron };
}
