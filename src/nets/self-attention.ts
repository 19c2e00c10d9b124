/**
 * SAGAN self-attention (Zhang et al., 2019) as the authors put it in their ratio nets
 * (clear-nus/fdrl src/models.py, `Self_Attn`, the corrected version they cite): 1×1 convs
 * with biases map x [C channels] to keys, queries and values of C/8 channels; every query
 * pixel j attends to every key pixel i with weights softmaxᵢ⟨key_i, query_j⟩; the weighted
 * values go through a 1×1 conv back to C channels, o; the block returns x + γ·o, γ a learned
 * scalar that starts at 0 (so a new net starts as the plain ResNet). With the net's spectral
 * norm all four 1×1 kernels are normalised, as the authors' `sn` flag does; γ never is.
 *
 * Written once for every engine on tokens [n, H·W, c] (TensorOps.toTokens): scores Q·Kᵀ
 * [n, N, N] with a softmax over the last axis (the keys), o = β·V. The authors' form,
 * softmax over dim 1 of Kᵀ·Q and V·β, is the same numbers transposed.
 */
import type { TensorOps } from '../engine/tensor-ops.js';
import type { SlotList } from './layout.js';

/** Keys, queries and values have C / 8 channels (the authors' k = 8). */
export const ATTENTION_REDUCTION = 8;

/** Where an attention block's weights sit in a net's weight list, and the feature map it sees. */
export interface AttentionBlock {
  key: number;
  query: number;
  value: number;
  out: number;
  gamma: number;
  height: number;
  width: number;
}

/** Adds an attention block's weights for a feature map of `channels` × height × width. */
export function attentionSlots(list: SlotList, name: string, channels: number, height: number, width: number): AttentionBlock {
  const inner = Math.floor(channels / ATTENTION_REDUCTION);
  if (inner < 1) throw new Error(`self-attention needs at least ${ATTENTION_REDUCTION} channels (keys have C/${ATTENTION_REDUCTION}), got ${channels}`);
  return {
    key: list.conv(`${name}/key`, 1, channels, inner),
    query: list.conv(`${name}/query`, 1, channels, inner),
    value: list.conv(`${name}/value`, 1, channels, inner),
    out: list.conv(`${name}/out`, 1, inner, channels),
    gamma: list.zero(`${name}/gamma`, [1]),
    height,
    width,
  };
}

/** x + γ·o for an image batch x in the engine's layout (see the module comment). */
export function selfAttention<T>(ops: TensorOps<T>, x: T, ws: T[], a: AttentionBlock): T {
  const project = (at: number): T => ops.toTokens(ops.conv2d(x, ws[at], ws[at + 1], 1));
  const keys = project(a.key);
  const queries = project(a.query);
  const values = project(a.value);
  // [n, N queries, N keys]: each query's weights over the keys sum to 1
  const weights = ops.softmax(ops.batchMatMul(queries, keys, false, true));
  const attended = ops.fromTokens(ops.batchMatMul(weights, values), a.height, a.width);
  const o = ops.conv2d(attended, ws[a.out], ws[a.out + 1], 1);
  return ops.add(x, ops.mul(o, ws[a.gamma]));
}

/** Values one image's attention block holds (for memory planning): projections, scores and their softmax, output. */
export function attentionActivationFloats(channels: number, height: number, width: number): number {
  const pixels = height * width;
  const inner = Math.floor(channels / ATTENTION_REDUCTION);
  return 4 * pixels * inner + 3 * pixels * pixels + 2 * pixels * channels;
}
