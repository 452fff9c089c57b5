const PARAGRAPH = [
  'Habari za asubuhi. Leo ni siku nzuri sana katika mji wa Dar es Salaam.',
  'Watoto wanakwenda shuleni na wazazi wao wanaelekea kazini.',
  'Soko la Kariakoo limejaa watu wanaonunua matunda, mboga na samaki.',
  'Mvua ilinyesha usiku kucha, lakini sasa jua linawaka na anga ni safi.',
  'Mwalimu Amina anawafundisha wanafunzi wake historia ya Afrika Mashariki.',
  'Wanajifunza kuhusu biashara ya pwani, lugha ya Kiswahili na miji ya kale kama Kilwa na Lamu.',
  'Baadaye, wanafunzi wataandika insha fupi kuhusu familia zao.',
  'Bei ya mchele imepanda hadi shilingi elfu tatu kwa kilo moja.',
  'Wakulima wanatumaini kwamba mavuno ya mwaka huu yatakuwa mazuri.',
  'Serikali imeahidi kujenga barabara mpya itakayounganisha vijiji vingi na mji mkuu.',
  'Wananchi wengi wamefurahi kusikia habari hiyo.',
  'Jioni, familia hukusanyika pamoja kula chakula cha usiku na kuzungumza kuhusu mambo ya siku.',
  'Bibi husimulia hadithi za zamani, na watoto husikiliza kwa makini.',
  'Kesho asubuhi, safari mpya itaanza tena. Tunawatakia nyote siku njema na amani tele.',
].join(' ');

/** About `length` characters of a Swahili paragraph, cut at a word and ended as a sentence. */
export function swahiliText(length: number): string {
  if (PARAGRAPH.length <= length) return PARAGRAPH;
  const cut = PARAGRAPH.slice(0, length);
  return `${cut.slice(0, cut.lastIndexOf(' ')).replace(/[,.]$/, '')}.`;
}
