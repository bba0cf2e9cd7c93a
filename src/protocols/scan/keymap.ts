/**
 * Keyboard layouts for keyboard-wedge scanners: Linux key codes
 * (linux/input-event-codes.h) to the characters a scanner set to that layout
 * types. A scanner "types" each character with the keys the host's layout
 * needs, so the desk must read its keystrokes with the same layout: a German
 * scanner's `Z` arrives as KEY_Y.
 */

/** Key codes used here (linux/input-event-codes.h). */
export const KEY = {
  ESC: 1,
  BACKSPACE: 14,
  TAB: 15,
  ENTER: 28,
  LEFTCTRL: 29,
  LEFTSHIFT: 42,
  RIGHTSHIFT: 54,
  LEFTALT: 56,
  SPACE: 57,
  CAPSLOCK: 58,
  KPENTER: 96,
  RIGHTCTRL: 97,
  RIGHTALT: 100,
} as const;

/** One key's characters: plain, with Shift, with AltGr. */
type KeyChars = readonly [plain: string, shift: string, altGr?: string];

export interface Keymap {
  readonly name: KeymapName;
  readonly keys: ReadonlyMap<number, KeyChars>;
}

export type KeymapName = 'us' | 'de';

/** The alphanumeric block by rows: key codes of each row's first key, and the row's characters. */
function rows(spec: ReadonlyArray<[first: number, plain: string, shift: string]>): Map<number, KeyChars> {
  const map = new Map<number, KeyChars>();
  for (const [first, plain, shift] of spec) {
    const plainChars = [...plain];
    const shiftChars = [...shift];
    plainChars.forEach((char, index) => {
      if (char !== ' ') map.set(first + index, [char, shiftChars[index]!]);
    });
  }
  return map;
}

const KEYPAD: ReadonlyArray<[number, string]> = [
  [71, '7'],
  [72, '8'],
  [73, '9'],
  [74, '-'],
  [75, '4'],
  [76, '5'],
  [77, '6'],
  [78, '+'],
  [79, '1'],
  [80, '2'],
  [81, '3'],
  [82, '0'],
  [83, '.'],
  [55, '*'],
  [98, '/'],
];

function withCommon(map: Map<number, KeyChars>): Map<number, KeyChars> {
  map.set(KEY.SPACE, [' ', ' ']);
  for (const [code, char] of KEYPAD) map.set(code, [char, char]);
  return map;
}

/** US (ANSI) layout. */
const US = withCommon(
  rows([
    [2, '1234567890-=', '!@#$%^&*()_+'],
    [16, 'qwertyuiop[]', 'QWERTYUIOP{}'],
    [30, "asdfghjkl;'`", 'ASDFGHJKL:"~'],
    [43, '\\zxcvbnm,./', '|ZXCVBNM<>?'],
  ]),
);

/** German (QWERTZ, DIN 2137 T1) layout, with the AltGr characters a scanner may need. */
const DE = withCommon(
  rows([
    [2, '1234567890ß´', '!"§$%&/()=?`'],
    [16, 'qwertzuiopü+', 'QWERTZUIOPÜ*'],
    [30, 'asdfghjklöä^', 'ASDFGHJKLÖÄ°'],
    [43, '#yxcvbnm,.-', "'YXCVBNM;:_"],
  ]),
);
DE.set(86, ['<', '>', '|']);
for (const [code, altGr] of [
  [3, '²'],
  [4, '³'],
  [8, '{'],
  [9, '['],
  [10, ']'],
  [11, '}'],
  [12, '\\'],
  [16, '@'],
  [18, '€'],
  [27, '~'],
  [50, 'µ'],
] as const) {
  const [plain, shift] = DE.get(code)!;
  DE.set(code, [plain, shift, altGr]);
}

const KEYMAPS: Record<KeymapName, Keymap> = {
  us: { name: 'us', keys: US },
  de: { name: 'de', keys: DE },
};

export function keymap(name: KeymapName): Keymap {
  return KEYMAPS[name];
}

export const KEYMAP_NAMES: readonly KeymapName[] = ['us', 'de'];

/** The character a key gives with the modifiers held, or undefined when the layout has none. */
export function characterOf(map: Keymap, code: number, shift: boolean, altGr: boolean): string | undefined {
  const chars = map.keys.get(code);
  if (!chars) return undefined;
  if (altGr) return chars[2];
  return shift ? chars[1] : chars[0];
}

/** The keys that type a character in a layout (for simulators): the key code and the modifier. */
export function keystrokeOf(
  map: Keymap,
  char: string,
): { code: number; modifier: 'none' | 'shift' | 'altgr' } | undefined {
  for (const [code, chars] of map.keys) {
    if (chars[0] === char) return { code, modifier: 'none' };
  }
  for (const [code, chars] of map.keys) {
    if (chars[1] === char) return { code, modifier: 'shift' };
    if (chars[2] === char) return { code, modifier: 'altgr' };
  }
  return undefined;
}
