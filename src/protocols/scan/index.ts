/** Barcode scanners, magstripe and contactless card readers: scans, key events, HID POS reports, card UIDs. Pure code. */
export * from './aim.js';
export * from './card-uid.js';
export * from './errors.js';
export * from './hid-pos.js';
export * from './input-event.js';
export * from './keymap.js';
export * from './magstripe.js';
export * from './scan-framer.js';
export * from './scan-text.js';
export * from './wedge.js';
