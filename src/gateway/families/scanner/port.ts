import type { Identification } from './identification.js';

/**
 * What workflows and the API may ask of a scanner or card reader. Whole
 * identifications, patron values included: the API edge decides who sees them.
 */
export interface ScannerPort {
  /** The last identification this device made since Carrel started, or null. */
  last(): Identification | null;
}
