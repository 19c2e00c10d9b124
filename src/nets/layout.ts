/**
 * How a conv net is described for every engine: its weights as named slots (shape, fan-in for
 * the initial scale) and a forward pass over them written against TensorOps.
 */
import type { TensorOps } from '../engine/tensor-ops.js';

/** One weight tensor of a net: its name (without the net prefix), shape and fan-in (for its initial scale). */
export interface ParamSlot {
  name: string;
  shape: number[];
  fanIn: number;
  /** 'zero': starts at 0 (a residual gate); otherwise U(±1/√fanIn). */
  init?: 'zero';
}

/**
 * A conv net's weights (in order) and its forward pass over them, written once for every
 * engine: x [n, H·W·C] → [n, 1].
 */
export interface ConvLayout {
  slots: ParamSlot[];
  forward<T>(ops: TensorOps<T>, x: T, ws: T[]): T;
}

/** Weight slots in the order a layout reads them; each method returns the index of what it added. */
export class SlotList {
  readonly slots: ParamSlot[] = [];

  /** Kernel + bias; returns the kernel's index (the bias follows it). */
  add(name: string, kernelShape: number[], fanIn: number, biasSize: number): number {
    const index = this.slots.length;
    this.slots.push({ name: `${name}/kernel`, shape: kernelShape, fanIn }, { name: `${name}/bias`, shape: [biasSize], fanIn });
    return index;
  }

  /** A k×k conv kernel [k, k, cin, cout] and its bias. */
  conv(name: string, kernel: number, cin: number, cout: number): number {
    return this.add(name, [kernel, kernel, cin, cout], kernel * kernel * cin, cout);
  }

  /** A k×k conv kernel without a bias. */
  convNoBias(name: string, kernel: number, cin: number, cout: number): number {
    this.slots.push({ name: `${name}/kernel`, shape: [kernel, kernel, cin, cout], fanIn: kernel * kernel * cin });
    return this.slots.length - 1;
  }

  /** A weight that starts at zero (not a kernel: never spectrally normalised). */
  zero(name: string, shape: number[]): number {
    this.slots.push({ name, shape, fanIn: 1, init: 'zero' });
    return this.slots.length - 1;
  }
}
