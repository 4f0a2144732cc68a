// Helpers of the QR path: drawing the camera preview the shell sends (a small header and gray
// pixels), and reading a cryptogram aloud.

/** Width, height and RGBA pixels of a preview frame, or null when the frame is malformed. */
export function previewPixels(buf: ArrayBuffer): { width: number; height: number; rgba: Uint8ClampedArray<ArrayBuffer> } | null {
  if (buf.byteLength < 8) return null;
  const view = new DataView(buf);
  const width = view.getUint32(0, true);
  const height = view.getUint32(4, true);
  if (width === 0 || height === 0 || width > 4096 || height > 4096 || buf.byteLength !== 8 + width * height) return null;
  const gray = new Uint8Array(buf, 8);
  const rgba = new Uint8ClampedArray(new ArrayBuffer(width * height * 4));
  for (let i = 0; i < gray.length; i++) {
    const v = gray[i] ?? 0;
    rgba[i * 4] = v;
    rgba[i * 4 + 1] = v;
    rgba[i * 4 + 2] = v;
    rgba[i * 4 + 3] = 255;
  }
  return { width, height, rgba };
}

/** Draws a preview frame on the canvas; false when the frame was not drawable. */
export function drawPreview(canvas: HTMLCanvasElement, buf: ArrayBuffer): boolean {
  const px = previewPixels(buf);
  const ctx = canvas.getContext('2d');
  if (!px || !ctx) return false;
  if (canvas.width !== px.width) canvas.width = px.width;
  if (canvas.height !== px.height) canvas.height = px.height;
  ctx.putImageData(new ImageData(px.rgba, px.width, px.height), 0, 0);
  return true;
}

/** `6 9 C 4, E 0 D 8, …`: one character at a time, a pause between groups, for screen readers. */
export function spoken(hex: string, size = 4): string {
  return (hex.match(new RegExp(`.{1,${size}}`, 'g')) ?? []).map((g) => g.split('').join(' ')).join(', ');
}
