/**
 * The code of the page-counting worker thread, as a string (run with
 * `eval: true`, so the same code runs from the sources under test and from
 * dist/). It loads Mozilla's pdf.js (pdfjs-dist, its Node build) once and
 * answers one document at a time: the number of pages, counted the way pdf.js
 * opens a document — the cross-reference table, the page tree checked against
 * its last page (a page tree whose /Count lies is walked and its real pages
 * counted), encryption with an empty user password (RC4, AES-128, AES-256)
 * decrypted. A document that needs a password, or is not a PDF, says so.
 * Nothing is rendered.
 */
export const PAGE_COUNT_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
// pdf.js's display layer refers to DOMMatrix at load; it is only drawn with, and nothing is drawn here.
if (typeof globalThis.DOMMatrix === 'undefined') globalThis.DOMMatrix = class DOMMatrix {};
let pdfjs;
async function load() {
  if (!pdfjs) pdfjs = await import(workerData.pdfjsUrl);
  return pdfjs;
}
parentPort.on('message', async ({ id, bytes }) => {
  let task;
  try {
    const { getDocument } = await load();
    task = getDocument({
      data: bytes,
      isEvalSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      useWorkerFetch: false,
      stopAtErrors: false,
      verbosity: 0,
    });
    const document = await task.promise;
    const pages = document.numPages;
    await document.destroy();
    parentPort.postMessage({ id, pages });
  } catch (error) {
    if (task) await task.destroy().catch(() => {});
    const name = error && error.name;
    const code = name === 'PasswordException' ? 'document_password_required'
      : name === 'InvalidPDFException' ? 'document_unreadable'
      : 'document_unreadable';
    parentPort.postMessage({ id, error: { code, message: String((error && error.message) || error).slice(0, 200) } });
  }
});
`;
