// Minimal types for gifenc 1.0.3 (CommonJS; under Node ESM only the default export is reliable).
declare module 'gifenc' {
  export type Palette = number[][];
  export interface WriteFrameOptions {
    palette?: Palette;
    first?: boolean;
    transparent?: boolean;
    transparentIndex?: number;
    /** Frame delay in milliseconds (stored in 1/100 s). */
    delay?: number;
    /** -1 = play once, 0 = loop forever, n = loop n extra times. */
    repeat?: number;
    colorDepth?: number;
    dispose?: number;
  }
  export interface GIFStream {
    writeFrame(index: Uint8Array, width: number, height: number, opts?: WriteFrameOptions): void;
    finish(): void;
    bytes(): Uint8Array;
    bytesView(): Uint8Array;
    reset(): void;
    writeHeader(): void;
  }
  export type ColorFormat = 'rgb565' | 'rgb444' | 'rgba4444';
  export function GIFEncoder(opts?: { auto?: boolean; initialCapacity?: number }): GIFStream;
  export function quantize(
    rgba: Uint8Array | Uint8ClampedArray,
    maxColors: number,
    opts?: { format?: ColorFormat; oneBitAlpha?: boolean | number; clearAlpha?: boolean; clearAlphaThreshold?: number; clearAlphaColor?: number },
  ): Palette;
  export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: ColorFormat): Uint8Array;
  export function nearestColorIndex(palette: Palette, pixel: number[]): number;
  const gifenc: {
    GIFEncoder: typeof GIFEncoder;
    quantize: typeof quantize;
    applyPalette: typeof applyPalette;
    nearestColorIndex: typeof nearestColorIndex;
  };
  export default gifenc;
}
