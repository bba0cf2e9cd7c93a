/**
 * The code of the page-counting worker thread, as a string (run with
 * `eval: true`, so the same code runs from the sources under test and from
 * dist/). It loads Mozilla's pdf.js (pdfjs-dist, its Node build) once and
 * answers one document at a time: the number of pages, counted the way pdf.js
 * opens a document — the cross-reference table, the page tree checked against
 * its last page (a page tree whose /Count lies is walked and its real pages
 * counted), encryption with an empty user password (RC4, AES-128, AES-256)
 * decrypted. A document that needs a password, or is not a PDF, says so.
 * Asked, it also looks at the pages' drawing (pdf.js's operator lists: the
 * colours set, pictures sampled) for anything not grey, within a time and a
 * number of pages it is given. Nothing is rendered.
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
// A colour within this of grey (pdf.js gives CMYK black as #2c2e35) is grey: printed in black ink.
const GREY_SPREAD = 24;
const greyHex = (hex) => {
  if (typeof hex !== 'string' || !/^#[0-9a-f]{6}$/i.test(hex)) return true;
  const r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
  return Math.max(r, g, b) - Math.min(r, g, b) <= GREY_SPREAD;
};
const greyPixels = (image) => {
  // kind 1: one bit per pixel (black and white); 2: RGB; 3: RGBA. Every pixel: a small red mark counts.
  if (!image || !image.data || image.kind === 1) return true;
  const step = image.kind === 3 ? 4 : 3;
  const data = image.data;
  for (let i = 0; i + 2 < data.length; i += step)
    if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > GREY_SPREAD)
      return false;
  return true;
};
const objectOf = (page, id) =>
  new Promise((resolve) => {
    const store = id.startsWith('g_') ? page.commonObjs : page.objs;
    try { store.get(id, resolve); } catch { resolve(undefined); }
  });
/** Whether a page of the document draws in colour; null when not all could be looked at in time. */
async function inColour(document, OPS, { withinMs, pages }) {
  const deadline = Date.now() + withinMs;
  const last = Math.min(document.numPages, pages);
  for (let n = 1; n <= last; n++) {
    if (Date.now() > deadline) return null;
    const page = await document.getPage(n);
    const list = await page.getOperatorList();
    for (let i = 0; i < list.fnArray.length; i++) {
      const fn = list.fnArray[i], args = list.argsArray[i];
      if ((fn === OPS.setFillRGBColor || fn === OPS.setStrokeRGBColor) && !greyHex(args[0])) return true;
      // Shadings and patterns: taken as colour (a grey gradient is rare on what a library PC prints).
      if (fn === OPS.shadingFill || fn === OPS.setFillColorN || fn === OPS.setStrokeColorN) return true;
      if (fn === OPS.paintInlineImageXObject && !greyPixels(args[0])) return true;
      if (fn === OPS.paintImageXObject || fn === OPS.paintImageXObjectRepeat) {
        const image = await objectOf(page, args[0]);
        if (image === undefined || !greyPixels(image)) return true;
      }
    }
    page.cleanup();
  }
  return last < document.numPages ? null : false;
}
parentPort.on('message', async ({ id, bytes, colour }) => {
  let task;
  try {
    const { getDocument, OPS } = await load();
    task = getDocument({
      data: bytes,
      isEvalSupported: false,
      isOffscreenCanvasSupported: false,
      disableFontFace: true,
      useSystemFonts: false,
      useWorkerFetch: false,
      stopAtErrors: false,
      verbosity: 0,
    });
    const document = await task.promise;
    const pages = document.numPages;
    let ink = null;
    if (colour) ink = await inColour(document, OPS, colour).catch(() => null);
    await document.destroy();
    parentPort.postMessage({ id, pages, colour: ink });
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
