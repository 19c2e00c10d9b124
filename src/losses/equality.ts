/**
 * Each ratio loss's value where the particles match the data (q = p, so r = 1 and log r = 0
 * everywhere): the level a training curve hovers at when the net can no longer tell particles
 * from data. Kept apart from ./index.ts (no engine import) so the browser page can draw it.
 *
 *   LSIF  ½·E_p[r²] − E_q[r]            = ½ − 1    = −0.5
 *   LR    E_p[softplus s] + E_q[softplus −s] = 2 log 2 ≈ 1.386
 *   KL    E_p[exp s] − E_q[s]            = 1 − 0    = 1
 */
export const LOSS_AT_EQUALITY = { lsif: -0.5, lr: 2 * Math.LN2, kl: 1 } as const;
