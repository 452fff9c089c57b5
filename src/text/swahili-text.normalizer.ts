import { numeralToSwahili } from './swahili-numbers';

/**
 * Text as a Swahili voice should read it: Unicode NFC, whitespace folded, and numbers, percentages,
 * currency amounts and a few symbols spelled out in Swahili words. What is covered is listed in
 * docs/voices.md ("Text normalisation"); anything else is left for eSpeak NG to read as it can.
 */

/** A numeral: 5,000 · 2026 · 3.14 · 1,250.50. A sign counts only at the start of a word. */
const NUMERAL = String.raw`(?:(?<![\p{L}\p{N}])[-+])?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?`;

const SHILLING_CODES = String.raw`(?:TSh|Tsh|TSH|TShs|Tshs|TZS|KSh|Ksh|KSH|KShs|Kshs|KES|USh|Ush|USH|UGX|Shs?|shs?)`;

interface CurrencyRule {
  pattern: RegExp;
  replace: (amount: string) => string;
}

const CURRENCY_RULES: CurrencyRule[] = [
  // "TSh 5,000", "KSh5000", "Shs. 200" and the Tanzanian "5,000/=" trailer.
  { pattern: new RegExp(String.raw`\b${SHILLING_CODES}\.?\s*(${NUMERAL})(?:\/=)?`, 'gu'), replace: (amount) => `shilingi ${amount}` },
  // "5,000 TSh", "5000/=".
  { pattern: new RegExp(String.raw`(${NUMERAL})\s*(?:${SHILLING_CODES}\b\.?|\/=)`, 'gu'), replace: (amount) => `shilingi ${amount}` },
  { pattern: new RegExp(String.raw`(?:US)?\$\s*(${NUMERAL})`, 'gu'), replace: (amount) => `dola ${amount}` },
  { pattern: new RegExp(String.raw`€\s*(${NUMERAL})`, 'gu'), replace: (amount) => `yuro ${amount}` },
  { pattern: new RegExp(String.raw`£\s*(${NUMERAL})`, 'gu'), replace: (amount) => `pauni ${amount}` },
];

const SYMBOL_WORDS: [RegExp, string][] = [
  [/\s*&\s*/g, ' na '],
  [/\s+\+\s+/g, ' jumlisha '],
  [/\s+=\s+/g, ' ni sawa na '],
  [/#\s*(?=\d)/g, 'namba '],
];

const SPACE_BEFORE_PUNCTUATION = / ([,.;:!?])/g;

/** NFC plus whitespace folding: every run of spaces, tabs and line breaks becomes one space. */
export function foldWhitespace(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\s\u00a0\u200b]+/gu, ' ')
    .trim();
}

function spellNumerals(text: string): string {
  return text.replace(new RegExp(NUMERAL, 'gu'), (numeral) => ` ${numeralToSwahili(numeral)} `);
}

/** The full pipeline: NFC, whitespace, currency, percentages, symbols, then every remaining numeral. */
export function normalizeSwahiliText(text: string): string {
  let result = foldWhitespace(text);
  // Every rule below needs a digit or one of these symbols: most texts skip straight to the last step.
  if (!/[\d&+=#]/.test(result)) return result.replace(SPACE_BEFORE_PUNCTUATION, '$1');
  for (const rule of CURRENCY_RULES) result = result.replace(rule.pattern, (_match, amount: string) => rule.replace(amount));
  result = result.replace(new RegExp(String.raw`(${NUMERAL})\s*%`, 'gu'), (_match, amount: string) => `asilimia ${amount}`);
  for (const [pattern, words] of SYMBOL_WORDS) result = result.replace(pattern, words);
  result = spellNumerals(result);
  // Spelling out can leave " ," or double spaces around the new words.
  return foldWhitespace(result).replace(SPACE_BEFORE_PUNCTUATION, '$1');
}
