/**
 * The digits of float8out. PostgreSQL prints the shortest decimal that reads
 * back as the same double, as JavaScript does, with one difference: its Ryu
 * is built with STRICTLY_SHORTEST 0, so the digits must lie strictly inside
 * the double's rounding interval, never on its bound. JavaScript accepts a
 * bound when round-half-even reads it back: for the double
 * 2247343195034736128 it prints 2.247343195034736e+18, exactly halfway to
 * the next double, where PostgreSQL prints 2.2473431950347361e+18. The
 * loader's text must be the server's byte for byte (validation hashes both),
 * so such values take the next longer digits, computed exactly here.
 */

/** Below 2^53 a bound always has more digits than the double itself, so it is never the shortest. */
const FIRST_AMBIGUOUS = 2 ** 53;
const view = new DataView(new ArrayBuffer(8));

/** A positive finite double as significand × 2^exponent, and whether the gap below it is half the gap above (a power of two). */
function exactParts(abs: number): { significand: bigint; exponent: number; narrowBelow: boolean } {
  view.setFloat64(0, abs);
  const high = view.getUint32(0);
  const biased = high >>> 20;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased === 0) return { significand: fraction, exponent: -1074, narrowBelow: false };
  return { significand: fraction | (1n << 52n), exponent: biased - 1075, narrowBelow: fraction === 0n && biased > 1 };
}

/** A finite double's exact value as numerator / denominator (a power of two). */
export function exactFraction(n: number): { numerator: bigint; denominator: bigint } {
  const { significand, exponent } = exactParts(Math.abs(n));
  const signed = n < 0 || Object.is(n, -0) ? -significand : significand;
  return exponent >= 0
    ? { numerator: signed << BigInt(exponent), denominator: 1n }
    : { numerator: signed, denominator: 1n << BigInt(-exponent) };
}

/** A finite double's exact value in decimal digits (every double is a finite decimal): 0.1 is 0.1000000000000000055511151231257827... */
export function exactDecimalText(n: number): string {
  const { numerator, denominator } = exactFraction(n);
  const places = denominator.toString(2).length - 1;
  // numerator / 2^k = numerator * 5^k / 10^k
  const digits = ((numerator < 0n ? -numerator : numerator) * 5n ** BigInt(places)).toString().padStart(places + 1, "0");
  const sign = numerator < 0n ? "-" : "";
  const fraction = places === 0 ? "" : digits.slice(-places).replace(/0+$/, "");
  return `${sign}${places === 0 ? digits : digits.slice(0, -places)}${fraction ? `.${fraction}` : ""}`;
}

/**
 * The value, and its distances to the two bounds of its rounding interval,
 * as integers over a common denominator: in units of 2^(exponent - 2) the
 * value is 4 × significand, the upper bound 2 away, the lower 2 (or 1).
 */
function scaled(abs: number): { r: bigint; s: bigint; up: bigint; down: bigint } {
  const { significand, exponent, narrowBelow } = exactParts(abs);
  const shift = exponent - 2;
  const unit = shift >= 0 ? 1n << BigInt(shift) : 1n;
  return {
    r: 4n * significand * unit,
    s: shift >= 0 ? 1n : 1n << BigInt(-shift),
    up: 2n * unit,
    down: (narrowBelow ? 1n : 2n) * unit,
  };
}

/** Whether digits × 10^power lies exactly on a bound of the rounding interval of abs. */
function onBound(abs: number, digits: string, power: number): boolean {
  const { r, s, up, down } = scaled(abs);
  const decimal = BigInt(digits) * 10n ** BigInt(Math.max(power, 0));
  const denominator = 10n ** BigInt(Math.max(-power, 0));
  // decimal / denominator == (r ± gap) / s
  return decimal * s === (r + up) * denominator || decimal * s === (r - down) * denominator;
}

/**
 * Shortest digits strictly inside the rounding interval, closest to the
 * value, exact ties to even (Burger and Dybvig's free-format digits with
 * exclusive bounds), and the decimal exponent of the first digit.
 */
function strictShortest(abs: number): { digits: string; exponent: number } {
  let { r, s, up, down } = scaled(abs);
  let k = Math.floor(Math.log10(abs)) + 1;
  if (k >= 0) s *= 10n ** BigInt(k);
  else {
    const f = 10n ** BigInt(-k);
    [r, up, down] = [r * f, up * f, down * f];
  }
  // Settle k so that the first digit generated is the leading one.
  while (r + up > s) [s, k] = [s * 10n, k + 1];
  while ((r + up) * 10n <= s) [r, up, down, k] = [r * 10n, up * 10n, down * 10n, k - 1];
  const digits: number[] = [];
  for (;;) {
    [r, up, down] = [r * 10n, up * 10n, down * 10n];
    let digit = Number(r / s);
    r %= s;
    const low = r < down;
    const high = r + up > s;
    if (!low && !high) {
      digits.push(digit);
      continue;
    }
    if (high && (!low || 2n * r > s || (2n * r === s && digit % 2 === 1))) digit++;
    digits.push(digit);
    break;
  }
  for (let i = digits.length - 1; i > 0 && digits[i] === 10; i--) [digits[i], digits[i - 1]] = [0, digits[i - 1] + 1];
  if (digits[0] === 10) [digits[0], k] = [1, k + 1];
  return { digits: digits.join("").replace(/0+$/, "") || "0", exponent: k - 1 };
}

/**
 * The significant digits and decimal exponent PostgreSQL's float8out prints
 * for a positive finite double: d1d2d3... meaning d1.d2d3... × 10^exponent.
 */
export function float8Digits(abs: number): { digits: string; exponent: number } {
  const [mantissa, exponentText] = abs.toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exponent = Number(exponentText);
  if (abs < FIRST_AMBIGUOUS || !onBound(abs, digits, exponent - digits.length + 1)) return { digits, exponent };
  return strictShortest(abs);
}
