//! Single-token (decode) matrix-vector product on the GGUF block layout.
//!
//! candle 0.11 repacks Q4_K weights into 16-row tiles for its AVX512-VNNI kernel; for one
//! token that tile format reads a third more bytes than the GGUF blocks (unpacked f32 scales)
//! and decode is memory-bound, so here rows are dotted directly against the activation
//! quantised once to Q8_K, with candle's own AVX2 `vec_dot` kernels (public, safe, runtime
//! dispatched), spread over candle's thread pool. Q8_0 stays on candle's tile kernel: its
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
        GgmlDType::Q4K => gemv_typed::<BlockQ4K>(w, x, out),
        GgmlDType::Q6K => gemv_typed::<BlockQ6K>(w, x, out),
        _ => Ok(false),
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
