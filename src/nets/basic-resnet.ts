/**
 * `basic-resnet`: the authors' ratio nets (clear-nus/fdrl src/models.py: ResNet32x32,
 * ResNet64x64, ResNet128x128, ResNet64x64Shallow), beside our pre-activation `resnet`:
 * - stem: conv3×3 (stride 1, padding 1, no bias) → act;
 * - stages of post-activation BasicBlocks: conv3×3 (the stage's stride on its first block,
 *   padding 1, no bias) → act → conv3×3 (stride 1, padding 1, no bias) → + shortcut → act;
 *   the shortcut is a 1×1 conv (stride as conv1, no bias) where the stride is not 1 or the
 *   width changes, else the identity;
 * - optional SAGAN self-attention after one stage (./self-attention.ts);
 * - global mean pool → dense → 1 (with bias, as nn.Linear).
 * Padding is PyTorch's symmetric `padding=1`, not TF's 'same' (they differ at stride 2). With
 * spectral norm every kernel is normalised, as the authors' `sn` flag does.
 */
import type { TensorOps } from '../engine/tensor-ops.js';
import type { ImageShape } from '../data/types.js';
import { activation, type Activation } from './activations.js';
import { SlotList, type ConvLayout } from './layout.js';
import { attentionActivationFloats, attentionSlots, selfAttention, type AttentionBlock } from './self-attention.js';

export interface BasicStage {
  channels: number;
  /** BasicBlocks in the stage (the authors' num_blocks). */
  blocks: number;
  /** Stride of the stage's first block: 2 halves the resolution. */
  stride: 1 | 2;
}

export interface BasicResNetSpec {
  type: 'basic-resnet';
  image: ImageShape;
  /** Width of the stem conv3×3. */
  stem: number;
  stages: BasicStage[];
  /** SAGAN self-attention after this stage (1 = after the first; the authors' layer1, layer2, …); absent: none. */
  attentionAfter?: number;
  activation: Activation;
  /** Spectrally normalise every kernel (convs, shortcuts, attention and dense): W / σ(W). */
  spectralNorm?: boolean;
}

/** Output size of a k×k convolution with symmetric padding `pad` and stride `stride` (PyTorch's formula). */
const convOut = (size: number, k: number, stride: number, pad: number): number => Math.floor((size + 2 * pad - k) / stride) + 1;

interface Block {
  conv1: number;
  conv2: number;
  /** -1: identity shortcut. */
  shortcut: number;
  stride: number;
}

/** The blocks of a spec with their weights, the spatial size after each stage and the attention block. */
function plan(spec: BasicResNetSpec, list: SlotList) {
  const { height, width, channels } = spec.image;
  if (spec.attentionAfter !== undefined && !(spec.attentionAfter >= 1 && spec.attentionAfter <= spec.stages.length)) {
    throw new Error(`basic-resnet: attentionAfter ${spec.attentionAfter} is not a stage (1 to ${spec.stages.length})`);
  }
  const stem = list.convNoBias('stem', 3, channels, spec.stem);
  let cin = spec.stem;
  let [h, w] = [height, width];
  let attention: AttentionBlock | null = null;
  const stages = spec.stages.map((stage, s) => {
    const blocks: Block[] = [];
    for (let b = 0; b < stage.blocks; b++) {
      const stride = b === 0 ? stage.stride : 1;
      const name = `stage${s + 1}/block${b + 1}`;
      const conv1 = list.convNoBias(`${name}/conv1`, 3, cin, stage.channels);
      const conv2 = list.convNoBias(`${name}/conv2`, 3, stage.channels, stage.channels);
      const shortcut = stride !== 1 || cin !== stage.channels ? list.convNoBias(`${name}/shortcut`, 1, cin, stage.channels) : -1;
      blocks.push({ conv1, conv2, shortcut, stride });
      cin = stage.channels;
      [h, w] = [convOut(h, 3, stride, 1), convOut(w, 3, stride, 1)];
    }
    if (spec.attentionAfter === s + 1) attention = attentionSlots(list, 'attention', cin, h, w);
    return { blocks, channels: cin, height: h, width: w };
  });
  const dense = list.add('dense', [cin, 1], cin, 1);
  return { stem, stages, attention: attention as AttentionBlock | null, dense };
}

export function basicResNetLayout(spec: BasicResNetSpec): ConvLayout {
  const list = new SlotList();
  const { stem, stages, attention, dense } = plan(spec, list);
  const act = <T>(ops: TensorOps<T>, t: T): T => activation(ops, t, spec.activation);
  const conv = <T>(ops: TensorOps<T>, h: T, ws: T[], at: number, stride: number, pad: number): T => ops.conv2d(h, ws[at], null, stride, pad);
  return {
    slots: list.slots,
    forward(ops, x, ws) {
      let h = act(ops, conv(ops, ops.toImage(x, spec.image), ws, stem, 1, 1));
      stages.forEach((stage, s) => {
        for (const b of stage.blocks) {
          const r = conv(ops, act(ops, conv(ops, h, ws, b.conv1, b.stride, 1)), ws, b.conv2, 1, 1);
          const shortcut = b.shortcut >= 0 ? conv(ops, h, ws, b.shortcut, b.stride, 0) : h;
          h = act(ops, ops.add(r, shortcut));
        }
        if (attention && spec.attentionAfter === s + 1) h = selfAttention(ops, h, ws, attention);
      });
      return ops.dense(ops.spatialMean(h), ws[dense], ws[dense + 1]);
    },
  };
}

/** Activation values of one image's forward pass (every layer output), for memory planning. */
export function basicResNetActivationFloats(spec: BasicResNetSpec): number {
  const { height, width, channels } = spec.image;
  let total = height * width * (channels + 2 * spec.stem);
  const { stages, attention } = plan(spec, new SlotList());
  for (const stage of stages) {
    // per block: two convs, an activation, the shortcut, the sum and its activation
    total += stage.blocks.length * 6 * stage.height * stage.width * stage.channels;
  }
  if (attention) total += attentionActivationFloats(stages[spec.attentionAfter! - 1].channels, attention.height, attention.width);
  return total;
}
