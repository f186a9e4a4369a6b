/**
 * erfc(x) to about 1e-15 relative: W. J. Cody's rational approximations (1969), as in most C libraries' erfc.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  let r: number;
  if (ax < 0.46875) return 1 - erfSmall(x);
  if (ax < 4) r = Math.exp(-ax * ax) * ratio(ax, ERFC_MID_P, ERFC_MID_Q);
  else if (ax < 27) {
    const z = 1 / (ax * ax);
    r = (Math.exp(-ax * ax) / ax) * (1 / Math.sqrt(Math.PI) + z * ratio(z, ERFC_BIG_P, ERFC_BIG_Q));
  } else r = 0;
  return x < 0 ? 2 - r : r;
}

function erfSmall(x: number): number {
  const z = x * x;
  return x * ratio(z, ERF_P, ERF_Q);
}

/** p(x) / q(x) for coefficient arrays highest degree last, q monic-less (full coefficients). */
function ratio(x: number, p: readonly number[], q: readonly number[]): number {
  let num = 0;
  let den = 0;
  for (let i = p.length - 1; i >= 0; i--) num = num * x + p[i]!;
  for (let i = q.length - 1; i >= 0; i--) den = den * x + q[i]!;
  return num / den;
}

const ERF_P = [3209.3775891384694, 377.485237685302, 113.86415415105016, 3.1611237438705655, 0.18577770618460315];
const ERF_Q = [2844.236833439171, 1282.6165260773723, 244.02463793444417, 23.601290952344122, 1];
const ERFC_MID_P = [1230.3393547979972, 2051.0783778260716, 1712.0476126340707, 881.952221241769, 298.6351381974001,
  66.11919063714163, 8.883149794388377, 0.5641884969886701, 2.1531153547440383e-8];
const ERFC_MID_Q = [1230.3393548037495, 3439.3676741437216, 4362.619090143247, 3290.7992357334597, 1621.3895745666903,
  537.1811018620099, 117.6939508913125, 15.744926110709835, 1];
const ERFC_BIG_P = [-0.0006587491615298378, -0.016083785148742275, -0.12578172611122926, -0.36034489994980445,
  -0.30532663496123236, -0.016315387137302097];
const ERFC_BIG_Q = [0.0023352049762686918, 0.06051834131244132, 0.5279051029514285, 1.8729528499234673,
  2.568520192289822, 1];

/**
 * The standard normal quantile Phi^-1(p) for p in (0, 1): Acklam's rational approximation refined by one Halley
 * step on erfc, about 1e-15 relative.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = tail(q);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
      (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  } else x = -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

function tail(q: number): number {
  return (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
    ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
}

const A = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
