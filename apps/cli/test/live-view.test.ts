import { describe, expect, it } from 'vitest';
import { InPlaceView } from '../src/live-view.js';

function recorder() {
  const writes: string[] = [];
  let clock = 0;
  return { writes, stream: { write: (text: string) => writes.push(text) }, tick: (ms: number) => (clock += ms), now: () => clock };
}

describe('InPlaceView', () => {
  it('replaces the previous frame: cursor up by its height, clear below, new lines', () => {
    const r = recorder();
    const view = new InPlaceView(r.stream, 80, r.now);
    view.draw(() => ['one', 'two', 'three']);
    r.tick(100);
    view.draw(() => ['four', 'five']);
    r.tick(100);
    view.draw(() => ['six']);
    expect(r.writes).toEqual(['one\ntwo\nthree\n', '\u001b[3F\u001b[Jfour\nfive\n', '\u001b[2F\u001b[Jsix\n']);
  });

  it('skips frames that come sooner than the interval unless forced, without rendering them', () => {
    const r = recorder();
    const view = new InPlaceView(r.stream, 80, r.now);
    let renders = 0;
    const render = () => [`frame ${++renders}`];
    view.draw(render);
    r.tick(30);
    view.draw(render);
    expect(renders).toBe(1);
    view.draw(render, true);
    expect(r.writes).toEqual(['frame 1\n', '\u001b[1F\u001b[Jframe 2\n']);
  });

  it('clear() erases the frame once', () => {
    const r = recorder();
    const view = new InPlaceView(r.stream, 80, r.now);
    view.clear();
    view.draw(() => ['a', 'b']);
    view.clear();
    view.clear();
    expect(r.writes).toEqual(['a\nb\n', '\u001b[2F\u001b[J']);
  });
});
