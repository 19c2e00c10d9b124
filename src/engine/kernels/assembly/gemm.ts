// AssemblyScript source of the fused dense-layer kernels (WebAssembly SIMD), built by
// `npm run build:kernels` into src/engine/kernels/generated/ (see ../fused-mlp.ts for the
// caller). Not TypeScript: f32, usize and v128 are AssemblyScript's types.
//
// Every matrix is row-major float32 at a byte address in this module's memory, with widths
// (k and n below) that are multiples of 4; the caller pads them with zeros.
//
// Each output element is accumulated in the same order (p = 0..k−1, then + bias) by every
// tile shape, so a row's result does not depend on which other rows share its call: the flow
// gives bit-identical particles at any thread count.

/** First free byte after this module's static data: the caller's buffers start here. */
export function heapBase(): usize {
  return __heap_base;
}

// act(z) = max(z, slope · z): LeakyReLU for 0 < slope < 1, ReLU for slope = 0
@inline function finish(acc: v128, bias: usize, col: i32, useBias: bool, activate: bool, slope: v128): v128 {
  let z = acc;
  if (useBias) z = f32x4.add(z, v128.load(bias + ((<usize>col) << 2)));
  if (activate) z = f32x4.max(z, f32x4.mul(z, slope));
  return z;
}

/**
 * C[m×n] = act(A[m×k] · B[k×n] + bias[n]); `bias` 0 means none, `activate` 0 means identity.
 * Tiles of 4 rows × 8 columns, then 4-column and single-row tails.
 */
export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, bias: usize, activate: i32, slope: f32): void {
  const lda = (<usize>k) << 2;
  const ldb = (<usize>n) << 2;
  const ldc = (<usize>n) << 2;
  const useBias = bias != 0;
  const act = activate != 0;
  const vs = f32x4.splat(slope);
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = a + (<usize>i) * lda;
    const a1 = a0 + lda;
    const a2 = a1 + lda;
    const a3 = a2 + lda;
    const c0 = c + (<usize>i) * ldc;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      let s00 = zero, s01 = zero, s10 = zero, s11 = zero, s20 = zero, s21 = zero, s30 = zero, s31 = zero;
      let bp = b + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        const off = (<usize>p) << 2;
        const b0 = v128.load(bp);
        const b1 = v128.load(bp, 16);
        const x0 = v128.load32_splat(a0 + off);
        s00 = f32x4.add(s00, f32x4.mul(x0, b0));
        s01 = f32x4.add(s01, f32x4.mul(x0, b1));
        const x1 = v128.load32_splat(a1 + off);
        s10 = f32x4.add(s10, f32x4.mul(x1, b0));
        s11 = f32x4.add(s11, f32x4.mul(x1, b1));
        const x2 = v128.load32_splat(a2 + off);
        s20 = f32x4.add(s20, f32x4.mul(x2, b0));
        s21 = f32x4.add(s21, f32x4.mul(x2, b1));
        const x3 = v128.load32_splat(a3 + off);
        s30 = f32x4.add(s30, f32x4.mul(x3, b0));
        s31 = f32x4.add(s31, f32x4.mul(x3, b1));
        bp += ldb;
      }
      const cp = c0 + ((<usize>j) << 2);
      v128.store(cp, finish(s00, bias, j, useBias, act, vs));
      v128.store(cp, finish(s01, bias, j + 4, useBias, act, vs), 16);
      v128.store(cp + ldc, finish(s10, bias, j, useBias, act, vs));
      v128.store(cp + ldc, finish(s11, bias, j + 4, useBias, act, vs), 16);
      v128.store(cp + 2 * ldc, finish(s20, bias, j, useBias, act, vs));
      v128.store(cp + 2 * ldc, finish(s21, bias, j + 4, useBias, act, vs), 16);
      v128.store(cp + 3 * ldc, finish(s30, bias, j, useBias, act, vs));
      v128.store(cp + 3 * ldc, finish(s31, bias, j + 4, useBias, act, vs), 16);
    }
    for (; j < n; j += 4) {
      let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
      let bp = b + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        const off = (<usize>p) << 2;
        const b0 = v128.load(bp);
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0 + off), b0));
        s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(a1 + off), b0));
        s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(a2 + off), b0));
        s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(a3 + off), b0));
        bp += ldb;
      }
      const cp = c0 + ((<usize>j) << 2);
      v128.store(cp, finish(s0, bias, j, useBias, act, vs));
      v128.store(cp + ldc, finish(s1, bias, j, useBias, act, vs));
      v128.store(cp + 2 * ldc, finish(s2, bias, j, useBias, act, vs));
      v128.store(cp + 3 * ldc, finish(s3, bias, j, useBias, act, vs));
    }
  }
  for (; i < m; i++) {
    const a0 = a + (<usize>i) * lda;
    const c0 = c + (<usize>i) * ldc;
    for (let j = 0; j < n; j += 4) {
      let s0 = zero;
      let bp = b + ((<usize>j) << 2);
      for (let p = 0; p < k; p++) {
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(a0 + ((<usize>p) << 2)), v128.load(bp)));
        bp += ldb;
      }
      v128.store(c0 + ((<usize>j) << 2), finish(s0, bias, j, useBias, act, vs));
    }
  }
}

/**
 * g ⊙= act′ for count values, where act′ is read off the activation's output h: 1 where
 * h > 0, else slope (h > 0 exactly where the pre-activation is > 0).
 */
export function maskByActivation(g: usize, h: usize, count: i32, slope: f32): void {
  const vs = f32x4.splat(slope);
  const one = f32x4.splat(1);
  const zero = f32x4.splat(0);
  const end = g + ((<usize>(count & ~3)) << 2);
  let hp = h;
  let gp = g;
  for (; gp < end; gp += 16) {
    const d = v128.bitselect(one, vs, f32x4.gt(v128.load(hp), zero));
    v128.store(gp, f32x4.mul(v128.load(gp), d));
    hp += 16;
  }
  const tail = g + ((<usize>count) << 2);
  for (; gp < tail; gp += 4) {
    if (!(load<f32>(hp) > 0)) store<f32>(gp, load<f32>(gp) * slope);
    hp += 4;
  }
}

/**
 * C[k×n] (+)= Aᵀ · B for A[m×k], B[m×n] (a parameter gradient: activations ᵀ · output
 * gradients), summing over the m rows in order; `accumulate` 0 overwrites C.
 */
export function gemmTransposedA(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, accumulate: i32): void {
  const lda = (<usize>k) << 2;
  const ldb = (<usize>n) << 2;
  const zero = f32x4.splat(0);
  for (let p = 0; p < k; p += 4) {
    for (let j = 0; j < n; j += 4) {
      let s0 = zero, s1 = zero, s2 = zero, s3 = zero;
      let ap = a + ((<usize>p) << 2);
      let bp = b + ((<usize>j) << 2);
      for (let r = 0; r < m; r++) {
        const bv = v128.load(bp);
        s0 = f32x4.add(s0, f32x4.mul(v128.load32_splat(ap), bv));
        s1 = f32x4.add(s1, f32x4.mul(v128.load32_splat(ap, 4), bv));
        s2 = f32x4.add(s2, f32x4.mul(v128.load32_splat(ap, 8), bv));
        s3 = f32x4.add(s3, f32x4.mul(v128.load32_splat(ap, 12), bv));
        ap += lda;
        bp += ldb;
      }
      const cp = c + (<usize>p) * ldb + ((<usize>j) << 2);
      if (accumulate != 0) {
        s0 = f32x4.add(v128.load(cp), s0);
        s1 = f32x4.add(v128.load(cp + ldb), s1);
        s2 = f32x4.add(v128.load(cp + 2 * ldb), s2);
        s3 = f32x4.add(v128.load(cp + 3 * ldb), s3);
      }
      v128.store(cp, s0);
      v128.store(cp + ldb, s1);
      v128.store(cp + 2 * ldb, s2);
      v128.store(cp + 3 * ldb, s3);
    }
  }
}

/** out[n] (+)= Σ over the m rows of B[m×n] (a bias gradient); `accumulate` 0 overwrites. */
export function columnSums(b: usize, out: usize, m: i32, n: i32, accumulate: i32): void {
  const ldb = (<usize>n) << 2;
  for (let j = 0; j < n; j += 4) {
    let s = f32x4.splat(0);
    let bp = b + ((<usize>j) << 2);
    for (let r = 0; r < m; r++) {
      s = f32x4.add(s, v128.load(bp));
      bp += ldb;
    }
    const op = out + ((<usize>j) << 2);
    if (accumulate != 0) s = f32x4.add(v128.load(op), s);
    v128.store(op, s);
  }
}

/**
 * Patches of one image for a convolution as GEMM rows: x [H×W×C] (HWC) → col [OH·OW × ldcol],
 * row (oy, ox) holding the kh×kw×C window at (oy·sh − padTop, ox·sw − padLeft) in (ky, kx, c)
 * order (TF.js's filter layout [kh, kw, C, Cout] flattened), zeros outside the image and in the
 * columns from kh·kw·C to ldcol.
 */
export function im2col(x: usize, col: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32, ldcol: i32): void {
  const K = kh * kw * C;
  const rowBytes = (<usize>C) << 2;
  const vec = (C & 3) == 0;
  let dst = col;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let d = dst;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - padLeft + kx;
          if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
            const src = x + (<usize>(iy * W + ix)) * rowBytes;
            if (vec) {
              for (let c: usize = 0; c < rowBytes; c += 16) v128.store(d + c, v128.load(src + c));
            } else {
              for (let c: usize = 0; c < rowBytes; c += 4) store<f32>(d + c, load<f32>(src + c));
            }
          } else {
            for (let c: usize = 0; c < rowBytes; c += 4) store<f32>(d + c, 0);
          }
          d += rowBytes;
        }
      }
      if (ldcol > K) memory.fill(d, 0, (<usize>(ldcol - K)) << 2);
      dst += (<usize>ldcol) << 2;
    }
  }
}

/**
 * The adjoint of im2col: dx [H×W×C] += each row of dcol [OH·OW × ldcol] scattered back onto its
 * window (columns from kh·kw·C on ignored). The caller zeroes dx first.
 */
export function col2im(dcol: usize, dx: usize, H: i32, W: i32, C: i32, OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32, ldcol: i32): void {
  const rowBytes = (<usize>C) << 2;
  const vec = (C & 3) == 0;
  let src = dcol;
  for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let s = src;
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - padTop + ky;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - padLeft + kx;
          if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
            const t = dx + (<usize>(iy * W + ix)) * rowBytes;
            if (vec) {
              for (let c: usize = 0; c < rowBytes; c += 16) v128.store(t + c, f32x4.add(v128.load(t + c), v128.load(s + c)));
            } else {
              for (let c: usize = 0; c < rowBytes; c += 4) store<f32>(t + c, load<f32>(t + c) + load<f32>(s + c));
            }
          }
          s += rowBytes;
        }
      }
      src += (<usize>ldcol) << 2;
    }
  }
}

/** count floats at p set to zero. */
export function zero(p: usize, count: i32): void {
  memory.fill(p, 0, (<usize>count) << 2);
}
