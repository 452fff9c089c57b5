import { CharacterTimeline } from '../../../src/synthesis/character-timing';

describe('CharacterTimeline', () => {
  const text = 'Habari. Karibu sana.  ';

  it('shares each sentence evenly, gives the gap the pause, and ends with the trailing characters', () => {
    const sut = new CharacterTimeline(text);
    const first = sut.next([{ text: 'Habari.', startSeconds: 0, endSeconds: 0.7 }]);
    expect(first.characters.join('')).toBe('Habari.');
    expect(first.startSeconds).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    expect(first.endSeconds.at(-1)).toBe(0.7);
    const second = sut.next([{ text: 'Karibu sana.', startSeconds: 1, endSeconds: 2.2 }]);
    // The space between the sentences spans the pause, 0.7 → 1.0.
    expect(second.characters[0]).toBe(' ');
    expect([second.startSeconds[0], second.endSeconds[0]]).toEqual([0.7, 1]);
    expect(second.characters.slice(1).join('')).toBe('Karibu sana.');
    expect(second.startSeconds[1]).toBe(1);
    expect(second.endSeconds.at(-1)).toBe(2.2);
    const rest = sut.rest();
    expect(rest.characters).toEqual([' ', ' ']);
    expect(rest.startSeconds).toEqual([2.2, 2.2]);
    expect([...first.characters, ...second.characters, ...rest.characters].join('')).toBe(text);
  });

  it('counts code points, so an emoji is one character with one timing', () => {
    const sut = new CharacterTimeline('Hi 🎉.');
    const timings = sut.next([{ text: 'Hi 🎉.', startSeconds: 0, endSeconds: 0.5 }]);
    expect(timings.characters).toEqual(['H', 'i', ' ', '🎉', '.']);
    expect(timings.endSeconds).toEqual([0.1, 0.2, 0.3, 0.4, 0.5]);
  });

  it('a sentence the chunker changed (not found verbatim) still advances by its length, never past the text', () => {
    const sut = new CharacterTimeline('abc def');
    const timings = sut.next([{ text: 'ABC DEF GHI', startSeconds: 0, endSeconds: 1 }]);
    expect(timings.characters.join('')).toBe('abc def');
    expect(sut.rest().characters).toEqual([]);
  });
});
