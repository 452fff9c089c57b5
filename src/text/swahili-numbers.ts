/**
 * Swahili number words. eSpeak NG reads digits in Swahili poorly (and a VITS model trained on words
 * never saw digits), so numbers are spelled out before phonemization.
 *
 * Style: components largest first, "na" before the last one: 22 → "ishirini na mbili",
 * 2026 → "elfu mbili na ishirini na sita", 1234 → "elfu moja mia mbili na thelathini na nne".
 * 100,000–999,999 use "laki" (common in Tanzania and Kenya): 250000 → "laki mbili na elfu hamsini".
 */

const UNITS = ['sifuri', 'moja', 'mbili', 'tatu', 'nne', 'tano', 'sita', 'saba', 'nane', 'tisa'];
const TENS = ['', 'kumi', 'ishirini', 'thelathini', 'arobaini', 'hamsini', 'sitini', 'sabini', 'themanini', 'tisini'];

/** Integers above this are read digit by digit (account numbers, phone numbers). */
export const LARGEST_SPELLED_NUMBER = 999_999_999_999;

function belowHundred(n: number): string {
  if (n < 10) return UNITS[n];
  const tens = TENS[Math.floor(n / 10)];
  return n % 10 === 0 ? tens : `${tens} na ${UNITS[n % 10]}`;
}

/** Words for 1 … 999 as separate components (hundreds, then tens and units). */
function belowThousandParts(n: number): string[] {
  const parts: string[] = [];
  if (n >= 100) parts.push(`mia ${UNITS[Math.floor(n / 100)]}`);
  if (n % 100 > 0) parts.push(belowHundred(n % 100));
  return parts;
}

/** A count spoken after a scale word: "elfu <count>", "milioni <count>". */
function countWords(n: number): string {
  return joinParts(belowThousandParts(n));
}

function joinParts(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(' ')} na ${parts[parts.length - 1]}`;
}

function scaleParts(n: number): string[] {
  const parts: string[] = [];
  const billions = Math.floor(n / 1e9);
  const millions = Math.floor((n % 1e9) / 1e6);
  const thousands = Math.floor((n % 1e6) / 1e3);
  if (billions > 0) parts.push(`bilioni ${countWords(billions)}`);
  if (millions > 0) parts.push(`milioni ${countWords(millions)}`);
  if (thousands >= 100) {
    parts.push(`laki ${countWords(Math.floor(thousands / 100))}`);
    if (thousands % 100 > 0) parts.push(`elfu ${countWords(thousands % 100)}`);
  } else if (thousands > 0) {
    parts.push(`elfu ${countWords(thousands)}`);
  }
  return [...parts, ...belowThousandParts(n % 1000)];
}

/** A non-negative integer in words; digit by digit past LARGEST_SPELLED_NUMBER. */
export function integerToSwahili(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative safe integer: ${n}`);
  if (n === 0) return UNITS[0];
  if (n > LARGEST_SPELLED_NUMBER) return digitsToSwahili(String(n));
  return joinParts(scaleParts(n));
}

/** Each digit on its own: "0712" → "sifuri saba moja mbili". */
export function digitsToSwahili(digits: string): string {
  return [...digits]
    .filter((d) => d >= '0' && d <= '9')
    .map((d) => UNITS[Number(d)])
    .join(' ');
}

/**
 * A numeral as written in text: optional sign, optional thousands separators (`5,000`), optional
 * decimal part read digit by digit after "nukta" (`3.14` → "tatu nukta moja nne").
 */
export function numeralToSwahili(numeral: string): string {
  const negative = numeral.startsWith('-');
  const [whole, fraction] = numeral.replace(/^[-+]/, '').replace(/,/g, '').split('.');
  const wholeDigits = whole === '' ? '0' : whole;
  const wholeWords = wholeDigits.length > 1 && wholeDigits.startsWith('0') ? digitsToSwahili(wholeDigits) : spellInteger(wholeDigits);
  const words = fraction ? `${wholeWords} nukta ${digitsToSwahili(fraction)}` : wholeWords;
  return negative ? `hasi ${words}` : words;
}

function spellInteger(digits: string): string {
  const value = Number(digits);
  return Number.isSafeInteger(value) ? integerToSwahili(value) : digitsToSwahili(digits);
}
