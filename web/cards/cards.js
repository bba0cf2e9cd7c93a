/**
 * The desk's card page: a patron's barcode, a template, a photo (uploaded as it is; Carrel checks
 * it), a preview of both sides, then the card printed and encoded (the stripe verified where the
 * printer reads it back), and a reprint that replaces it. The photo is a file, or taken with the
 * desk's webcam (camera.js) and uploaded the same way; each card printed keeps its ILS step and chip
 * offer (still-to-do.js). It talks to Carrel's API only (/api/v1/cards…). Opened as `/cards#scanner=<id>`, a patron's barcode or card scanned at the
 * desk's scanner fills the patron field.
 */
import { cameraRefusal, DeskCamera } from '/cards/camera.js';
import { faultWords, printerLine } from '/cards/printer-words.js';
import { cardsStillToDo } from '/cards/still-to-do.js';
import { ApiClient, newRequestId, Problem, takeToken } from '/common/carrel-api.js';
import { watchPatronScans } from '/common/patron-scans.js';

/** The desk's scanner, from `#scanner=…` (read before the token is taken out of the address). */
const scanner = new URLSearchParams(location.hash.replace(/^#/, '')).get('scanner') ?? undefined;
const api = new ApiClient(
  location.origin,
  takeToken('carrel.cards.token', location, sessionStorage, history),
);
const $ = (id) => document.getElementById(id);
/** Each printed card's ILS step and chip offer (still-to-do.js). */
const stillToDo = cardsStillToDo({ api, showProblem, clearProblem });
let photoId;
let lastIssued;
/** The card last previewed, as its request (JSON): what Print, Reprint and Print anyway print. */
let previewed;

/** What staff can do about a refused photo, where the API's own detail says only what it is. */
const PHOTO_ADVICE = {
  photo_not_an_image: 'choose a JPEG or PNG photo, or take one with the camera.',
};

function showProblem(error) {
  $('problem').hidden = false;
  $('problem').textContent = error instanceof Problem ? problemInWords(error) : String(error);
}

/**
 * Carrel no longer takes the page's token (IT changed it, and restarted Carrel): what staff do. It
 * said "Authentication required: send a valid bearer token." at each press.
 */
const SIGN_IN_AGAIN =
  'Carrel no longer takes this page’s access token (it may have been changed): open the card page again with its current link (ask IT for it). No card can be printed here until then.';

/** The problem's title and what it says beyond it: a detail that only repeats the title is left out. */
function problemInWords(problem) {
  if (problem.status === 401) return SIGN_IN_AGAIN;
  const more = PHOTO_ADVICE[problem.code] ?? problem.detail ?? '';
  const same = (text) => text.trim().replace(/[.!]$/, '').toLowerCase();
  return !more || same(more) === same(problem.title) ? `${problem.title}.` : `${problem.title}: ${more}`;
}

function clearProblem() {
  $('problem').hidden = true;
  $('problem').textContent = '';
  $('print-expired-button').hidden = true;
  $('print-not-printed-button').hidden = true;
  $('found-in-hopper-button').hidden = true;
}

function request() {
  const body = {
    patron: $('patron').value.trim(),
    number: document.querySelector('input[name="number"]:checked').value,
  };
  if ($('template').value) body.template = $('template').value;
  if (photoId) body.photoId = photoId;
  return body;
}

async function authorizedFetch(path, init) {
  const headers = { ...(init.headers ?? {}) };
  if (api.token) headers.authorization = `Bearer ${api.token}`;
  const response = await fetch(path, { ...init, headers, cache: 'no-store' });
  if (!response.ok) {
    const body = await response
      .json()
      .catch(() => ({ status: response.status, code: `http_${response.status}` }));
    throw new Problem(body);
  }
  return response;
}

function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/**
 * The patron's registration has expired (the ILS's date, as the preview answered it): said beside
 * the preview, whose card shows that date, so staff know before Print is refused for it.
 */
function showRegistrationExpired(ended) {
  $('registration-expired').hidden = !ended;
  $('registration-expired').textContent = ended
    ? `The patron’s registration has expired: it ended on ${ended}, the date this card shows. Renew it in the library system first, or confirm when you print.`
    : '';
}

/**
 * A card with a new number: the preview shows the range's next free number, which a preview does
 * not reserve — said beside it, so staff are not surprised when another printer's card took it.
 */
function showNextNumber(number) {
  $('next-number').hidden = !number;
  $('next-number').textContent = number
    ? `Card number ${number} is the next free one. It is not reserved: if another card with a new number is printed first, this card gets the next one.`
    : '';
}

/**
 * Whatever changes the card that would be printed (the patron, the template, the card number
 * chosen, the photo) withdraws the preview: Print, Reprint and Print anyway wait for a new one, so
 * staff never print a card other than the one they saw; what was said beside it goes with it.
 */
function withdrawPreview() {
  previewed = undefined;
  // A preview still on the screen is of the card before the change: shown faded, not as this one.
  $('front').classList.add('stale');
  $('back').classList.add('stale');
  $('print-button').disabled = true;
  $('reprint-button').disabled = true;
  $('print-expired-button').hidden = true;
  $('print-not-printed-button').hidden = true;
  $('found-in-hopper-button').hidden = true;
  showRegistrationExpired(null);
  showNextNumber(null);
}

/**
 * The form changed by staff: the preview is withdrawn, and where one was ready the page says why
 * Print is off now, not still "Preview ready.".
 */
function formChanged() {
  const ready = previewed !== undefined;
  withdrawPreview();
  if (ready)
    $('progress').textContent =
      'The card was changed since its preview: press Preview to see it before printing.';
}

/** Whether the form would print the card last previewed. */
function previewStands() {
  return previewed !== undefined && previewed === JSON.stringify(request());
}

async function preview() {
  clearProblem();
  withdrawPreview();
  $('progress').textContent = 'Preparing the preview…';
  // Both sides of one card: the form as it was when Preview was pressed.
  const asked = request();
  try {
    for (const side of ['front', 'back']) {
      const response = await authorizedFetch('/api/v1/cards/preview', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...asked, side }),
      }).catch((error) => {
        if (side === 'back' && error.code === 'template_no_back') return undefined;
        throw error;
      });
      $(side).hidden = !response;
      if (response) $(side).src = await dataUrl(await response.blob());
      if (side === 'front') {
        showRegistrationExpired(response.headers.get('registration-expired'));
        showNextNumber(response.headers.get('next-card-number'));
      }
    }
    // Changed meanwhile (another template chosen, a photo uploaded): this is not that card's preview.
    if (JSON.stringify(request()) !== JSON.stringify(asked)) {
      withdrawPreview();
      $('progress').textContent = 'The card was changed while its preview was made: press Preview again.';
      return;
    }
    previewed = JSON.stringify(asked);
    $('front').classList.remove('stale');
    $('back').classList.remove('stale');
    $('print-button').disabled = false;
    $('reprint-button').disabled = false;
    $('progress').textContent = 'Preview ready.';
  } catch (error) {
    $('progress').textContent = '';
    showProblem(error);
  }
}

/**
 * The printer in the page's header, in words (printer-words.js); `cleaningDue` from its status or
 * its state's detail.
 */
function showPrinter(device, status, problem, cleaningDue = false) {
  const line = printerLine(device, status, problem, cleaningDue);
  $('printer').textContent = line.text;
  $('printer').title = line.title;
}

/**
 * The card whose print has no known outcome (the answer was lost, or the desk failed): printing
 * the same card again sends the same request id, which Carrel answers with what it did, so a lost
 * answer never makes a second card. A card printed or refused settles it; the next gets a new id.
 */
let unsettled;
const PRINT_IN_DOUBT =
  'Carrel stopped while this card was being printed, so whether the printer made it is not known: look in the printer’s output hopper. If the card is there, it is the patron’s card — do not print it again; press Found in the output hopper if it is offered. If it is not there, press Print card to print it';

/**
 * A card refused because the patron's registration has expired (the ILS's date is past) is printed
 * only when staff press Print anyway: the refusal says when it expired; the button prints that card.
 */
let expiredPrint;

/**
 * A card refused because the patron's last card may have been printed (its outcome unknown: the
 * printer's link failed after it was sent) is printed only when staff, having looked in the output
 * hopper, press "Not in the output hopper: print it".
 */
let notPrintedPrint;

/**
 * The issue whose outcome is unknown that "Found in the output hopper" records as the patron's card,
 * with the request id that button sends (again, after a lost answer: Carrel answers what it did).
 */
let unknownOutcome;
/** The card printer the page prints at (its issues are looked up there). */
let printerDevice;

function offerFoundInHopper(issueId) {
  if (unknownOutcome?.issueId !== issueId) unknownOutcome = { issueId, requestId: newRequestId() };
  $('found-in-hopper-button').hidden = false;
}

/**
 * Print refused as the patron's last card may have been printed: that issue (the patron's latest
 * at this printer) is the one "Found in the output hopper" records, beside "Not in the output hopper".
 */
async function offerFoundInHopperOf(patron) {
  try {
    const printer = printerDevice ? `&printer=${encodeURIComponent(printerDevice)}` : '';
    const { issues } = await api.call('GET', `/api/v1/cards?limit=50${printer}`);
    const latest = issues.find((issue) => issue.patron === patron && issue.result !== 'printing');
    if (latest?.fault === 'outcome_unknown' && $('patron').value.trim() === patron)
      offerFoundInHopper(latest.issueId);
  } catch {
    // Not offered: "Not in the output hopper: print it" stands, and Print card asks again.
  }
}

/** Staff found the card in the output hopper: it is the patron's card, issued, its steps offered. */
async function foundInHopper() {
  if (!unknownOutcome) return;
  const { issueId, requestId } = unknownOutcome;
  clearProblem();
  $('found-in-hopper-button').disabled = true;
  try {
    const record = await api.call('POST', `/api/v1/cards/${issueId}/found-in-hopper`, { requestId });
    unknownOutcome = undefined;
    lastIssued = record.cardNumber;
    $('progress').textContent =
      `Card ${record.cardNumber} found in the output hopper: it is the patron’s card, issued.`;
    $('reprint-button').hidden = false;
    stillToDo.cardPrinted(record);
  } catch (error) {
    // A lost answer keeps the offer (and its request id); a refusal ends it.
    if (error instanceof Problem && (error.status === 0 || error.status >= 500))
      $('found-in-hopper-button').hidden = false;
    else unknownOutcome = undefined;
    showProblem(error);
  } finally {
    $('found-in-hopper-button').disabled = false;
  }
}

async function print(replaces, confirmExpired = false, confirmNotPrinted = false) {
  clearProblem();
  if (!previewStands()) {
    withdrawPreview();
    showProblem(new Problem({ title: 'Preview the card first', detail: 'it changed since its preview' }));
    return;
  }
  $('print-button').disabled = true;
  $('progress').textContent = 'Printing, encoding and checking the card…';
  try {
    const body = {
      ...request(),
      ...(replaces ? { replaces } : {}),
      ...(confirmExpired ? { confirmExpired } : {}),
      ...(confirmNotPrinted ? { confirmNotPrinted } : {}),
    };
    const key = JSON.stringify(body);
    if (unsettled?.key !== key) unsettled = { key, requestId: newRequestId() };
    let record;
    try {
      record = await api.call('POST', '/api/v1/cards', { ...body, requestId: unsettled.requestId });
      unsettled = undefined;
    } catch (error) {
      // The card came out and Carrel could not record it: the same request id stays (in doubt, it
      // never prints again), and Print again says what the first answer said, not that Carrel stopped.
      if (error instanceof Problem && error.code === 'card_outcome_unrecorded') unsettled.unrecorded = error;
      if (error instanceof Problem && error.code === 'request_in_doubt' && unsettled.unrecorded)
        throw unsettled.unrecorded;
      if (!(error instanceof Problem && (error.status === 0 || error.status >= 500))) unsettled = undefined;
      throw error;
    }
    // The number the preview said was next is this card's now, made or failed (a number is never
    // handed out twice): the note beside the preview goes.
    showNextNumber(null);
    if (record.result === 'issued') {
      lastIssued = record.cardNumber;
      const stripe =
        record.magstripe === 'verified'
          ? ' Stripe read back and verified.'
          : record.magstripe === 'written'
            ? ' Stripe written; this printer cannot read it back — swipe the card to check it.'
            : '';
      // A reprint says what it replaced: one of the same number would read as the card before it.
      const replacing = !record.replaces
        ? ''
        : record.replaces === record.cardNumber
          ? ', replacing the card before it with the same number'
          : `, replacing card ${record.replaces}`;
      $('progress').textContent =
        `Card ${record.cardNumber} issued${replacing} (${record.attempts} card${record.attempts === 1 ? '' : 's'} used).${stripe}`;
      $('reprint-button').hidden = false;
      stillToDo.cardPrinted(record);
    } else {
      $('progress').textContent = `The card was not issued: ${faultWords(record.fault)}`;
      if (record.fault === 'outcome_unknown') offerFoundInHopper(record.issueId);
    }
  } catch (error) {
    $('progress').textContent = '';
    // Carrel stopped with this card under way (its answer lost): what staff do, not "look the request up".
    const inDoubt = error instanceof Problem && error.code === 'request_in_doubt';
    showProblem(inDoubt ? new Problem({ title: PRINT_IN_DOUBT }) : error);
    if (inDoubt) void offerFoundInHopperOf(request().patron);
    if (error instanceof Problem && error.code === 'patron_expired') {
      expiredPrint = { replaces, confirmNotPrinted };
      $('print-expired-button').hidden = false;
    }
    if (error instanceof Problem && error.code === 'card_outcome_unknown') {
      notPrintedPrint = { replaces, confirmExpired };
      $('print-not-printed-button').hidden = false;
      void offerFoundInHopperOf(request().patron);
    }
  } finally {
    $('print-button').disabled = !previewStands();
  }
}

/** A new photo (or none): the preview, and the print it allows, were made with the one before. */
function photoChanged() {
  photoId = undefined;
  withdrawPreview();
}

/** Uploads a chosen file or a photo taken (a JPEG Blob); the preview and the card then use it. */
async function upload(photo) {
  clearProblem();
  photoChanged();
  if (!photo) return;
  try {
    const response = await authorizedFetch('/api/v1/cards/photos', {
      method: 'POST',
      headers: { 'content-type': photo.type || 'application/octet-stream' },
      body: photo,
    });
    photoId = (await response.json()).photoId;
    // A preview made while it was uploading was made without it.
    withdrawPreview();
    $('progress').textContent = 'Photo ready.';
  } catch (error) {
    showProblem(error);
  }
}

async function loadPrinter() {
  let printer;
  try {
    const devices = await api.call('GET', '/api/v1/devices');
    const list = Array.isArray(devices) ? devices : (devices.devices ?? []);
    printer = list.find((d) => d.kind === 'card-printer');
    if (!printer) throw new Problem({ title: 'No card printer', detail: 'none is configured at this desk' });
    printerDevice = printer.device;
    const status = await api.call('GET', `/api/v1/card-printers/${printer.device}`);
    showPrinter(
      printer.device,
      printer.status,
      printer.status === 'offline' ? printer.reason : status.problem,
      status.cleaningDue === true,
    );
    stillToDo.encodeOn(status.rfidPad ?? undefined);
    followPrinter(printer.device);
    $('template').replaceChildren(
      ...status.templates.map((name) => {
        const option = document.createElement('option');
        option.value = name;
        option.textContent = name;
        return option;
      }),
    );
  } catch (error) {
    $('printer').textContent = 'No card printer';
    showProblem(error);
    return;
  }
  await stillToDo.load(printer.device).catch(showProblem);
}

/**
 * The printer's state as it changes (out of cards, the ribbon low, the cover open, offline), from
 * the event WebSocket, so staff see it before they press Print; read once, it said "online" all day.
 */
function followPrinter(device) {
  const show = (state) => {
    if (state?.device === device)
      showPrinter(device, state.status, state.reason, state.detail?.cleaningDue === true);
  };
  api.events(
    [device],
    (message) => {
      if (message.event === 'snapshot') {
        // Let in again (a token Carrel does not take is closed after the handshake, before this).
        printerRetryMs = 500;
        if ($('problem').textContent === SIGN_IN_AGAIN) clearProblem();
        show(message.data.devices.find((state) => state.device === device));
      } else if (message.event === 'device.state') show(message.data);
    },
    () => {},
    (event) => {
      // Carrel restarted or out of reach: the printer's last state is not said as if it were now.
      $('printer').textContent =
        'Not connected to Carrel — trying again… The printer’s state is not known until then.';
      $('printer').title = '';
      if (event.code === 4401) showProblem(new Problem({ status: 401, code: 'unauthorized' }));
      setTimeout(() => followPrinter(device), printerRetryMs);
      printerRetryMs = Math.min(printerRetryMs * 2, 10_000);
    },
  );
}
/** The wait before dialling Carrel again: 0.5 s, doubling to 10 s, from 0.5 s again once let in. */
let printerRetryMs = 500;

const camera = new DeskCamera($('camera-video'));

/** Shows the camera panel live (`taken` false) or with the photo taken (`taken` true). */
function showCamera(taken) {
  $('camera').hidden = false;
  $('viewfinder').hidden = taken;
  $('camera-still').hidden = !taken;
  $('capture-button').hidden = taken;
  $('camera-cancel-button').hidden = taken;
  $('retake-button').hidden = !taken;
}

function closeCamera() {
  camera.stop();
  $('camera').hidden = true;
}

async function openCamera() {
  clearProblem();
  showCamera(false);
  $('capture-button').disabled = true;
  $('progress').textContent = 'Starting the camera…';
  try {
    if (!(await camera.open())) return;
    const { videoWidth, videoHeight } = $('camera-video');
    if (videoWidth && videoHeight) $('viewfinder').style.aspectRatio = `${videoWidth} / ${videoHeight}`;
    $('capture-button').disabled = false;
    $('progress').textContent = 'Camera on: the patron’s face in the oval, then Capture.';
  } catch (error) {
    closeCamera();
    $('progress').textContent = '';
    showProblem(new Problem({ title: 'The camera cannot be used', detail: cameraRefusal(error) }));
  }
}

async function capture() {
  let photo;
  try {
    photo = await camera.capture($('camera-still'));
  } catch (error) {
    showProblem(error);
    return;
  }
  camera.stop();
  showCamera(true);
  $('photo').value = '';
  $('progress').textContent = 'Uploading the photo…';
  await upload(photo);
}

$('camera-button').addEventListener('click', openCamera);
$('capture-button').addEventListener('click', capture);
$('retake-button').addEventListener('click', () => {
  photoChanged();
  openCamera();
});
$('camera-cancel-button').addEventListener('click', () => {
  closeCamera();
  $('progress').textContent = '';
});
// Leaving the page puts the camera away, so its light does not stay on.
window.addEventListener('pagehide', () => camera.stop());

$('preview-button').addEventListener('click', preview);
// Enter in the form's fields — typed, or a keyboard scanner's after the barcode — previews the card
// while none stands: the form's default button, Print card, is off until a preview, and Enter did
// nothing. With a preview of the card as it is, Enter is Print card, as before.
$('card-form').addEventListener('keydown', (event) => {
  if (event.key !== 'Enter' || event.isComposing || !(event.target instanceof HTMLInputElement)) return;
  if (event.target.type === 'file' || previewStands()) return;
  event.preventDefault();
  void preview();
});
$('card-form').addEventListener('submit', (event) => {
  event.preventDefault();
  print();
});
$('reprint-button').addEventListener('click', () => print(lastIssued));
$('print-expired-button').addEventListener('click', () =>
  print(expiredPrint?.replaces, true, expiredPrint?.confirmNotPrinted ?? false),
);
$('found-in-hopper-button').addEventListener('click', foundInHopper);
$('print-not-printed-button').addEventListener('click', () =>
  print(notPrintedPrint?.replaces, notPrintedPrint?.confirmExpired ?? false, true),
);
$('photo').addEventListener('change', () => {
  closeCamera();
  upload($('photo').files[0]);
});
$('patron').addEventListener('input', () => {
  formChanged();
  // Reprint replaces the card printed last, which was for the patron before.
  $('reprint-button').hidden = true;
});
$('template').addEventListener('change', formChanged);
for (const choice of document.querySelectorAll('input[name="number"]'))
  choice.addEventListener('change', formChanged);
loadPrinter();

if (scanner)
  watchPatronScans({
    origin: location.origin,
    token: api.token,
    scanner,
    onPatron(patron) {
      clearProblem();
      $('patron').value = patron;
      // A new patron: the preview (and the print it allows) was for the one before.
      $('patron').dispatchEvent(new Event('input'));
      $('progress').textContent = 'Patron card scanned.';
    },
    onRefused: (reason) =>
      showProblem(new Problem({ title: `The scanner “${scanner}” cannot be used`, detail: reason })),
  });
