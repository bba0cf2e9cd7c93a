/**
 * Receipt text in the printer's code page. A letter the code page lacks would print as "?" (a
 * Turkish ş, a Polish ł, a Romanian ț in PC858): it is printed as its letter without the marks
 * (s, l, t), or as the ASCII a reader expects (æ → ae, “ → "). What has no such form — Japanese,
 * Greek on a Western code page — still prints as "?", and is counted, so the job can say so.
 */
import iconv from 'iconv-lite';

/** The tables receiptline's `multilingual` switches between (ESC t 0, 16, 17, 18, 19). */
const MULTILINGUAL_PAGES = ['cp437', 'cp1252', 'cp866', 'cp852', 'cp858'];

/** Letters and signs NFKD does not take to something printable, by what a reader expects. */
const SPELLED: Readonly<Record<string, string>> = {
  ı: 'i',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ħ: 'h',
  Ħ: 'H',
  ŀ: 'l',
  Ŀ: 'L',
  ø: 'o',
  Ø: 'O',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ß: 'ss',
  þ: 'th',
  Þ: 'Th',
  ð: 'd',
  Ð: 'D',
  '‘': "'",
  '’': "'",
  '‚': "'",
  '‛': "'",
  '“': '"',
  '”': '"',
  '„': '"',
  '‟': '"',
  '–': '-',
  '—': '-',
  '‐': '-',
  '‑': '-',
  '−': '-',
  '⁄': '/',
  '€': 'EUR',
  '•': '*',
};

/** Folds text into one code page, counting the characters it could not. */
export class CodePageFolding {
  private readonly pages: string[];
  private readonly known = new Map<string, string | null>();
  /** Characters printed as "?" since this folding was made. */
  unprintable = 0;

  constructor(encoding: string) {
    this.pages = encoding === 'multilingual' ? MULTILINGUAL_PAGES : [encoding];
  }

  fold(text: string): string {
    // Plain ASCII, by far the most text on a receipt, prints as it is in every code page.
    if (/^[\x20-\x7e\n]*$/.test(text)) return text;
    let out = '';
    for (const char of text) {
      const folded = this.foldChar(char);
      if (folded === null) {
        this.unprintable++;
        out += '?';
      } else out += folded;
    }
    return out;
  }

  private foldChar(char: string): string | null {
    let folded = this.known.get(char);
    if (folded === undefined) {
      folded = this.findFolding(char);
      this.known.set(char, folded);
    }
    return folded;
  }

  private findFolding(char: string): string | null {
    if (char < '\x80' || this.printable(char)) return char;
    const spelled = SPELLED[char];
    if (spelled !== undefined && [...spelled].every((c) => this.printable(c))) return spelled;
    // Ş → S + cedilla, ğ → g + breve, ǆ → dž: the letters, their marks dropped where they do not print.
    const parts = char.normalize('NFKD');
    if (parts === char) return null;
    let out = '';
    for (const part of parts) {
      if (this.printable(part)) out += part;
      else if (/\p{M}/u.test(part)) continue;
      else if (SPELLED[part] !== undefined && [...SPELLED[part]].every((c) => this.printable(c)))
        out += SPELLED[part];
      else return null;
    }
    return out === '' ? null : out;
  }

  /** The code page (one of them, multilingual) holds the character: it round-trips through it. */
  private printable(char: string): boolean {
    if (char < '\x80') return true;
    return this.pages.some((page) => iconv.decode(iconv.encode(char, page), page) === char);
  }
}
