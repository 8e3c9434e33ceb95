import type { TextTokenizer } from 'reasonflow';

/** One token per character of a fixed alphabet; id 0 is the end-of-text token. */
export class CharTokenizer implements TextTokenizer {
  readonly eosTokenIds = [0] as const;
  private readonly ids: Map<string, number>;

  constructor(readonly alphabet: string) {
    this.ids = new Map([...alphabet].map((c, i) => [c, i + 1]));
  }

  get vocabSize(): number {
    return this.ids.size + 1;
  }

  encode(text: string): number[] {
    return [...text].map((c) => {
      const id = this.ids.get(c);
      if (id === undefined) throw new RangeError(`character ${JSON.stringify(c)} is not in the alphabet`);
      return id;
    });
  }

  decode(ids: ArrayLike<number>, options: { skipSpecialTokens?: boolean } = {}): string {
    let text = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      text += id === 0 ? (options.skipSpecialTokens ? '' : '<eos>') : this.alphabet[id - 1]!;
    }
    return text;
  }
}
