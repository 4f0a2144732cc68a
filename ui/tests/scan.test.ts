import { describe, expect, it } from 'vitest';
import { previewPixels, spoken } from '../src/lib/scan';

function frame(width: number, height: number, fill: (i: number) => number, extra = 0): ArrayBuffer {
  const buf = new Uint8Array(8 + width * height + extra);
  const view = new DataView(buf.buffer);
  view.setUint32(0, width, true);
  view.setUint32(4, height, true);
  for (let i = 0; i < width * height; i++) buf[8 + i] = fill(i);
  return buf.buffer;
}

describe('camera preview frames', () => {
  it('turns gray pixels into opaque RGBA', () => {
    const px = previewPixels(frame(2, 2, (i) => i * 60));
    expect(px?.width).toBe(2);
    expect(px?.height).toBe(2);
    expect(Array.from(px?.rgba ?? [])).toEqual([0, 0, 0, 255, 60, 60, 60, 255, 120, 120, 120, 255, 180, 180, 180, 255]);
  });

  it('refuses frames whose size does not match their header', () => {
    expect(previewPixels(new ArrayBuffer(4))).toBeNull();
    expect(previewPixels(frame(4, 4, () => 0, 1))).toBeNull();
    expect(previewPixels(frame(0, 0, () => 0))).toBeNull();
    const lying = new Uint8Array(16);
    new DataView(lying.buffer).setUint32(0, 100000, true);
    new DataView(lying.buffer).setUint32(4, 100000, true);
    expect(previewPixels(lying.buffer)).toBeNull();
  });
});

describe('a response read aloud', () => {
  it('spells each character, with a pause between groups of four', () => {
    expect(spoken('69C4E0D8')).toBe('6 9 C 4, E 0 D 8');
    expect(spoken('ABCDEF')).toBe('A B C D, E F');
    expect(spoken('')).toBe('');
  });
});
