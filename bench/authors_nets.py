"""Export the authors' ratio nets (clear-nus/fdrl src/models.py) with random
weights, a random input batch, its outputs and the input gradient of their sum,
for bench/authors-nets.ts to compare with our `basic-resnet` (float64, no
spectral norm, attention gate gamma set to 0.7 so the attention block counts).

    /usr/bin/python3 bench/authors_nets.py --fdrl PATH/TO/fdrl --out DIR

Writes DIR/cases.json (per case: config, tensor names, shapes and offsets) and
DIR/data.bin (all values, float64 little-endian).
"""
import argparse
import json
import os
import sys

import torch

CASES = [(32, 'resnet', True), (64, 'resnet', False), (64, 'resnetshallow', True), (128, 'resnet', False)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--fdrl', required=True, help='a checkout of github.com/clear-nus/fdrl')
    p.add_argument('--out', required=True)
    a = p.parse_args()
    sys.path.insert(0, a.fdrl)
    from src.models import get_model
    torch.manual_seed(0)
    os.makedirs(a.out, exist_ok=True)
    cases, chunks, offset = [], [], 0

    def put(t):
        nonlocal offset
        flat = t.detach().double().flatten().contiguous()
        chunks.append(flat.numpy().astype('<f8').tobytes())
        entry = {'shape': list(t.shape), 'offset': offset}
        offset += flat.numel()
        return entry

    for size, model, attention in CASES:
        m = get_model({'img_size': size, 'model': model, 'self_attn': attention, 'spectral_norm': False}).double()
        if attention:
            m.self_attn_module.gamma.data.fill_(0.7)
        x = (torch.rand(2, 3, size, size, dtype=torch.float64) * 2 - 1).requires_grad_(True)
        y = m(x)
        (g,) = torch.autograd.grad(y.sum(), x)
        cases.append({'size': size, 'model': model, 'self_attn': attention,
                      'params': {k: put(v) for k, v in m.state_dict().items()},
                      'x': put(x), 'y': put(y), 'grad': put(g)})
    with open(os.path.join(a.out, 'data.bin'), 'wb') as f:
        for c in chunks:
            f.write(c)
    with open(os.path.join(a.out, 'cases.json'), 'w') as f:
        json.dump(cases, f)
    print(f'{len(cases)} cases, {offset} values')


if __name__ == '__main__':
    main()
