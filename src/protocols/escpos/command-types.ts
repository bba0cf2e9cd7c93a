/**
 * The typed form of every ESC/POS command the decoder recognises. Names follow
 * Epson's ESC/POS Command Reference; byte layouts are noted beside each.
 */
import type { StatusKind } from './status.js';

export type Alignment = 'left' | 'center' | 'right';

export type BarcodeSymbology =
  | 'upc-a'
  | 'upc-e'
  | 'ean13'
  | 'ean8'
  | 'code39'
  | 'itf'
  | 'codabar'
  | 'code93'
  | 'code128'
  | 'gs1-128'
  | 'gs1-databar-omni'
  | 'gs1-databar-truncated'
  | 'gs1-databar-limited'
  | 'gs1-databar-expanded'
  | 'code128-auto'
  | 'unknown';

export type QrErrorCorrection = 'L' | 'M' | 'Q' | 'H';

export type EscPosCommand =
  /** Printable bytes (≥ 0x20) in the current code page; decode with decodeText(). */
  | { type: 'text'; bytes: Uint8Array }
  | { type: 'line-feed' } // LF
  | { type: 'carriage-return' } // CR
  | { type: 'horizontal-tab' } // HT
  | { type: 'form-feed' } // FF (page mode: print and return to standard mode)
  | { type: 'cancel-page-data' } // CAN
  | { type: 'initialize' } // ESC @
  | { type: 'code-page'; page: number } // ESC t n
  | { type: 'international-charset'; charset: number } // ESC R n
  | { type: 'bold'; on: boolean } // ESC E n
  | { type: 'double-strike'; on: boolean } // ESC G n
  | { type: 'underline'; thickness: 0 | 1 | 2 } // ESC - n
  | { type: 'kanji-underline'; thickness: 0 | 1 | 2 } // FS - n
  | { type: 'invert'; on: boolean } // GS B n
  | { type: 'character-size'; width: number; height: number } // GS ! n (1–8 each)
  /** ESC ! n */
  | {
      type: 'print-mode';
      font: 0 | 1;
      bold: boolean;
      doubleHeight: boolean;
      doubleWidth: boolean;
      underline: boolean;
    }
  | { type: 'kanji-print-mode'; doubleWidth: boolean; doubleHeight: boolean; underline: boolean } // FS ! n
  | { type: 'align'; align: Alignment } // ESC a n
  /** ESC 3 n sets `dots`; ESC 2 restores the default (dots: null). */
  | { type: 'line-spacing'; dots: number | null }
  | { type: 'absolute-position'; dots: number } // ESC $ nL nH
  | { type: 'relative-position'; dots: number } // ESC \ nL nH (signed)
  | { type: 'left-margin'; dots: number } // GS L nL nH
  | { type: 'print-area-width'; dots: number } // GS W nL nH
  | { type: 'font'; font: number } // ESC M n (0 = A, 1 = B, …)
  | { type: 'character-spacing'; dots: number } // ESC SP n
  | { type: 'kanji-mode'; on: boolean } // FS & / FS .
  | { type: 'kanji-code-system'; system: 'jis' | 'shift-jis' } // FS C n
  | { type: 'kanji-spacing'; left: number; right: number } // FS S n1 n2
  | { type: 'upside-down'; on: boolean } // ESC { n
  | { type: 'rotate'; on: boolean } // ESC V n
  | { type: 'smoothing'; on: boolean } // GS b n
  | { type: 'unidirectional'; on: boolean } // ESC U n
  | { type: 'print-color'; color: number } // ESC r n
  | { type: 'tab-positions'; columns: number[] } // ESC D n1 … nk NUL
  | { type: 'feed-lines'; lines: number } // ESC d n
  | { type: 'feed-dots'; dots: number } // ESC J n
  | { type: 'reverse-feed-lines'; lines: number } // ESC e n
  /** GS V m [n]: every form. `feedDots` is the feed before the cut (m = 65/66/97/98/103/104). */
  | { type: 'cut'; partial: boolean; feedDots: number; mode: number }
  | { type: 'drawer-pulse'; pin: number; onMs: number; offMs: number } // ESC p m t1 t2
  | { type: 'barcode-height'; dots: number } // GS h n
  | { type: 'barcode-module-width'; dots: number } // GS w n
  | { type: 'barcode-hri-position'; position: 'none' | 'above' | 'below' | 'both' } // GS H n
  | { type: 'barcode-hri-font'; font: number } // GS f n
  /** GS k m d1…dk NUL (m 0–6) or GS k m n d1…dn (m 65–79). */
  | { type: 'barcode'; symbology: BarcodeSymbology; m: number; data: Uint8Array }
  | { type: 'qr-model'; model: number } // GS ( k … 49 65 n1 n2
  | { type: 'qr-module-size'; dots: number } // GS ( k … 49 67 n
  | { type: 'qr-error-correction'; level: QrErrorCorrection } // GS ( k … 49 69 n
  | { type: 'qr-store'; data: Uint8Array } // GS ( k … 49 80 48 d…
  | { type: 'qr-print' } // GS ( k … 49 81 48
  | { type: 'qr-transmit-size' } // GS ( k … 49 82 48
  /** Any other GS ( k function (PDF417, MaxiCode, DataBar, Aztec, DataMatrix…). */
  | { type: 'symbol'; cn: number; fn: number; params: Uint8Array }
  /** GS v 0 m xL xH yL yH d…: `bits` is row-major, `widthBytes` bytes per row, MSB leftmost. */
  | { type: 'raster-image'; mode: number; widthBytes: number; height: number; bits: Uint8Array }
  /** ESC * m nL nH d…: column format bit image (8 or 24 dots tall). */
  | { type: 'bit-image'; mode: number; width: number; data: Uint8Array }
  /** GS 8 L / GS ( L fn 112: store raster graphics in the print buffer. */
  | {
      type: 'graphics-store';
      tone: number;
      scaleX: number;
      scaleY: number;
      color: number;
      width: number;
      height: number;
      bits: Uint8Array;
    }
  | { type: 'graphics-print' } // GS ( L fn 50 (or 2)
  | { type: 'graphics'; fn: number; params: Uint8Array } // other GS ( L / GS 8 L functions
  | { type: 'process-id-request'; id: string } // GS ( H pL pH 48 48 d1…d4
  /** Other GS ( x / FS ( x / ESC ( x functions taken whole, so the stream stays in step. */
  | { type: 'extended'; prefix: number; letter: number; params: Uint8Array }
  | { type: 'real-time-status'; n: number; kind: StatusKind | undefined; extra?: number } // DLE EOT n [a]
  | { type: 'real-time-request'; n: number } // DLE ENQ n
  | { type: 'real-time-command'; fn: number; params: Uint8Array } // DLE DC4 fn …
  | { type: 'transmit-status'; n: number } // GS r n
  | { type: 'transmit-printer-id'; n: number } // GS I n
  | { type: 'automatic-status-back'; mask: number } // GS a n
  | { type: 'peripheral-device'; n: number } // ESC = n
  | { type: 'panel-buttons'; on: boolean } // ESC c 5 n
  | { type: 'paper-sensors'; fn: number; n: number } // ESC c 3 n / ESC c 4 n
  | { type: 'page-mode' } // ESC L
  | { type: 'standard-mode' } // ESC S
  | { type: 'print-page' } // ESC FF
  | { type: 'nv-bit-image-print'; n: number; mode: number } // FS p n m
  /** A length-prefixed command longer than the decoder's maximum frame: its bytes are skipped. */
  | { type: 'oversized'; command: string; length: number }
  /** A byte no command starts with; the decoder resyncs at the next byte. */
  | { type: 'unknown'; byte: number };

export type EscPosCommandType = EscPosCommand['type'];
