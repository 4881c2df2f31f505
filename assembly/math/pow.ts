// pow(x, y) = x^y in float64, scalar and f64x2, bit-identical to each other, with
// ECMAScript's Math.pow special cases (Number::exponentiate).
//
// Design: ARM optimized-routines' pow (Szabolcs Nagy, 2018; also musl's and the one behind
// AssemblyScript's NativeMath.pow, which this kernel replaces), written here
// in its non-FMA arrangement: x^y = exp(y·log x) with log x carried as a double-double
// (hi + lo, ~68 good bits) and y·log x split into ehi + elo, the exp taking elo as a
// correction to its reduced argument. With |y·log x| < 1024 an error of 2^-68 in log x costs
// at most 2^-58 relative in the result, so the result is the exact x^y rounded once more:
// within 0.52 ulp by the authors' analysis; test/kernels/pow.test.ts measures 0.501 against a
// 160-bit reference.
//
// log: x = 2^k·z with z in [0x1.69555p-1, 0x1.69555p0) (OFF below), split into 128
// subintervals by the top 7 mantissa bits of bits(x) − OFF. Per subinterval c has 1/c with
// 8 significant bits, so r = z/c − 1 = z·invc − 1 is an exact double; log(c) is stored as
// logc (a multiple of 2^-43, so k·ln2hi + logc is exact) plus logctail. log1p(r) = r − r²/2 +
// r³·P(r), P of degree 5 fitted on |r| ≤ 0.00575. Without FMA, r·r is made exact by splitting
// z at 21 bits (rhi = zhi·invc − 1 has ≤ 21 bits; rlo = zlo·invc is exact).
// The table and polynomial are computed by scripts/pow-tables.py (mpmath, 300 bits), which
// prints their error; ln2hi/ln2lo equal the optimized-routines values.
//
// exp: the table-driven exp of ./exp.ts (same table and polynomial), with elo added to the
// reduced argument r.
//
// The kernel runs a row a tile at a time in two passes (y·log|x| into a buffer, then exp),
// vector or scalar; an entry whose |x| is not normal and finite or whose |y·log|x|| exceeds
// EXP_FAST goes through powScalar, and a negative base only has its sign applied (NaN for a
// non-integer y). powScalar computes the same IEEE operations in the same order for every
// entry the passes take, so results never depend on the path, build or position.
import {
  C2, C3, C4, C5, EXP_FAST, EXP_TABLE, INVLN2N, NEGLN2HIN, NEGLN2LON, SHIFT,
} from "./exp";

/** Bit pattern of 0x1.69555p-1: the reduced z starts here. */
// @ts-ignore: decorator
@lazy const OFF: u64 = 0x3FE6955500000000;
// @ts-ignore: decorator
@lazy const LN2HI = reinterpret<f64>(0x3FE62E42FEFA3800); // ln2 rounded to a multiple of 2^-42
// @ts-ignore: decorator
@lazy const LN2LO = reinterpret<f64>(0x3D2EF35793C76730); // ln2 − LN2HI
// log1p(r) = r − r²/2 + p, p = ar3·((A1 + r·A2) + ar2·(A3 + r·A4) + ar2²·(A5 + r·A6)) with
// ar2 = −r²/2, ar3 = −r³/2: the coefficients of r³…r⁸ scaled by −2, −2, 4, 4, −8, −8
// (scripts/pow-tables.py; relative error of the polynomial 2^-67.9).
// @ts-ignore: decorator
@lazy const A1 = reinterpret<f64>(0xBFE5555555555558); // -0x1.5555555555558p-1
// @ts-ignore: decorator
@lazy const A2 = reinterpret<f64>(0x3FE0000000000002); // 0x1.0000000000002p-1
// @ts-ignore: decorator
@lazy const A3 = reinterpret<f64>(0x3FE9999999743984); // 0x1.9999999743984p-1
// @ts-ignore: decorator
@lazy const A4 = reinterpret<f64>(0xBFE555555533B20D); // -0x1.555555533b20dp-1
// @ts-ignore: decorator
@lazy const A5 = reinterpret<f64>(0xBFF24952AEE09901); // -0x1.24952aee09901p+0
// @ts-ignore: decorator
@lazy const A6 = reinterpret<f64>(0x3FF0002980237037); // 0x1.0002980237037p+0
/**
 * Entry i (32 bytes): [invc, logc, logctail, 0] (scripts/pow-tables.py): 1/c with 8 significant
 * bits, log(c) rounded to a multiple of 2^-43, and the rest of log(c).
 */
const POW_LOG_TABLE: usize = memory.data<u64>([
  0x3FF6A00000000000, 0xBFD62C82F2B9C800, 0x3CFAB42428375680, 0,
  0x3FF6800000000000, 0xBFD5D1BDBF580800, 0xBD1CA508D8E0F720, 0,
  0x3FF6600000000000, 0xBFD5767717455800, 0xBD2362A4D5B6506D, 0,
  0x3FF6400000000000, 0xBFD51AAD872DF800, 0xBCE684E49EB067D5, 0,
  0x3FF6200000000000, 0xBFD4BE5F95777800, 0xBD041B6993293EE0, 0,
  0x3FF6000000000000, 0xBFD4618BC21C6000, 0x3D13D82F484C84CC, 0,
  0x3FF5E00000000000, 0xBFD404308686A800, 0x3CDC42F3ED820B3A, 0,
  0x3FF5C00000000000, 0xBFD3A64C55694800, 0x3D20B1C686519460, 0,
  0x3FF5A00000000000, 0xBFD347DD9A988000, 0x3D25594DD4C58092, 0,
  0x3FF5800000000000, 0xBFD2E8E2BAE12000, 0x3D267B1E99B72BD8, 0,
  0x3FF5600000000000, 0xBFD2895A13DE8800, 0x3D15CA14B6CFB03F, 0,
  0x3FF5600000000000, 0xBFD2895A13DE8800, 0x3D15CA14B6CFB03F, 0,
  0x3FF5400000000000, 0xBFD22941FBCF7800, 0xBD165A242853DA76, 0,
  0x3FF5200000000000, 0xBFD1C898C1699800, 0xBD1FAFBC68E75404, 0,
  0x3FF5000000000000, 0xBFD1675CABABA800, 0x3D1F1FC63382A8F0, 0,
  0x3FF4E00000000000, 0xBFD1058BF9AE4800, 0xBD26A8C4FD055A66, 0,
  0x3FF4C00000000000, 0xBFD0A324E2739000, 0xBD0C6BEE7EF4030E, 0,
  0x3FF4A00000000000, 0xBFD0402594B4D000, 0xBCF036B89EF42D7F, 0,
  0x3FF4A00000000000, 0xBFD0402594B4D000, 0xBCF036B89EF42D7F, 0,
  0x3FF4800000000000, 0xBFCFB9186D5E4000, 0x3D0D572AAB993C87, 0,
  0x3FF4600000000000, 0xBFCEF0ADCBDC6000, 0x3D2B26B79C86AF24, 0,
  0x3FF4400000000000, 0xBFCE27076E2AF000, 0xBD172F4F543FFF10, 0,
  0x3FF4200000000000, 0xBFCD5C216B4FC000, 0x3D21BA91BBCA681B, 0,
  0x3FF4000000000000, 0xBFCC8FF7C79AA000, 0x3D27794F689F8434, 0,
  0x3FF4000000000000, 0xBFCC8FF7C79AA000, 0x3D27794F689F8434, 0,
  0x3FF3E00000000000, 0xBFCBC286742D9000, 0x3D194EB0318BB78F, 0,
  0x3FF3C00000000000, 0xBFCAF3C94E80C000, 0x3CBA4E633FCD9066, 0,
  0x3FF3A00000000000, 0xBFCA23BC1FE2B000, 0xBD258C64DC46C1EA, 0,
  0x3FF3A00000000000, 0xBFCA23BC1FE2B000, 0xBD258C64DC46C1EA, 0,
  0x3FF3800000000000, 0xBFC9525A9CF45000, 0xBD2AD1D904C1D4E3, 0,
  0x3FF3600000000000, 0xBFC87FA06520D000, 0x3D2BBDBF7FDBFA09, 0,
  0x3FF3400000000000, 0xBFC7AB890210E000, 0x3D2BDB9072534A58, 0,
  0x3FF3400000000000, 0xBFC7AB890210E000, 0x3D2BDB9072534A58, 0,
  0x3FF3200000000000, 0xBFC6D60FE719D000, 0xBD10E46AA3B2E266, 0,
  0x3FF3000000000000, 0xBFC5FF3070A79000, 0xBD1E9E439F105039, 0,
  0x3FF3000000000000, 0xBFC5FF3070A79000, 0xBD1E9E439F105039, 0,
  0x3FF2E00000000000, 0xBFC526E5E3A1B000, 0xBD20DE8B90075B8F, 0,
  0x3FF2C00000000000, 0xBFC44D2B6CCB8000, 0x3D170CC16135783C, 0,
  0x3FF2C00000000000, 0xBFC44D2B6CCB8000, 0x3D170CC16135783C, 0,
  0x3FF2A00000000000, 0xBFC371FC201E9000, 0x3CF178864D27543A, 0,
  0x3FF2800000000000, 0xBFC29552F81FF000, 0xBD248D301771C408, 0,
  0x3FF2600000000000, 0xBFC1B72AD52F6000, 0xBD2E80A41811A396, 0,
  0x3FF2600000000000, 0xBFC1B72AD52F6000, 0xBD2E80A41811A396, 0,
  0x3FF2400000000000, 0xBFC0D77E7CD09000, 0x3D0A699688E85BF4, 0,
  0x3FF2400000000000, 0xBFC0D77E7CD09000, 0x3D0A699688E85BF4, 0,
  0x3FF2200000000000, 0xBFBFEC9131DBE000, 0xBD2575545CA333F2, 0,
  0x3FF2000000000000, 0xBFBE27076E2B0000, 0x3D2A342C2AF0003C, 0,
  0x3FF2000000000000, 0xBFBE27076E2B0000, 0x3D2A342C2AF0003C, 0,
  0x3FF1E00000000000, 0xBFBC5E548F5BC000, 0xBD1D0C57585FBE06, 0,
  0x3FF1C00000000000, 0xBFBA926D3A4AE000, 0x3D253935E85BAAC8, 0,
  0x3FF1C00000000000, 0xBFBA926D3A4AE000, 0x3D253935E85BAAC8, 0,
  0x3FF1A00000000000, 0xBFB8C345D631A000, 0x3D137C294D2F5668, 0,
  0x3FF1A00000000000, 0xBFB8C345D631A000, 0x3D137C294D2F5668, 0,
  0x3FF1800000000000, 0xBFB6F0D28AE56000, 0xBD269737C93373DA, 0,
  0x3FF1600000000000, 0xBFB51B073F062000, 0x3D1F025B61C65E57, 0,
  0x3FF1600000000000, 0xBFB51B073F062000, 0x3D1F025B61C65E57, 0,
  0x3FF1400000000000, 0xBFB341D7961BE000, 0x3D2C5EDACCF913DF, 0,
  0x3FF1400000000000, 0xBFB341D7961BE000, 0x3D2C5EDACCF913DF, 0,
  0x3FF1200000000000, 0xBFB16536EEA38000, 0x3D147C5E768FA309, 0,
  0x3FF1000000000000, 0xBFAF0A30C0118000, 0x3D2D599E83368E91, 0,
  0x3FF1000000000000, 0xBFAF0A30C0118000, 0x3D2D599E83368E91, 0,
  0x3FF0E00000000000, 0xBFAB42DD71198000, 0x3D1C827AE5D6704C, 0,
  0x3FF0E00000000000, 0xBFAB42DD71198000, 0x3D1C827AE5D6704C, 0,
  0x3FF0C00000000000, 0xBFA77458F632C000, 0xBD2CFC4634F2A1EE, 0,
  0x3FF0C00000000000, 0xBFA77458F632C000, 0xBD2CFC4634F2A1EE, 0,
  0x3FF0A00000000000, 0xBFA39E87B9FEC000, 0x3CF502B7F526FEAA, 0,
  0x3FF0A00000000000, 0xBFA39E87B9FEC000, 0x3CF502B7F526FEAA, 0,
  0x3FF0800000000000, 0xBF9F829B0E780000, 0xBD2980267C7E09E4, 0,
  0x3FF0800000000000, 0xBF9F829B0E780000, 0xBD2980267C7E09E4, 0,
  0x3FF0600000000000, 0xBF97B91B07D58000, 0xBD288D5493FAA639, 0,
  0x3FF0400000000000, 0xBF8FC0A8B0FC0000, 0xBCDF1E7CF6D3A69C, 0,
  0x3FF0400000000000, 0xBF8FC0A8B0FC0000, 0xBCDF1E7CF6D3A69C, 0,
  0x3FF0200000000000, 0xBF7FE02A6B100000, 0xBD19E23F0DDA40E4, 0,
  0x3FF0200000000000, 0xBF7FE02A6B100000, 0xBD19E23F0DDA40E4, 0,
  0x3FF0000000000000, 0, 0, 0,
  0x3FF0000000000000, 0, 0, 0,
  0x3FEFC00000000000, 0x3F80101575890000, 0xBD10C76B999D2BE8, 0,
  0x3FEF800000000000, 0x3F90205658938000, 0xBD23DC5B06E2F7D2, 0,
  0x3FEF400000000000, 0x3F98492528C90000, 0xBD2AA0BA325A0C34, 0,
  0x3FEF000000000000, 0x3FA0415D89E74000, 0x3D0111C05CF1D753, 0,
  0x3FEEC00000000000, 0x3FA466AED42E0000, 0xBD2C167375BDFD28, 0,
  0x3FEE800000000000, 0x3FA894AA149FC000, 0xBD197995D05A267D, 0,
  0x3FEE400000000000, 0x3FACCB73CDDDC000, 0xBD1A68F247D82807, 0,
  0x3FEE200000000000, 0x3FAEEA31C006C000, 0xBD0E113E4FC93B7B, 0,
  0x3FEDE00000000000, 0x3FB1973BD1466000, 0xBD25325D560D9E9B, 0,
  0x3FEDA00000000000, 0x3FB3BDF5A7D1E000, 0x3D2CC85EA5DB4ED7, 0,
  0x3FED600000000000, 0x3FB5E95A4D97A000, 0xBD2C69063C5D1D1E, 0,
  0x3FED400000000000, 0x3FB700D30AEAC000, 0x3CEC1E8DA99DED32, 0,
  0x3FED000000000000, 0x3FB9335E5D594000, 0x3D23115C3ABD47DA, 0,
  0x3FECC00000000000, 0x3FBB6AC88DAD6000, 0xBD1390802BF768E5, 0,
  0x3FECA00000000000, 0x3FBC885801BC4000, 0x3D2646D1C65AACD3, 0,
  0x3FEC600000000000, 0x3FBEC739830A2000, 0xBD2DC068AFE645E0, 0,
  0x3FEC400000000000, 0x3FBFE89139DBE000, 0xBD2534D64FA10AFD, 0,
  0x3FEC000000000000, 0x3FC1178E8227E000, 0x3D21EF78CE2D07F2, 0,
  0x3FEBE00000000000, 0x3FC1AA2B7E23F000, 0x3D2CA78E44389934, 0,
  0x3FEBA00000000000, 0x3FC2D1610C868000, 0x3D039D6CCB81B4A1, 0,
  0x3FEB800000000000, 0x3FC365FCB0159000, 0x3CC62FA8234B7289, 0,
  0x3FEB400000000000, 0x3FC4913D8333B000, 0x3D25837954FDB678, 0,
  0x3FEB200000000000, 0x3FC527E5E4A1B000, 0x3D2633E8E5697DC7, 0,
  0x3FEAE00000000000, 0x3FC6574EBE8C1000, 0x3D19CF8B2C3C2E78, 0,
  0x3FEAC00000000000, 0x3FC6F0128B757000, 0xBD25118DE59C21E1, 0,
  0x3FEAA00000000000, 0x3FC7898D85445000, 0xBD1C661070914305, 0,
  0x3FEA600000000000, 0x3FC8BEAFEB390000, 0xBD073D54AAE92CD1, 0,
  0x3FEA400000000000, 0x3FC95A5ADCF70000, 0x3D07F22858A0FF6F, 0,
  0x3FEA000000000000, 0x3FCA93ED3C8AE000, 0xBD28724350562169, 0,
  0x3FE9E00000000000, 0x3FCB31D8575BD000, 0xBD0C358D4EACE1AA, 0,
  0x3FE9C00000000000, 0x3FCBD087383BE000, 0xBD2D4BC4595412B6, 0,
  0x3FE9A00000000000, 0x3FCC6FFBC6F01000, 0xBCF1EC72C5962BD2, 0,
  0x3FE9600000000000, 0x3FCDB13DB0D49000, 0xBD2AFF2AF715B035, 0,
  0x3FE9400000000000, 0x3FCE530EFFE71000, 0x3CC212276041F430, 0,
  0x3FE9200000000000, 0x3FCEF5ADE4DD0000, 0xBCCA211565BB8E11, 0,
  0x3FE9000000000000, 0x3FCF991C6CB3B000, 0x3D1BCBECCA0CDF30, 0,
  0x3FE8C00000000000, 0x3FD07138604D5800, 0x3CF89CDB16ED4E91, 0,
  0x3FE8A00000000000, 0x3FD0C42D67616000, 0x3D27188B163CEAE9, 0,
  0x3FE8800000000000, 0x3FD1178E8227E800, 0xBD2C210E63A5F01C, 0,
  0x3FE8600000000000, 0x3FD16B5CCBACF800, 0x3D2B9ACDF7A51681, 0,
  0x3FE8400000000000, 0x3FD1BF99635A6800, 0x3D2CA6ED5147BDB7, 0,
  0x3FE8200000000000, 0x3FD214456D0EB800, 0x3D0A87DEBA46BAEA, 0,
  0x3FE7E00000000000, 0x3FD2BEF07CDC9000, 0x3D2A9CFA4A5004F4, 0,
  0x3FE7C00000000000, 0x3FD314F1E1D36000, 0xBD28E27AD3213CB8, 0,
  0x3FE7A00000000000, 0x3FD36B6776BE1000, 0x3D116ECDB0F177C8, 0,
  0x3FE7800000000000, 0x3FD3C25277333000, 0x3D183B54B606BD5C, 0,
  0x3FE7600000000000, 0x3FD419B423D5E800, 0x3D08E436EC90E09D, 0,
  0x3FE7400000000000, 0x3FD4718DC271C800, 0xBD2F27CE0967D675, 0,
  0x3FE7200000000000, 0x3FD4C9E09E173000, 0xBD2E20891B0AD8A4, 0,
  0x3FE7000000000000, 0x3FD522AE0738A000, 0x3D2EBE708164C759, 0,
  0x3FE6E00000000000, 0x3FD57BF753C8D000, 0x3D1FADEDEE5D40EF, 0,
  0x3FE6C00000000000, 0x3FD5D5BDDF596000, 0xBD0A0B2A08A465DC, 0
], 16);

// @ts-ignore: decorator
@lazy const ABS: u64 = 0x7FFFFFFFFFFFFFFF;
// @ts-ignore: decorator
@lazy const MIN_NORMAL = reinterpret<f64>(0x0010000000000000);
/** Keeps the top 26 significant bits of a double: a product of two such is exact. */
// @ts-ignore: decorator
@lazy const HI26: u64 = 0xFFFFFFFFF8000000;
/** Keeps the top 21 significant bits (the high word) after rounding at bit 31. */
// @ts-ignore: decorator
@lazy const HI21: u64 = 0xFFFFFFFF00000000;
// @ts-ignore: decorator
@lazy const ROUND31: u64 = 0x0000000080000000;
// @ts-ignore: decorator
@lazy const EXP_MASK: u64 = 0xFFF0000000000000;

/** Entry i of the log table. */
// @ts-ignore: decorator
@inline function logEntry(tmp: u64): usize {
  return POW_LOG_TABLE + (<usize>((tmp >> 45) & 127) << 5);
}

/** k as f64 from a small signed integer, without an int→float conversion (as in ./log.ts). */
// @ts-ignore: decorator
@inline function kToF64(k: i64): f64 {
  return reinterpret<f64>(reinterpret<u64>(SHIFT) + <u64>k) - SHIFT;
}

/** Whether y is an integer (±Inf counts as even) and whether it is odd. */
// @ts-ignore: decorator
@inline function isInt(y: f64): bool {
  return Math.trunc(y) == y;
}
// @ts-ignore: decorator
@inline function isOdd(y: f64): bool {
  const h = y * 0.5;
  return Math.trunc(y) == y && Math.trunc(h) != h;
}

/**
 * y·log|x| as ehi + elo, stored at out and out + 8, for ix = bits(|x|) of a normal |x| (or a
 * subnormal one pre-scaled by 2^52 with 52 taken off its exponent field, which the integer
 * reduction handles alike).
 */
// @ts-ignore: decorator
@inline function logDD(ix: u64, y: f64, out: usize): void {
  // ---- log |x| = hi + lo ----
  const tmp = ix - OFF;
  const e = logEntry(tmp);
  const invc = load<f64>(e), logc = load<f64>(e, 8), logctail = load<f64>(e, 16);
  const kd = kToF64(<i64>tmp >> 52);
  const iz = ix - (tmp & EXP_MASK);
  const z = reinterpret<f64>(iz);
  const zhi = reinterpret<f64>((iz + ROUND31) & HI21);
  const zlo = z - zhi;
  const rhi = zhi * invc - 1.0;
  const rlo = zlo * invc;
  const r = rhi + rlo;
  const t1 = kd * LN2HI + logc;
  const t2 = t1 + r;
  const lo1 = kd * LN2LO + logctail;
  const lo2 = t1 - t2 + r;
  const ar = -0.5 * r;
  const ar2 = r * ar;
  const ar3 = r * ar2;
  const arhi = -0.5 * rhi;
  const arhi2 = rhi * arhi;
  const hi = t2 + arhi2;
  const lo3 = rlo * (ar + arhi);
  const lo4 = t2 - hi + arhi2;
  const ar4 = ar2 * ar2;
  const p = ar3 * ((A1 + r * A2) + ar2 * (A3 + r * A4) + ar4 * (A5 + r * A6));
  const lo = lo1 + lo2 + lo3 + lo4 + p;
  const lh = hi + lo;
  const lt = hi - lh + lo;
  // ---- y·log |x| = ehi + elo ----
  const yhi = reinterpret<f64>(reinterpret<u64>(y) & HI26);
  const ylo = y - yhi;
  const lhi = reinterpret<f64>(reinterpret<u64>(lh) & HI26);
  const llo = lh - lhi + lt;
  store<f64>(out, yhi * lhi);
  store<f64>(out, ylo * lhi + y * llo, 8);
}

/**
 * ./exp.ts's reduction of ehi + elo with kde = ehi·N/ln2 + SHIFT (elo added to the reduced
 * argument): the polynomial part et, with exp(ehi + elo) = scale·(1 + et) for
 * scale = {@link expDDScaleBits} as a double.
 */
// @ts-ignore: decorator
@inline function expDDPoly(ehi: f64, elo: f64, kde: f64): f64 {
  const ee = EXP_TABLE + ((<usize>reinterpret<u64>(kde) & 127) << 4);
  const ke = kde - SHIFT;
  const re = ehi + ke * NEGLN2HIN + ke * NEGLN2LON + elo;
  const re2 = re * re;
  return load<f64>(ee) + re + re2 * (C2 + re * C3) + re2 * re2 * (C4 + re * C5);
}

/** The bits of exp's scale 2^(k/N) for kde as in {@link expDDPoly}. */
// @ts-ignore: decorator
@inline function expDDScaleBits(kde: f64): u64 {
  return load<u64>(EXP_TABLE + ((<usize>reinterpret<u64>(kde) & 127) << 4), 8) + (reinterpret<u64>(kde) << 45);
}

/** exp(ehi + elo) for |ehi| ≤ EXP_FAST. */
// @ts-ignore: decorator
@inline function expDDFast(ehi: f64, elo: f64): f64 {
  const kde = ehi * INVLN2N + SHIFT;
  const et = expDDPoly(ehi, elo, kde);
  const scale = reinterpret<f64>(expDDScaleBits(kde));
  return scale + scale * et;
}

/** Scratch for powMag's ehi and elo. */
let DD_AT: usize = memory.data(16, 16);

/** |x|^y for ix as in {@link logDD}, y finite. */
function powMag(ix: u64, y: f64): f64 {
  const DD = DD_AT;
  logDD(ix, y, DD);
  const ehi = load<f64>(DD), elo = load<f64>(DD, 8);
  const a = Math.abs(ehi);
  if (a <= EXP_FAST) return expDDFast(ehi, elo);
  if (!(a < 1024.0)) return ehi > 0 ? Infinity : 0.0;
  const kde = ehi * INVLN2N + SHIFT;
  const et = expDDPoly(ehi, elo, kde);
  const sbits = expDDScaleBits(kde);
  // Beyond EXP_FAST: ./exp.ts's two-step scaling (overflow to Infinity; a subnormal result
  // rounded once).
  if (ehi > 0) {
    const s = reinterpret<f64>(sbits - (<u64>1009 << 52));
    return (s + s * et) * reinterpret<f64>(<u64>(1009 + 1023) << 52);
  }
  const s = reinterpret<f64>(sbits + (<u64>1022 << 52));
  const st = s * et;
  let v = s + st;
  if (v < 1.0) {
    const vlo = (s - v) + st;
    const vhi = 1.0 + v;
    v = (vhi + ((1.0 - vhi) + v + vlo)) - 1.0;
  }
  return v * reinterpret<f64>(<u64>(1023 - 1022) << 52);
}

// ---- integer exponents ----
// y an integer with 1 ≤ |y| ≤ INT_MAX_EXP = 4: x^|y| by right-to-left binary powering (at most
// two squarings or a square and a product, as JAX's integer_pow and torch's x·x·x), then one
// division for y < 0. Each
// rounding's relative error is carried into the power it feeds (the multiplicities sum to
// |y| − 1), so the result is within |y| − 1 ulp (|y| − ½ for y < 0; correctly rounded for
// y = 2 and −1, exact for 1 and wherever x^y is a double) instead of the log/exp route's 0.52,
// at a few multiplies instead of ~130 operations (larger |y| would cost more ulps than users of
// an accurate pow expect: 4.5 at y = 8 and 5.6 at −8 measured). Used only while
// the power stays in [2^-1022, 2^1022): intermediates then stay normal (they lie between x and
// the power) and so does the reciprocal; any other entry (0, subnormal, Inf, NaN bases,
// overflow or underflow) takes the log/exp route and its special cases. Chosen by (x, y)
// alone, so broadcast and per-entry exponents, lanes, strides and builds agree bit for bit.

/** Largest |y| taken by binary powering. */
// @ts-ignore: decorator
@lazy const INT_MAX_EXP: f64 = 4.0;
/** 2^1022: powers at or above it take the log/exp route (their reciprocal would be subnormal). */
// @ts-ignore: decorator
@lazy const INT_TOP = reinterpret<f64>(0x7FD0000000000000);

/** Whether y is an integer with 1 ≤ |y| ≤ INT_MAX_EXP (the binary-powering exponents). */
// @ts-ignore: decorator
@inline function isSmallInt(y: f64): bool {
  const ay = Math.abs(y);
  return ay >= 1.0 && ay <= INT_MAX_EXP && Math.trunc(y) == y;
}

/** x^k for 1 ≤ k ≤ 4 by right-to-left binary powering, written out: x³ = x·x², x⁴ = (x²)². */
// @ts-ignore: decorator
@inline function intPowChain(x: f64, k: i32): f64 {
  if (k == 1) return x;
  const x2 = x * x;
  if (k == 2) return x2;
  if (k == 3) return x * x2;
  return x2 * x2;
}

/** x^y by binary powering for isSmallInt(y), or NaN when the power leaves [2^-1022, 2^1022). */
// @ts-ignore: decorator
@inline function powIntScalar(x: f64, y: f64): f64 {
  const r = intPowChain(x, <i32>Math.abs(y));
  const ar = Math.abs(r);
  if (!(ar >= MIN_NORMAL && ar < INT_TOP)) return NaN;
  return y > 0 ? r : 1.0 / r;
}

/** x^y over the whole f64 range with Math.pow's special cases. */
export function powScalar(x: f64, y: f64): f64 {
  // ECMAScript, unlike C: NaN exponents give NaN even for x = 1, and (±1)^±Inf is NaN.
  if (y != y) return y;
  if (y == 0) return 1.0;
  if (isSmallInt(y)) {
    // NaN here only where the power leaves the range (a NaN x also lands below and returns x).
    const r = powIntScalar(x, y);
    if (r == r) return r;
  }
  if (x != x) return x;
  const ax = Math.abs(x);
  if (Math.abs(y) == Infinity) {
    if (ax == 1.0) return NaN;
    return (ax > 1.0) == (y > 0) ? Infinity : 0.0;
  }
  const ix = reinterpret<u64>(x);
  const neg = ix >> 63 != 0;
  const flip = neg && isOdd(y);
  if (ax == 0 || ax == Infinity) {
    const m = (ax == 0) == (y < 0) ? Infinity : 0.0;
    return flip ? -m : m;
  }
  if (neg && !isInt(y)) return NaN;
  let bits = ix & ABS;
  if (ax < MIN_NORMAL) bits = reinterpret<u64>(ax * reinterpret<f64>(0x4330000000000000)) - (<u64>52 << 52);
  const m = powMag(bits, y);
  return flip ? -m : m;
}

// ---- f64x2 (SIMD build only: callers sit behind ASC_FEATURE_SIMD) ----

// f64x2 constants sit in memory, each stored twice, and are loaded where they are used (V8 11
// rebuilds a v128.const from immediates inside the loop; see ./exp.ts).
const VKF: usize = memory.data<f64>([
  LN2HI, LN2HI, LN2LO, LN2LO, -0.5, -0.5, A1, A1, A2, A2, A3, A3, A4, A4, A5, A5, A6, A6,
  1.0, 1.0, INVLN2N, INVLN2N, SHIFT, SHIFT, NEGLN2HIN, NEGLN2HIN, NEGLN2LON, NEGLN2LON,
  C2, C2, C3, C3, C4, C4, C5, C5, EXP_FAST, EXP_FAST, MIN_NORMAL, MIN_NORMAL,
  Infinity, Infinity, 0.0, 0.0, 0.5, 0.5, NaN, NaN,
], 16);
const VKI: usize = memory.data<u64>([
  OFF, OFF, EXP_MASK, EXP_MASK, ROUND31, ROUND31, HI21, HI21, HI26, HI26, ABS, ABS,
  0x8000000000000000, 0x8000000000000000,
], 16);
const V_LN2HI = 0, V_LN2LO = 1, V_MHALF = 2, V_A1 = 3, V_A2 = 4, V_A3 = 5, V_A4 = 6, V_A5 = 7,
  V_A6 = 8, V_ONE = 9, V_INVLN2N = 10, V_SHIFT = 11, V_NEGLN2HIN = 12, V_NEGLN2LON = 13,
  V_C2 = 14, V_C3 = 15, V_C4 = 16, V_C5 = 17, V_EXP_FAST = 18, V_MIN_NORMAL = 19, V_INF = 20,
  V_ZERO = 21, V_HALF = 22, V_NAN = 23, V_OFF = 24, V_EXP_MASK = 25, V_ROUND31 = 26, V_HI21 = 27,
  V_HI26 = 28, V_ABS = 29, V_SIGN = 30;
// @ts-ignore: decorator
@inline function vk(i: i32): v128 {
  return i < 24 ? v128.load(VKF + (<usize>i << 4)) : v128.load(VKI + (<usize>(i - 24) << 4));
}

/**
 * y·log|x| as ehi + elo for two lanes, stored at p (ehi) and p + 16 (elo): same operations
 * as logDD. Lanes whose |x| is not normal and finite get meaningless values (no trap), which
 * {@link powExpStoreV} does not use.
 */
// @ts-ignore: decorator
@inline function powLogV(xs: v128, y: v128, p: usize): void {
  const x = v128.and(xs, vk(V_ABS));
  const tmp = i64x2.sub(x, vk(V_OFF));
  const e0 = logEntry(<u64>i64x2.extract_lane(tmp, 0));
  const e1 = logEntry(<u64>i64x2.extract_lane(tmp, 1));
  const c0 = v128.load(e0), c1 = v128.load(e1);
  const invc = v128.shuffle<i64>(c0, c1, 0, 2);
  const logc = v128.shuffle<i64>(c0, c1, 1, 3);
  const logctail = v128.load64_lane(e1, v128.load64_zero(e0, 16), 1, 16);
  // k = tmp >> 52 (arithmetic) is the high word's top bits: an i32 shift, then to f64 exactly.
  const kd = f64x2.convert_low_i32x4_s(v128.shuffle<i32>(i32x4.shr_s(tmp, 20), tmp, 1, 3, 1, 3));
  const iz = i64x2.sub(x, v128.and(tmp, vk(V_EXP_MASK)));
  const zhi = v128.and(i64x2.add(iz, vk(V_ROUND31)), vk(V_HI21));
  const zlo = f64x2.sub(iz, zhi);
  const rhi = f64x2.sub(f64x2.mul(zhi, invc), vk(V_ONE));
  const rlo = f64x2.mul(zlo, invc);
  const r = f64x2.add(rhi, rlo);
  const t1 = f64x2.add(f64x2.mul(kd, vk(V_LN2HI)), logc);
  const t2 = f64x2.add(t1, r);
  const lo1 = f64x2.add(f64x2.mul(kd, vk(V_LN2LO)), logctail);
  const lo2 = f64x2.add(f64x2.sub(t1, t2), r);
  const ar = f64x2.mul(vk(V_MHALF), r);
  const ar2 = f64x2.mul(r, ar);
  const ar3 = f64x2.mul(r, ar2);
  const arhi = f64x2.mul(vk(V_MHALF), rhi);
  const arhi2 = f64x2.mul(rhi, arhi);
  const hi = f64x2.add(t2, arhi2);
  const lo3 = f64x2.mul(rlo, f64x2.add(ar, arhi));
  const lo4 = f64x2.add(f64x2.sub(t2, hi), arhi2);
  const ar4 = f64x2.mul(ar2, ar2);
  const q12 = f64x2.add(vk(V_A1), f64x2.mul(r, vk(V_A2)));
  const q34 = f64x2.mul(ar2, f64x2.add(vk(V_A3), f64x2.mul(r, vk(V_A4))));
  const q56 = f64x2.mul(ar4, f64x2.add(vk(V_A5), f64x2.mul(r, vk(V_A6))));
  const pp = f64x2.mul(ar3, f64x2.add(f64x2.add(q12, q34), q56));
  const lo = f64x2.add(f64x2.add(f64x2.add(f64x2.add(lo1, lo2), lo3), lo4), pp);
  const lh = f64x2.add(hi, lo);
  const lt = f64x2.add(f64x2.sub(hi, lh), lo);
  // ---- y·log x ----
  const yhi = v128.and(y, vk(V_HI26));
  const ylo = f64x2.sub(y, yhi);
  const lhi = v128.and(lh, vk(V_HI26));
  const llo = f64x2.add(f64x2.sub(lh, lhi), lt);
  const ehi = f64x2.mul(yhi, lhi);
  const elo = f64x2.add(f64x2.mul(ylo, lhi), f64x2.mul(y, llo));
  v128.store(p, ehi);
  v128.store(p, elo, 16);
}

/**
 * exp(ehi + elo) of two lanes (./exp.ts's algorithm with elo added to the reduced argument)
 * stored at po when both |ehi| ≤ EXP_FAST (NaN is not) and both bases, read at pa, are
 * positive; else {@link powFixPair}.
 */
// @ts-ignore: decorator
@inline function powExpStoreV(ehi: v128, elo: v128, pa: usize, pb: usize, po: usize): void {
  const kde = f64x2.add(f64x2.mul(ehi, vk(V_INVLN2N)), vk(V_SHIFT));
  const x0 = v128.load(EXP_TABLE + ((<usize>i64x2.extract_lane(kde, 0) & 127) << 4));
  const x1 = v128.load(EXP_TABLE + ((<usize>i64x2.extract_lane(kde, 1) & 127) << 4));
  const ke = f64x2.sub(kde, vk(V_SHIFT));
  let re = f64x2.add(ehi, f64x2.mul(ke, vk(V_NEGLN2HIN)));
  re = f64x2.add(f64x2.add(re, f64x2.mul(ke, vk(V_NEGLN2LON))), elo);
  const re2 = f64x2.mul(re, re);
  const tail = v128.shuffle<i64>(x0, x1, 0, 2);
  const p23 = f64x2.mul(re2, f64x2.add(vk(V_C2), f64x2.mul(re, vk(V_C3))));
  const p45 = f64x2.mul(f64x2.mul(re2, re2), f64x2.add(vk(V_C4), f64x2.mul(re, vk(V_C5))));
  const et = f64x2.add(f64x2.add(f64x2.add(tail, re), p23), p45);
  const scale = i64x2.add(v128.shuffle<i64>(x0, x1, 1, 3), i64x2.shl(kde, 45));
  const m = f64x2.add(scale, f64x2.mul(scale, et));
  const x = v128.load(pa);
  const ok = v128.and(f64x2.le(f64x2.abs(ehi), vk(V_EXP_FAST)),
    v128.and(f64x2.ge(x, vk(V_MIN_NORMAL)), f64x2.lt(x, vk(V_INF))));
  // A store in both arms keeps this a branch (see expFastV in ./exp.ts).
  if (i64x2.all_true(ok)) {
    v128.store(po, m);
  } else {
    powSignV(m, ehi, pa, pb, po);
  }
}

/**
 * A pair that powExpStoreV does not store itself: when both |x| are normal and finite and
 * both |ehi| ≤ EXP_FAST, m = |x|^y and only a negative base's sign is applied, in vector form
 * (NaN for a non-integer y, −m for an odd one); else lane by lane through {@link powFix}.
 */
function powSignV(m: v128, ehi: v128, pa: usize, pb: usize, po: usize): void {
  const x = v128.load(pa), ax = v128.and(x, vk(V_ABS));
  const ok = v128.and(f64x2.le(f64x2.abs(ehi), vk(V_EXP_FAST)),
    v128.and(f64x2.ge(ax, vk(V_MIN_NORMAL)), f64x2.lt(ax, vk(V_INF))));
  if (i64x2.all_true(ok)) {
    const y = v128.load(pb), h = f64x2.mul(y, vk(V_HALF));
    const yInt = f64x2.eq(f64x2.trunc(y), y);
    const odd = v128.and(yInt, f64x2.ne(f64x2.trunc(h), h));
    const neg = f64x2.lt(x, vk(V_ZERO));
    const signed = v128.xor(m, v128.and(v128.and(neg, odd), vk(V_SIGN)));
    v128.store(po, v128.bitselect(vk(V_NAN), signed, v128.andnot(neg, yInt)));
  } else {
    store<f64>(po, powFix(f64x2.extract_lane(m, 0), f64x2.extract_lane(ehi, 0), load<f64>(pa), load<f64>(pb)));
    store<f64>(po, powFix(f64x2.extract_lane(m, 1), f64x2.extract_lane(ehi, 1), load<f64>(pa, 8), load<f64>(pb, 8)), 8);
  }
}

/**
 * x^y from m = |x|^y computed by the passes, when |x| is normal and finite and |ehi| ≤
 * EXP_FAST: the sign of a negative base (NaN for a non-integer y, −m for an odd one); any other
 * entry through powScalar. Same bits as powScalar.
 */
function powFix(m: f64, ehi: f64, x: f64, y: f64): f64 {
  const ax = Math.abs(x);
  if (!(Math.abs(ehi) <= EXP_FAST && ax >= MIN_NORMAL && ax < Infinity)) return powScalar(x, y);
  if (x > 0) return m;
  if (!isInt(y)) return NaN;
  return isOdd(y) ? -m : m;
}

/** f64x2 constants of the integer path: [1 ×2], [INT_MAX_EXP ×2], [2^-1022 ×2], [2^1022 ×2]. */
const VINT: usize = memory.data<f64>([
  1.0, 1.0, INT_MAX_EXP, INT_MAX_EXP, MIN_NORMAL, MIN_NORMAL, INT_TOP, INT_TOP,
], 16);

/** Two lanes of {@link intPowChain}: the same products in the same order. */
// @ts-ignore: decorator
@inline function intPowChainV(x: v128, k: i32): v128 {
  if (k == 1) return x;
  const x2 = f64x2.mul(x, x);
  if (k == 2) return x2;
  if (k == 3) return f64x2.mul(x, x2);
  return f64x2.mul(x2, x2);
}

/** Lanes (all ones) whose power r stays in [lo, hi) = [2^-1022, 2^1022): the integer path's test. */
// @ts-ignore: decorator
@inline function inRangeV(r: v128, lo: v128, hi: v128): v128 {
  const ar = f64x2.abs(r);
  return v128.and(f64x2.ge(ar, lo), f64x2.lt(ar, hi));
}

/**
 * Two pairs of powIntRow's tile at pa: x^k stored at po (1/x^k when inv), and `ok` AND-ed
 * with whether both powers stay in [lo, hi).
 */
// @ts-ignore: decorator
@inline function intTwoPairsV(pa: usize, po: usize, k: i32, inv: bool, ok: v128, lo: v128, hi: v128, one: v128): v128 {
  const r0 = intPowChainV(v128.load(pa), k), r1 = intPowChainV(v128.load(pa, 16), k);
  v128.store(po, inv ? f64x2.div(one, r0) : r0);
  v128.store(po, inv ? f64x2.div(one, r1) : r1, 16);
  return v128.and(ok, v128.and(inRangeV(r0, lo, hi), inRangeV(r1, lo, hi)));
}

/** Pairs per range check of {@link powIntRow}'s branch-free tiles. */
const INT_TILE = 256;

/**
 * out[i] = a[i·sa]^y for a broadcast exponent with isSmallInt(y). SIMD build, dense a: a tile
 * of pairs at a time, stored by binary powering with the range test AND-ed over the tile (no
 * branch per pair); a tile where some power left the range is done again pair by pair, lanes
 * out of range through powScalar (which takes the same path where it can, so every entry's
 * bits are powScalar's). In place (out = a) every pair is checked before its store instead.
 */
function powIntRow(n: i32, a: usize, sa: i32, y: f64, out: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD && sa == 1) {
    const k = <i32>Math.abs(y);
    const inv = y < 0;
    const one = v128.load(VINT), lo = v128.load(VINT, 32), hi = v128.load(VINT, 48);
    while (i + 2 <= n) {
      const len = out == a ? 0 : min(INT_TILE * 2, (n - i) & ~1);
      const pa = a + (<usize>i << 3), po = out + (<usize>i << 3);
      // Two pairs an iteration (len is a multiple of 4 but for a row's last tile); `inv` a
      // literal in each loop, so the inlined body has no branch on it.
      let ok = i64x2.splat(-1);
      const len4 = len & ~3;
      if (inv) {
        for (let j = 0; j < len4; j += 4) ok = intTwoPairsV(pa + (<usize>j << 3), po + (<usize>j << 3), k, true, ok, lo, hi, one);
      } else {
        for (let j = 0; j < len4; j += 4) ok = intTwoPairsV(pa + (<usize>j << 3), po + (<usize>j << 3), k, false, ok, lo, hi, one);
      }
      if (len4 < len) {
        const o = <usize>len4 << 3;
        const r = intPowChainV(v128.load(pa + o), k);
        ok = v128.and(ok, inRangeV(r, lo, hi));
        v128.store(po + o, inv ? f64x2.div(one, r) : r);
      }
      if (len > 0 && i64x2.all_true(ok)) {
        i += len;
        continue;
      }
      // Pair by pair: the tile again after a failed check, or one pair in place.
      const end = len > 0 ? i + len : i + 2;
      for (; i < end; i += 2) {
        const o = <usize>i << 3;
        const x = v128.load(a + o);
        const r = intPowChainV(x, k);
        // A store in both arms keeps this a branch (see expFastV in ./exp.ts).
        if (i64x2.all_true(inRangeV(r, lo, hi))) {
          v128.store(out + o, inv ? f64x2.div(one, r) : r);
        } else {
          store<f64>(out + o, powScalar(f64x2.extract_lane(x, 0), y));
          store<f64>(out + o, powScalar(f64x2.extract_lane(x, 1), y), 8);
        }
      }
    }
  }
  for (; i < n; i++) store<f64>(out + (<usize>i << 3), powScalar(load<f64>(a + <usize>((i * sa) << 3)), y));
}

/**
 * Sends a tile's entries with per-entry exponents that isSmallInt takes to powScalar: their
 * ehi (at e, 32 bytes a pair) becomes NaN, which fails the exp pass's domain test.
 */
// @ts-ignore: decorator
@inline function markIntPairs(pb: usize, db: usize, len: i32, e: usize): void {
  const one = v128.load(VINT), top = v128.load(VINT, 16), nan = vk(V_NAN);
  for (let j = 0; j < len; j += 2) {
    const y = v128.load(pb);
    const ay = f64x2.abs(y);
    const m = v128.and(v128.and(f64x2.ge(ay, one), f64x2.le(ay, top)), f64x2.eq(f64x2.trunc(y), y));
    if (v128.any_true(m)) {
      const p = e + (<usize>j << 4);
      v128.store(p, v128.bitselect(nan, v128.load(p), m));
    }
    pb += db;
  }
}

/** Splatted copies of an operand broadcast along a row (stride 0): two slots of 16 bytes. */
let ROW_SPLATS_AT: usize = memory.data(32, 16);
/** Entries per tile of the two passes below. */
const POW_TILE = 256;
/** ehi and elo of a tile's pairs, 32 bytes a pair. */
let POW_E_AT: usize = memory.data(POW_TILE * 16, 16);

/**
 * out[i] = a[i·sa]^b[i·sb] for i < n. In the SIMD build the stride patterns (1, 1), (1, 0)
 * and (0, 1) run a tile at a time in two passes, y·log|x| into a buffer and then exp of it:
 * each pass is a shorter dependency chain, so the CPU overlaps more entries than one long
 * chain per entry allows. The other stride patterns and the scalar build run the same two
 * passes in scalar form. Entries outside the fast domain go through powScalar. A broadcast
 * exponent that isSmallInt takes runs {@link powIntRow} instead; per-entry ones are marked
 * after the first pass and computed by powScalar, which takes the same integer path.
 */
export function powRow(n: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize): void {
  const ROW_SPLATS = ROW_SPLATS_AT, POW_E = POW_E_AT;
  if (sb == 0 && isSmallInt(load<f64>(b))) {
    powIntRow(n, a, sa, load<f64>(b), out);
    return;
  }
  let i = 0;
  if (ASC_FEATURE_SIMD && <u32>sa <= 1 && <u32>sb <= 1) {
    let pa = a, pb = b, po = out;
    if (sa == 0) {
      v128.store(ROW_SPLATS, v128.load64_splat(a));
      pa = ROW_SPLATS;
    }
    if (sb == 0) {
      v128.store(ROW_SPLATS + 16, v128.load64_splat(b));
      pb = ROW_SPLATS + 16;
    }
    const da = <usize>(sa << 4), db = <usize>(sb << 4);
    while (i + 2 <= n) {
      const len = min(POW_TILE, (n - i) & ~1);
      let qa = pa, qb = pb;
      for (let j = 0; j < len; j += 2) {
        powLogV(v128.load(qa), v128.load(qb), POW_E + (<usize>j << 4));
        qa += da;
        qb += db;
      }
      if (sb != 0) markIntPairs(pb, db, len, POW_E);
      // The fallback reads the operands of its own pair: the broadcast one from its slot, or
      // the input (out is written at a pair only after that pair is read).
      for (let j = 0; j < len; j += 2) {
        const e = POW_E + (<usize>j << 4);
        powExpStoreV(v128.load(e), v128.load(e, 16), pa, pb, po);
        pa += da;
        pb += db;
        po += 16;
      }
      i += len;
    }
  }
  // Scalar form, in the same two passes: the strided patterns, an odd last entry, and the
  // scalar build.
  while (i < n) {
    const len = min(POW_TILE, n - i);
    for (let j = 0; j < len; j++) {
      const x = load<f64>(a + <usize>(((i + j) * sa) << 3)), y = load<f64>(b + <usize>(((i + j) * sb) << 3));
      logDD(reinterpret<u64>(x) & ABS, y, POW_E + (<usize>j << 4));
      // Binary-powering entries fail the exp pass's domain test and go to powScalar.
      if (isSmallInt(y)) store<f64>(POW_E + (<usize>j << 4), NaN);
    }
    for (let j = 0; j < len; j++) {
      const e = POW_E + (<usize>j << 4);
      const ehi = load<f64>(e);
      const x = load<f64>(a + <usize>(((i + j) * sa) << 3));
      let r: f64;
      if (Math.abs(ehi) <= EXP_FAST) {
        r = expDDFast(ehi, load<f64>(e, 8));
        if (!(x >= MIN_NORMAL && x < Infinity)) r = powFix(r, ehi, x, load<f64>(b + <usize>(((i + j) * sb) << 3)));
      } else {
        r = powScalar(x, load<f64>(b + <usize>(((i + j) * sb) << 3)));
      }
      store<f64>(out + (<usize>(i + j) << 3), r);
    }
    i += len;
  }
}

/**
 * Places this file's scratch blocks at [base, returned end) (when `set`; else only measures):
 * instances that share one memory (the thread pool) each need their own (see index.ts).
 */
export function placePowScratch(base: usize, set: bool): usize {
  if (set) DD_AT = base;
  base += 16;
  if (set) ROW_SPLATS_AT = base;
  base += 32;
  if (set) POW_E_AT = base;
  base += <usize>(POW_TILE * 16);
  return base;
}
