//! Single-token (decode) matrix-vector product on the GGUF block layout.
//!
//! candle 0.11 repacks Q4_K weights into 16-row tiles for its AVX512-VNNI kernel; for one
//! token that tile format reads a third more bytes than the GGUF blocks (unpacked f32 scales)
//! and decode is memory-bound, so here rows are dotted directly against the activation
//! quantised once to Q8_K, with candle's own AVX2 `vec_dot` kernels (public, safe, runtime
//! dispatched), spread over candle's thread pool. Where the CPU has AVX512-VNNI, Q4_K and
//! Q8_0 use the kernels of this module instead (measured faster: 1.5B decode 18 → 21–24 tok/s,
//! 0.5B 36 → 41); Q8_0 rows padded for candle's tile kernel are read without the padding. Q8_0 stays on candle's tile kernel: its
//! AVX2 `vec_dot` converts scales one by one and measured slower (0.5B: 21 vs 38 tok/s).

use std::sync::Mutex;

use candle_core::quantized::k_quants::{BlockQ4K, BlockQ6K};
use candle_core::quantized::{GgmlDType, GgmlType, QTensor};

use crate::Result;

/// Rows per work item handed to the thread pool.
const ROWS_PER_ITEM: usize = 64;

/// GGML block types this module may view raw bytes as.
trait PlainBlock: GgmlType {}
// Both are `#[repr(C)]` structs of integers and f16 only: every bit pattern is a valid value.
impl PlainBlock for BlockQ4K {}
impl PlainBlock for BlockQ6K {}

/// `out = W · x` for a `[n, k]` Q4_K or Q6_K weight; `Ok(false)` when this path does not apply
/// (other dtype, shape or alignment) and the caller should use candle's matmul.
pub(crate) fn gemv(w: &QTensor, x: &[f32], out: &mut [f32]) -> Result<bool> {
    match w.dtype() {
        GgmlDType::Q4K => {
            if gemv_q4k_vnni(w, x, out)? {
                return Ok(true);
            }
            gemv_typed::<BlockQ4K>(w, x, out)
        }
        GgmlDType::Q6K => gemv_typed::<BlockQ6K>(w, x, out),
        _ => Ok(false),
    }
}

/// Whether this CPU runs the AVX512-VNNI kernels of this module.
pub(crate) fn has_vnni_kernels() -> bool {
    x86::has_vnni()
}

/// Bytes of one Q8_0 block: f16 scale, 32 signed bytes.
const Q8_0_BLOCK: usize = 34;

/// `out = W[:, ..x.len()] · x` for a Q8_0 weight `[n, k_stored]` with the AVX512-VNNI kernel:
/// columns past `x.len()` are zero padding (see `qwen2::pad_q8_0`) and are not read.
/// `Ok(false)` when unavailable.
pub(crate) fn gemv_q8_0(w: &QTensor, x: &[f32], out: &mut [f32]) -> Result<bool> {
    let Ok((n, k_stored)) = w.shape().dims2() else {
        return Ok(false);
    };
    let k = x.len();
    if w.dtype() != GgmlDType::Q8_0
        || k > k_stored
        || !k_stored.is_multiple_of(32)
        || out.len() != n
        || !k.is_multiple_of(64)
        || !x86::has_vnni()
    {
        return Ok(false);
    }
    let data = w.data()?;
    let row_bytes = k_stored / 32 * Q8_0_BLOCK;
    if data.len() != n * row_bytes {
        return Ok(false);
    }
    // Activation as Q8_0: one scale per 32 values, symmetric rounding.
    let mut xq = vec![0i8; k];
    let mut xd = vec![0f32; k / 32];
    for ((src, dst), d) in x.chunks_exact(32).zip(xq.chunks_exact_mut(32)).zip(&mut xd) {
        let amax = src.iter().fold(0f32, |m, v| m.max(v.abs()));
        *d = amax / 127.0;
        let inv = if amax > 0.0 { 127.0 / amax } else { 0.0 };
        for (q, v) in dst.iter_mut().zip(src) {
            *q = (v * inv).round() as i8;
        }
    }
    let items: Vec<Mutex<&mut [f32]>> = out.chunks_mut(ROWS_PER_ITEM).map(Mutex::new).collect();
    candle_core::utils::barrier_pool().execute_chunked(items.len(), |range| {
        for item in range {
            let Some(slot) = items.get(item) else {
                continue;
            };
            let mut dst = slot.lock().unwrap_or_else(|e| e.into_inner());
            let first = item * ROWS_PER_ITEM;
            let rows = &data[first * row_bytes..(first + dst.len()) * row_bytes];
            x86::rows_q8_0(rows, row_bytes, &xq, &xd, &mut dst);
        }
    });
    Ok(true)
}

/// Bytes of one Q4_K block: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles.
const Q4K_BLOCK: usize = 144;

/// Q4_K × activation with the AVX512-VNNI kernel of [`x86`]; `Ok(false)` when unavailable.
fn gemv_q4k_vnni(w: &QTensor, x: &[f32], out: &mut [f32]) -> Result<bool> {
    let Ok((n, k)) = w.shape().dims2() else {
        return Ok(false);
    };
    if w.dtype() != GgmlDType::Q4K
        || x.len() != k
        || out.len() != n
        || !k.is_multiple_of(256)
        || !x86::has_vnni()
    {
        return Ok(false);
    }
    let data = w.data()?;
    let row_bytes = k / 256 * Q4K_BLOCK;
    if data.len() != n * row_bytes {
        return Ok(false);
    }
    let act = Q8Act::new(x);
    let items: Vec<Mutex<&mut [f32]>> = out.chunks_mut(ROWS_PER_ITEM).map(Mutex::new).collect();
    candle_core::utils::barrier_pool().execute_chunked(items.len(), |range| {
        for item in range {
            let Some(slot) = items.get(item) else {
                continue;
            };
            let mut dst = slot.lock().unwrap_or_else(|e| e.into_inner());
            let first = item * ROWS_PER_ITEM;
            let rows = &data[first * row_bytes..(first + dst.len()) * row_bytes];
            x86::rows_q4k(rows, row_bytes, &act, &mut dst);
        }
    });
    Ok(true)
}

/// The activation quantised as ggml's Q8_K (same rounding as candle), laid out for the
/// Q4_K kernel: per 256-block, `qs` reordered so each 64-byte load lines up with the low or
/// high nibbles of a 64-byte load of weights, and the sum of each 32-value sub-block.
struct Q8Act {
    d: Vec<f32>,
    /// Per block: [lo0, hi0, lo1, hi1], 64 bytes each (see [`Q8Act::new`]).
    qs: Vec<i8>,
    /// Per block: 16 i32, lanes 8..16 = sums of sub-blocks 0..8 (lanes 0..8 zero), so one
    /// multiply with the unpacked [scales | mins] vector gives the min terms.
    sums: Vec<i32>,
}

impl Q8Act {
    fn new(x: &[f32]) -> Self {
        let nb = x.len() / 256;
        let mut d = vec![0f32; nb];
        let mut qs = vec![0i8; nb * 256];
        let mut sums = vec![0i32; nb * 16];
        let mut q = [0i8; 256];
        for b in 0..nb {
            let xs = &x[b * 256..(b + 1) * 256];
            let (mut max, mut amax) = (0f32, 0f32);
            for &v in xs {
                if amax < v.abs() {
                    amax = v.abs();
                    max = v;
                }
            }
            if amax == 0.0 {
                q = [0; 256];
            } else {
                let iscale = -127f32 / max;
                for (qi, &v) in q.iter_mut().zip(xs) {
                    *qi = (iscale * v).round().clamp(-128.0, 127.0) as i8;
                }
                d[b] = 1.0 / iscale;
            }
            for (j, s) in sums[b * 16 + 8..b * 16 + 16].iter_mut().enumerate() {
                *s = q[j * 32..(j + 1) * 32].iter().map(|&v| i32::from(v)).sum();
            }
            // Nibble chunk c (32 weight bytes) holds values 64c..64c+32 (low) and
            // 64c+32..64c+64 (high); a 64-byte load covers chunks 2p and 2p+1.
            let out = &mut qs[b * 256..(b + 1) * 256];
            for p in 0..2 {
                let base = 128 * p;
                let dst = &mut out[128 * p..128 * (p + 1)];
                dst[0..32].copy_from_slice(&q[base..base + 32]);
                dst[32..64].copy_from_slice(&q[base + 64..base + 96]);
                dst[64..96].copy_from_slice(&q[base + 32..base + 64]);
                dst[96..128].copy_from_slice(&q[base + 96..base + 128]);
            }
        }
        Self { d, qs, sums }
    }
}

fn gemv_typed<T: PlainBlock>(w: &QTensor, x: &[f32], out: &mut [f32]) -> Result<bool> {
    let Ok((n, k)) = w.shape().dims2() else {
        return Ok(false);
    };
    if x.len() != k || out.len() != n || k % T::BLCK_SIZE != 0 {
        return Ok(false);
    }
    let data = w.data()?;
    let Some(blocks) = view::<T>(&data) else {
        return Ok(false);
    };
    let kb = k / T::BLCK_SIZE;
    if blocks.len() != n * kb {
        return Ok(false);
    }
    let mut xq = vec![T::VecDotType::zeros(); k / T::VecDotType::BLCK_SIZE];
    T::VecDotType::from_float(x, &mut xq);
    let items: Vec<Mutex<&mut [f32]>> = out.chunks_mut(ROWS_PER_ITEM).map(Mutex::new).collect();
    candle_core::utils::barrier_pool().execute_chunked(items.len(), |range| {
        for item in range {
            let Some(slot) = items.get(item) else {
                continue;
            };
            let mut dst = slot.lock().unwrap_or_else(|e| e.into_inner());
            let first = item * ROWS_PER_ITEM;
            for (j, o) in dst.iter_mut().enumerate() {
                let row = first + j;
                *o = T::vec_dot(k, &blocks[row * kb..(row + 1) * kb], &xq);
            }
        }
    });
    Ok(true)
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)] // SIMD intrinsics; the one unsafe call states its invariant
mod x86 {
    use std::arch::x86_64::*;

    use super::{Q8Act, Q4K_BLOCK, Q8_0_BLOCK};

    pub(super) fn has_vnni() -> bool {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512bw")
            && is_x86_feature_detected!("avx512vl")
            && is_x86_feature_detected!("avx512vnni")
            && is_x86_feature_detected!("f16c")
    }

    /// `dst[r] = row r · x` for Q4_K rows of `row_bytes` bytes.
    pub(super) fn rows_q4k(rows: &[u8], row_bytes: usize, act: &Q8Act, dst: &mut [f32]) {
        let nb = act.d.len();
        assert!(has_vnni(), "caller checks has_vnni");
        assert_eq!(rows.len(), dst.len() * row_bytes);
        assert_eq!(row_bytes, nb * Q4K_BLOCK);
        assert_eq!(act.qs.len(), nb * 256);
        assert_eq!(act.sums.len(), nb * 16);
        for (row, o) in rows.chunks_exact(row_bytes).zip(dst.iter_mut()) {
            // SAFETY: the CPU has avx512f/bw/vnni and f16c (asserted above); `row` holds `nb`
            // whole blocks and `act` `nb` blocks, so every load below stays in bounds.
            *o = unsafe { row_q4k(row, act) };
        }
    }

    /// `dst[r] = row r · x` for Q8_0 rows of `row_bytes` bytes (of which the first `xd.len()`
    /// blocks are used), `x` as Q8_0 (`xq`, `xd`).
    pub(super) fn rows_q8_0(rows: &[u8], row_bytes: usize, xq: &[i8], xd: &[f32], dst: &mut [f32]) {
        let nb = xd.len();
        assert!(has_vnni(), "caller checks has_vnni");
        assert_eq!(rows.len(), dst.len() * row_bytes);
        assert!(nb * Q8_0_BLOCK <= row_bytes);
        assert_eq!(xq.len(), nb * 32);
        assert!(nb.is_multiple_of(2));
        for (row, o) in rows.chunks_exact(row_bytes).zip(dst.iter_mut()) {
            // SAFETY: the CPU has avx512f/bw/vl/vnni and f16c (asserted above); `row` holds at
            // least `nb` whole blocks and `xq` `nb * 32` bytes, so every load stays in bounds.
            *o = unsafe { row_q8_0(row, xq, xd) };
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vnni,f16c")]
    unsafe fn row_q8_0(row: &[u8], xq: &[i8], xd: &[f32]) -> f32 {
        let nb = xd.len();
        let p = row.as_ptr();
        let x = xq.as_ptr();
        let mut acc = [_mm256_setzero_ps(), _mm256_setzero_ps()];
        let mut b = 0;
        while b < nb {
            let pa = p.add(b * Q8_0_BLOCK);
            let pb = pa.add(Q8_0_BLOCK);
            let da = u32::from(std::ptr::read_unaligned(pa as *const u16));
            let db = u32::from(std::ptr::read_unaligned(pb as *const u16));
            let dd = _mm_cvtph_ps(_mm_cvtsi32_si128((da | (db << 16)) as i32));
            let wa = _mm256_loadu_si256(pa.add(2) as *const __m256i);
            let wb = _mm256_loadu_si256(pb.add(2) as *const __m256i);
            let xa = _mm256_loadu_si256(x.add(b * 32) as *const __m256i);
            let xb = _mm256_loadu_si256(x.add(b * 32 + 32) as *const __m256i);
            let ia = _mm256_dpbusd_epi32(
                _mm256_setzero_si256(),
                _mm256_abs_epi8(wa),
                _mm256_sign_epi8(xa, wa),
            );
            let ib = _mm256_dpbusd_epi32(
                _mm256_setzero_si256(),
                _mm256_abs_epi8(wb),
                _mm256_sign_epi8(xb, wb),
            );
            let sa = _mm_cvtss_f32(dd) * *xd.get_unchecked(b);
            let sb = _mm_cvtss_f32(_mm_movehdup_ps(dd)) * *xd.get_unchecked(b + 1);
            acc[0] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ia), _mm256_set1_ps(sa), acc[0]);
            acc[1] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(ib), _mm256_set1_ps(sb), acc[1]);
            b += 2;
        }
        let v = _mm256_add_ps(acc[0], acc[1]);
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)))
    }

    /// The 8 scales and 8 mins of a Q4_K block (ggml's 6-bit packing at `p`, 12 bytes) as
    /// 16 i32 lanes: scales 0..8 then mins 0..8.
    #[inline(always)]
    unsafe fn scales_mins(p: *const u8) -> __m512i {
        const KMASK1: u32 = 0x3f3f_3f3f;
        const KMASK2: u32 = 0x0f0f_0f0f;
        const KMASK3: u32 = 0x0303_0303;
        let u0 = std::ptr::read_unaligned(p as *const u32).to_le();
        let u1 = std::ptr::read_unaligned(p.add(4) as *const u32).to_le();
        let u2 = std::ptr::read_unaligned(p.add(8) as *const u32).to_le();
        let u3 = ((u2 >> 4) & KMASK2) | (((u1 >> 6) & KMASK3) << 4);
        let m = u1 & KMASK1;
        let s1 = (u2 & KMASK2) | (((u0 >> 6) & KMASK3) << 4);
        let s0 = u0 & KMASK1;
        _mm512_cvtepu8_epi32(_mm_set_epi32(u3 as i32, m as i32, s1 as i32, s0 as i32))
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,f16c")]
    unsafe fn row_q4k(row: &[u8], act: &Q8Act) -> f32 {
        let m4 = _mm512_set1_epi8(0x0F);
        // Lane patterns: [scale a ×8, scale b ×8] for lo0, hi0, lo1, hi1.
        let idx = [
            _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2),
            _mm512_setr_epi32(1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3),
            _mm512_setr_epi32(4, 4, 4, 4, 4, 4, 4, 4, 6, 6, 6, 6, 6, 6, 6, 6),
            _mm512_setr_epi32(5, 5, 5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7, 7, 7),
        ];
        let mut acc = _mm512_setzero_ps();
        let mut acc_min = _mm512_setzero_ps();
        for (b, blk) in row.chunks_exact(Q4K_BLOCK).enumerate() {
            let dy = *act.d.get_unchecked(b);
            let dd = _mm_cvtph_ps(_mm_cvtsi32_si128(i32::from_le_bytes([
                blk[0], blk[1], blk[2], blk[3],
            ])));
            let d = _mm_cvtss_f32(dd) * dy;
            let dmin = _mm_cvtss_f32(_mm_movehdup_ps(dd)) * dy;
            let sm = scales_mins(blk.as_ptr().add(4));
            let qs = blk.as_ptr().add(16);
            let y = act.qs.as_ptr().add(b * 256);
            let mut isum = _mm512_setzero_si512();
            for p in 0..2 {
                let w = _mm512_loadu_si512(qs.add(64 * p) as *const _);
                let lo = _mm512_and_si512(w, m4);
                let hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
                let ylo = _mm512_loadu_si512(y.add(128 * p) as *const _);
                let yhi = _mm512_loadu_si512(y.add(128 * p + 64) as *const _);
                let dlo = _mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, ylo);
                let dhi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), hi, yhi);
                let slo = _mm512_permutexvar_epi32(idx[2 * p], sm);
                let shi = _mm512_permutexvar_epi32(idx[2 * p + 1], sm);
                isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(dlo, slo));
                isum = _mm512_add_epi32(isum, _mm512_mullo_epi32(dhi, shi));
            }
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_set1_ps(d), acc);
            // Lanes 8..16 of `sm` are the mins, of `sums` the sub-block sums (0..8 are zero).
            let sums = _mm512_loadu_si512(act.sums.as_ptr().add(b * 16) as *const _);
            let mins = _mm512_cvtepi32_ps(_mm512_mullo_epi32(sm, sums));
            acc_min = _mm512_fmadd_ps(mins, _mm512_set1_ps(dmin), acc_min);
        }
        _mm512_reduce_add_ps(acc) - _mm512_reduce_add_ps(acc_min)
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod x86 {
    pub(super) fn has_vnni() -> bool {
        false
    }
    pub(super) fn rows_q4k(_: &[u8], _: usize, _: &super::Q8Act, _: &mut [f32]) {}
    pub(super) fn rows_q8_0(_: &[u8], _: usize, _: &[i8], _: &[f32], _: &mut [f32]) {}
}

/// Views the bytes of a quantised tensor as its blocks (None if misaligned or ragged).
#[allow(unsafe_code)] // the one cast candle's public API lacks; checked below
fn view<T: PlainBlock>(bytes: &[u8]) -> Option<&[T]> {
    let size = std::mem::size_of::<T>();
    if size == 0
        || !bytes.len().is_multiple_of(size)
        || !(bytes.as_ptr() as usize).is_multiple_of(std::mem::align_of::<T>())
    {
        return None;
    }
    // SAFETY: `T` is a `PlainBlock` (repr(C), integers and f16 only, so any bytes are a valid
    // value); the pointer is aligned for `T`, the length is a whole number of blocks, and the
    // returned slice borrows `bytes`, so it cannot outlive the data.
    Some(unsafe { std::slice::from_raw_parts(bytes.as_ptr().cast::<T>(), bytes.len() / size) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Module, Tensor};

    #[test]
    fn q4k_vnni_matches_candle_vec_dot() {
        let dev = Device::Cpu;
        let (n, k) = (70, 1536);
        let w: Vec<f32> = (0..n * k)
            .map(|i| ((i * 7919) % 113) as f32 / 50.0 - 1.1)
            .collect();
        let x: Vec<f32> = (0..k).map(|i| ((i * 31) % 17) as f32 / 8.0 - 1.0).collect();
        let q =
            QTensor::quantize(&Tensor::from_vec(w, (n, k), &dev).unwrap(), GgmlDType::Q4K).unwrap();
        let mut fast = vec![0f32; n];
        if !gemv_q4k_vnni(&q, &x, &mut fast).unwrap() {
            eprintln!("no AVX512-VNNI here: kernel not exercised");
            return;
        }
        let mut reference = vec![0f32; n];
        assert!(gemv_typed::<BlockQ4K>(&q, &x, &mut reference).unwrap());
        for (a, b) in fast.iter().zip(&reference) {
            assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn q8_0_vnni_matches_candle() {
        let dev = Device::Cpu;
        let (n, k) = (70, 896);
        let w: Vec<f32> = (0..n * k)
            .map(|i| ((i * 7919) % 113) as f32 / 50.0 - 1.1)
            .collect();
        let x: Vec<f32> = (0..k).map(|i| ((i * 31) % 17) as f32 / 8.0 - 1.0).collect();
        let wt = Tensor::from_vec(w, (n, k), &dev).unwrap();
        let q = QTensor::quantize(&wt, GgmlDType::Q8_0).unwrap();
        let mut fast = vec![0f32; n];
        if !gemv_q8_0(&q, &x, &mut fast).unwrap() {
            eprintln!("no AVX512-VNNI here: kernel not exercised");
            return;
        }
        // candle's own Q8_0 path quantises the activation the same way (k = 896 is not a
        // multiple of 256, so it does not use its tile kernel here).
        let mm = candle_core::quantized::QMatMul::from_qtensor(q).unwrap();
        let xt = Tensor::from_vec(x, (1, k), &dev).unwrap();
        let want: Vec<f32> = mm
            .forward(&xt)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        for (a, b) in fast.iter().zip(&want) {
            assert!((a - b).abs() <= 1e-3 * (1.0 + b.abs()), "{a} vs {b}");
        }
    }

    #[test]
    fn matches_candle_matmul() {
        let dev = Device::Cpu;
        let (n, k) = (80, 512);
        let w: Vec<f32> = (0..n * k)
            .map(|i| ((i * 7919) % 113) as f32 / 50.0 - 1.1)
            .collect();
        let x: Vec<f32> = (0..k).map(|i| ((i * 31) % 17) as f32 / 8.0 - 1.0).collect();
        let wt = Tensor::from_vec(w, (n, k), &dev).unwrap();
        for dtype in [GgmlDType::Q4K, GgmlDType::Q6K] {
            let q = QTensor::quantize(&wt, dtype).unwrap();
            let mut out = vec![0f32; n];
            assert!(gemv(&q, &x, &mut out).unwrap());
            let mm = candle_core::quantized::QMatMul::from_qtensor(q).unwrap();
            let xt = Tensor::from_vec(x.clone(), (1, k), &dev).unwrap();
            let want: Vec<f32> = mm
                .forward(&xt)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            for (a, b) in out.iter().zip(&want) {
                assert!(
                    (a - b).abs() <= 1e-3 * (1.0 + b.abs()),
                    "{dtype:?}: {a} vs {b}"
                );
            }
        }
    }
}
