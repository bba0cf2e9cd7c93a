/** Reader-level FEIG commands: baud rate detection (0x52) and software version (0x65). */
import { FeigFrameError } from './errors.js';
import { FEIG_BROADCAST_ADDRESS, type FeigFrame } from './frame.js';
import { FEIG_COMMAND } from './iso-host.js';

/** `02 00 08 FF 52 00 4A C3`: the reader answers only at the right baud rate. */
export function baudDetectRequest(address = FEIG_BROADCAST_ADDRESS): FeigFrame {
  return { address, command: FEIG_COMMAND.baudDetect, data: Uint8Array.of(0x00) };
}

/** `02 00 07 FF 65 6E 61`. */
export function softwareVersionRequest(address = FEIG_BROADCAST_ADDRESS): FeigFrame {
  return { address, command: FEIG_COMMAND.softwareVersion, data: new Uint8Array(0) };
}

export interface FeigSoftwareVersion {
  /** `major.minor.patch` from SW-REV and D-REV. */
  revision: string;
  hardwareType: number;
  /** SW-TYPE: the reader family (e.g. 0x4F ID ISC.MR101, 0x5B ID ISC.LR2500). */
  readerType: number;
  /** TR-TYPE bitmap of supported transponders. */
  transponderTypes: number;
}

/** Reply DATA after STATUS: `SW-REV(2) D-REV HW-TYPE SW-TYPE TR-TYPE(2) …`. */
export function decodeSoftwareVersion(data: Uint8Array): FeigSoftwareVersion {
  if (data.length < 7)
    throw new FeigFrameError('feig_bad_reply', 'software version reply shorter than 7 bytes');
  return {
    revision: `${data[0]}.${data[1]}.${data[2]}`,
    hardwareType: data[3]!,
    readerType: data[4]!,
    transponderTypes: (data[5]! << 8) | data[6]!,
  };
}

export function encodeSoftwareVersion(version: FeigSoftwareVersion): Uint8Array {
  const [major = 0, minor = 0, patch = 0] = version.revision.split('.').map(Number);
  return Uint8Array.of(
    major & 0xff,
    minor & 0xff,
    patch & 0xff,
    version.hardwareType & 0xff,
    version.readerType & 0xff,
    (version.transponderTypes >>> 8) & 0xff,
    version.transponderTypes & 0xff,
  );
}
