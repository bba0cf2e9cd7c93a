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
// pdf.js's display layer needs DOMMatrix, ImageData and Path2D only to draw, and nothing is drawn
// here. In Node it loads them from @napi-rs/canvas, a native Skia build whose loading was most of
// the first count's time (~220 of ~300 ms) and stays in memory: while pdf.js loads, it gets an
// empty module instead, and empty classes stand in for the three.
for (const name of ['DOMMatrix', 'ImageData', 'Path2D'])
  if (typeof globalThis[name] === 'undefined') globalThis[name] = class {};
let pdfjs;
async function load() {
  if (pdfjs) return pdfjs;
  const getBuiltinModule = process.getBuiltinModule;
  if (getBuiltinModule)
    process.getBuiltinModule = (id) => {
      const builtin = getBuiltinModule.call(process, id);
      if (id !== 'module' && id !== 'node:module') return builtin;
      return {
        ...builtin,
        createRequire(url) {
          const real = builtin.createRequire(url);
          return Object.assign((name) => (name === '@napi-rs/canvas' ? {} : real(name)), real);
        },
      };
    };
  try {
    pdfjs = await import(workerData.pdfjsUrl);
  } finally {
    if (getBuiltinModule) process.getBuiltinModule = getBuiltinModule;
  }
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
