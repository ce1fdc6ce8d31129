//! Quantized Qwen2 forward pass.
//!
//! Adapted from candle-transformers' `models/quantized_qwen2.rs` (candle 0.11.1, MIT OR
//! Apache-2.0, © the candle authors). Changes, each for a measured reason:
//! - **KV cache preallocated** per layer (`[1, kv_heads, capacity, head_dim]`) and written with
//!   `slice_set`, so a step copies only its own keys/values (candle's version re-concatenates
//!   the whole cache every token), and rewinding to the prefilled prefix is just a length
//!   ([`Qwen2::truncate`]): the prefix is prefilled once and reused for every question.
//! - **Token embeddings looked up in the quantised table** (`QTensor::embedding` dequantises
//!   only the requested rows) instead of dequantising 150k×hidden to f32 at load (+0.5–0.9 GB).
//! - **Q5_0 weights requantised to Q8_0 at load**: candle has no SIMD kernel for Q5_0 on x86 and
//!   runs it scalar; Q8_0 uses the AVX2/AVX512-VNNI kernels (most of the 0.5B file is Q5_0).
//! - **GQA without `repeat_kv`**: queries are grouped per KV head, so keys and values are not
//!   copied `n_head / n_kv_head` times.
//! - Logits only for the last position.

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use crate::gguf::GgufFile;
use crate::Result;

/// Shape of the network, read from `qwen2.*` metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Transformer blocks.
    pub n_layers: usize,
    /// Query heads.
    pub n_head: usize,
    /// Key/value heads.
    pub n_kv_head: usize,
    /// Size of one head.
    pub head_dim: usize,
    /// Hidden size.
    pub hidden: usize,
    /// Context length the model was trained for.
    pub context_length: usize,
    /// RMS-norm epsilon.
    pub rms_eps: f32,
    /// RoPE base frequency.
    pub rope_base: f32,
}

impl Config {
    fn from_gguf(g: &GgufFile) -> Result<Self> {
        let arch = g.meta_str("general.architecture")?;
        if arch != "qwen2" {
            return Err(g.invalid(format!("architecture is {arch:?}, expected qwen2")));
        }
        let hidden = g.meta_usize("qwen2.embedding_length")?;
        let n_head = g.meta_usize("qwen2.attention.head_count")?;
        let n_kv_head = g.meta_usize("qwen2.attention.head_count_kv")?;
        if n_head == 0 || n_kv_head == 0 || hidden % n_head != 0 || n_head % n_kv_head != 0 {
            return Err(g.invalid(format!(
                "inconsistent heads: hidden {hidden}, heads {n_head}, kv heads {n_kv_head}"
            )));
        }
        Ok(Self {
            n_layers: g.meta_usize("qwen2.block_count")?,
            n_head,
            n_kv_head,
            head_dim: hidden / n_head,
            hidden,
            context_length: g.meta_usize("qwen2.context_length")?,
            rms_eps: g.meta_f32("qwen2.attention.layer_norm_rms_epsilon")?,
            rope_base: g.meta_f32("qwen2.rope.freq_base").unwrap_or(10_000.0),
        })
    }
}

struct Layer {
    wq: Linear,
    wk: Linear,
    wv: Linear,
    bq: Tensor,
    bk: Tensor,
    bv: Tensor,
    wo: Linear,
    attn_norm: Tensor,
    ffn_norm: Tensor,
    w_gate: Linear,
    w_up: Linear,
    w_down: Linear,
    k_cache: Tensor,
    v_cache: Tensor,
}

/// Quantised Qwen2 with a rewindable KV cache.
pub struct Qwen2 {
    cfg: Config,
    embed: Arc<QTensor>,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Linear,
    cos: Tensor,
    sin: Tensor,
    capacity: usize,
    /// Positions currently held in the KV cache.
    len: usize,
    device: Device,
}

impl std::fmt::Debug for Qwen2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Qwen2")
            .field("cfg", &self.cfg)
            .field("capacity", &self.capacity)
            .field("len", &self.len)
            .finish()
    }
}

/// Block of candle's repacked x86 kernels (AVX512-VNNI/AVX2 tiles): they need the inner
/// dimension to be a multiple of it, else candle falls back to a slower per-row AVX2 path.
const REPACK_K: usize = 256;

/// A quantised weight `[n, k]`, with `pad` zero columns appended when `k` is not a multiple of
/// [`REPACK_K`] (the input gets `pad` zeros too, which changes nothing in the product).
struct Linear {
    w: QMatMul,
    pad: usize,
}

impl Linear {
    fn new(t: QTensor, pad: usize) -> Result<Self> {
        Ok(Self {
            w: QMatMul::from_qtensor(t)?,
            pad,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if let Some(y) = self.forward_one(x)? {
            return Ok(y);
        }
        if self.pad == 0 {
            Ok(self.w.forward(x)?)
        } else {
            let x = x.pad_with_zeros(candle_core::D::Minus1, 0, self.pad)?;
            Ok(self.w.forward(&x)?)
        }
    }

    /// One token through the decode kernels of [`crate::gemv`]; None when they don't apply
    /// (several tokens, another format, a CPU without the kernels).
    fn forward_one(&self, x: &Tensor) -> Result<Option<Tensor>> {
        let QMatMul::QTensor(w) = &self.w else {
            return Ok(None);
        };
        let (n, k) = w.shape().dims2()?;
        if x.elem_count() + self.pad != k {
            return Ok(None);
        }
        let xs: Vec<f32> = x.flatten_all()?.to_vec1()?;
        let mut out = vec![0f32; n];
        let done = match w.dtype() {
            // Reads only the first `k - pad` columns of each padded row.
            GgmlDType::Q8_0 => crate::gemv::gemv_q8_0(w, &xs, &mut out)?,
            // K-quants are never padded.
            GgmlDType::Q4K | GgmlDType::Q6K if self.pad == 0 => {
                crate::gemv::gemv(w, &xs, &mut out)?
            }
            _ => false,
        };
        if !done {
            return Ok(None);
        }
        let mut dims = x.dims().to_vec();
        if let Some(last) = dims.last_mut() {
            *last = n;
        }
        Ok(Some(Tensor::from_vec(out, dims, x.device())?))
    }
}

/// Loads a weight, requantising Q5_0/Q5_1/Q4_0/Q4_1 to Q8_0 (candle has no SIMD kernel for
/// those on x86) and padding Q8_0 rows to a multiple of [`REPACK_K`].
fn load_linear(g: &mut GgufFile, name: &str, device: &Device) -> Result<Linear> {
    load_linear_with(g, name, device, true)
}

/// As [`load_linear`]; `pad: false` keeps Q8_0 rows as they are (for weights only ever
/// multiplied by one token, which never reach candle's tile kernel).
fn load_linear_with(g: &mut GgufFile, name: &str, device: &Device, pad: bool) -> Result<Linear> {
    let t = load_tensor(g, name, device)?;
    let t = match t.dtype() {
        GgmlDType::Q5_0 | GgmlDType::Q5_1 | GgmlDType::Q4_0 | GgmlDType::Q4_1 => {
            let f = t.dequantize(device)?;
            QTensor::quantize(&f, GgmlDType::Q8_0)?
        }
        _ => t,
    };
    let (t, pad) = if pad { pad_q8_0(t, device)? } else { (t, 0) };
    Linear::new(t, pad)
}

/// Appends zero blocks to each row of a Q8_0 matrix so that `k` is a multiple of [`REPACK_K`].
fn pad_q8_0(t: QTensor, device: &Device) -> Result<(QTensor, usize)> {
    let Ok((n, k)) = t.shape().dims2() else {
        return Ok((t, 0));
    };
    if t.dtype() != GgmlDType::Q8_0 || k % REPACK_K == 0 || n % 16 != 0 {
        return Ok((t, 0));
    }
    let k_pad = k.div_ceil(REPACK_K) * REPACK_K;
    let block = GgmlDType::Q8_0.type_size();
    let per_block = GgmlDType::Q8_0.block_size();
    let row = k / per_block * block;
    let row_pad = k_pad / per_block * block;
    let data = t.data()?;
    let mut out = vec![0u8; n * row_pad];
    for (src, dst) in data.chunks_exact(row).zip(out.chunks_exact_mut(row_pad)) {
        dst[..row].copy_from_slice(src);
    }
    let storage = candle_core::quantized::QStorage::from_data(
        std::borrow::Cow::Owned(out),
        device,
        GgmlDType::Q8_0,
    )?;
    Ok((QTensor::new(storage, (n, k_pad))?, k_pad - k))
}

fn load_tensor(g: &mut GgufFile, name: &str, device: &Device) -> Result<QTensor> {
    if !g.content().tensor_infos.contains_key(name) {
        return Err(g.invalid(format!("tensor {name} is missing")));
    }
    let (content, reader) = g.parts();
    Ok(content.tensor(reader, name, device)?)
}

fn load_f32(g: &mut GgufFile, name: &str, device: &Device) -> Result<Tensor> {
    Ok(load_tensor(g, name, device)?.dequantize(device)?)
}

impl Qwen2 {
    /// Loads the weights from `g` with a KV cache of `capacity` positions.
    ///
    /// # Errors
    /// [`crate::Error::InvalidGguf`] for missing metadata or tensors; candle errors otherwise.
    pub fn load(g: &mut GgufFile, capacity: usize) -> Result<Self> {
        let device = Device::Cpu;
        let cfg = Config::from_gguf(g)?;
        let capacity = capacity.min(cfg.context_length).max(1);
        let embed = Arc::new(load_tensor(g, "token_embd.weight", &device)?);
        let output = if g.content().tensor_infos.contains_key("output.weight") {
            // Only ever applied to the last position: with the VNNI kernel, no padding and
            // no tile copy (-300 MB for the 0.5B).
            load_linear_with(
                g,
                "output.weight",
                &device,
                !crate::gemv::has_vnni_kernels(),
            )?
        } else {
            // Tied embeddings: share the quantised table.
            Linear {
                w: QMatMul::from_arc(embed.clone())?,
                pad: 0,
            }
        };
        let norm = load_f32(g, "output_norm.weight", &device)?;
        let (cos, sin) = rope_tables(cfg.head_dim, cfg.rope_base, capacity, &device)?;
        let mut layers = Vec::with_capacity(cfg.n_layers);
        for i in 0..cfg.n_layers {
            let p = format!("blk.{i}");
            let cache_shape = (1, cfg.n_kv_head, capacity, cfg.head_dim);
            layers.push(Layer {
                wq: load_linear(g, &format!("{p}.attn_q.weight"), &device)?,
                wk: load_linear(g, &format!("{p}.attn_k.weight"), &device)?,
                wv: load_linear(g, &format!("{p}.attn_v.weight"), &device)?,
                bq: load_f32(g, &format!("{p}.attn_q.bias"), &device)?,
                bk: load_f32(g, &format!("{p}.attn_k.bias"), &device)?,
                bv: load_f32(g, &format!("{p}.attn_v.bias"), &device)?,
                wo: load_linear(g, &format!("{p}.attn_output.weight"), &device)?,
                attn_norm: load_f32(g, &format!("{p}.attn_norm.weight"), &device)?,
                ffn_norm: load_f32(g, &format!("{p}.ffn_norm.weight"), &device)?,
                w_gate: load_linear(g, &format!("{p}.ffn_gate.weight"), &device)?,
                w_up: load_linear(g, &format!("{p}.ffn_up.weight"), &device)?,
                w_down: load_linear(g, &format!("{p}.ffn_down.weight"), &device)?,
                // Zeroed allocations: pages are only committed as positions are written.
                k_cache: Tensor::zeros(cache_shape, DType::F32, &device)?,
                v_cache: Tensor::zeros(cache_shape, DType::F32, &device)?,
            });
        }
        Ok(Self {
            cfg,
            embed,
            layers,
            norm,
            output,
            cos,
            sin,
            capacity,
            len: 0,
            device,
        })
    }

    /// Network shape.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// Positions the KV cache can hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Positions currently in the KV cache.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the KV cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every position from `len` on; the first `len` stay valid (no copy).
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Runs `ids` at positions `len()..len()+ids.len()`, appends them to the KV cache and
    /// returns the logits (`[vocab]`, f32) of the last position.
    ///
    /// # Errors
    /// When the cache would overflow, or a tensor operation fails.
    pub fn forward(&mut self, ids: &[u32]) -> Result<Tensor> {
        let h = self.forward_hidden(ids)?;
        self.logits(&h)
    }

    /// Logits (`[vocab]`) from a hidden state returned by [`Qwen2::forward_hidden`].
    ///
    /// # Errors
    /// A tensor operation fails.
    pub fn logits(&self, hidden: &Tensor) -> Result<Tensor> {
        Ok(self.output.forward(hidden)?.flatten_all()?)
    }

    /// Logits of the tokens `ids` only (same order), from dequantised rows of the output
    /// matrix: for constrained decoding with a small allowed set this skips most of the
    /// largest matmul. The activation stays f32, so values can differ from [`Qwen2::logits`]
    /// in the last digits.
    ///
    /// # Errors
    /// An id beyond the vocabulary, or a tensor operation fails.
    pub fn logits_for(&self, hidden: &Tensor, ids: &[u32]) -> Result<Vec<f32>> {
        let QMatMul::QTensor(w) = &self.output.w else {
            let full: Vec<f32> = self.logits(hidden)?.to_vec1()?;
            return ids
                .iter()
                .map(|&i| {
                    full.get(i as usize).copied().ok_or_else(|| {
                        candle_core::Error::Msg(format!("token id {i} out of range")).into()
                    })
                })
                .collect();
        };
        let vocab = w.shape().dims2()?.0;
        if let Some(&bad) = ids.iter().find(|&&i| i as usize >= vocab) {
            return Err(candle_core::Error::Msg(format!("token id {bad} out of range")).into());
        }
        let idx = Tensor::new(ids, &self.device)?;
        let rows = w.embedding(&idx)?.narrow(1, 0, self.cfg.hidden)?; // drop any padding
        let h = hidden.flatten_all()?.reshape((self.cfg.hidden, 1))?;
        Ok(rows.matmul(&h)?.flatten_all()?.to_vec1()?)
    }

    /// Runs `ids` like [`Qwen2::forward`] and returns the final normalised hidden state of the
    /// last position (`[1, 1, hidden]`) instead of logits.
    ///
    /// # Errors
    /// When the cache would overflow, or a tensor operation fails.
    pub fn forward_hidden(&mut self, ids: &[u32]) -> Result<Tensor> {
        let seq = ids.len();
        let pos = self.len;
        if seq == 0 || pos + seq > self.capacity {
            return Err(crate::Error::ContextOverflow {
                tokens: pos + seq,
                max_new: 0,
                context: self.capacity,
            });
        }
        let cfg = &self.cfg;
        let ids_t = Tensor::new(ids, &self.device)?;
        let mut x = self
            .embed
            .embedding(&ids_t)?
            .reshape((1, seq, cfg.hidden))?;
        let mask = if seq > 1 {
            Some(causal_mask(seq, pos, &self.device)?)
        } else {
            None
        };
        let cos = self.cos.narrow(0, pos, seq)?;
        let sin = self.sin.narrow(0, pos, seq)?;
        let eps = cfg.rms_eps;
        let (n_head, n_kv, hd) = (cfg.n_head, cfg.n_kv_head, cfg.head_dim);
        let n_rep = n_head / n_kv;
        let scale = 1.0 / (hd as f64).sqrt();
        let kv_len = pos + seq;
        for layer in &self.layers {
            let residual = x.clone();
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, eps)?;
            let q = layer.wq.forward(&h)?.broadcast_add(&layer.bq)?;
            let k = layer.wk.forward(&h)?.broadcast_add(&layer.bk)?;
            let v = layer.wv.forward(&h)?.broadcast_add(&layer.bv)?;
            let q = q
                .reshape((1, seq, n_head, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let k = k
                .reshape((1, seq, n_kv, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let v = v
                .reshape((1, seq, n_kv, hd))?
                .transpose(1, 2)?
                .contiguous()?;
            let q = candle_nn::rotary_emb::rope(&q, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope(&k, &cos, &sin)?;
            layer.k_cache.slice_set(&k, 2, pos)?;
            layer.v_cache.slice_set(&v, 2, pos)?;
            let keys = layer.k_cache.narrow(2, 0, kv_len)?;
            let values = layer.v_cache.narrow(2, 0, kv_len)?;
            // Group the n_rep query heads sharing one KV head: [1, n_kv, n_rep*seq, hd].
            let q = q.reshape((1, n_kv, n_rep * seq, hd))?;
            let att = (q.matmul(&keys.t()?)? * scale)?;
            let att = match &mask {
                None => att,
                Some(m) => att
                    .reshape((1, n_kv, n_rep, seq, kv_len))?
                    .broadcast_add(m)?
                    .reshape((1, n_kv, n_rep * seq, kv_len))?,
            };
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&values)?; // [1, n_kv, n_rep*seq, hd]
            let y =
                y.reshape((1, n_head, seq, hd))?
                    .transpose(1, 2)?
                    .reshape((1, seq, n_head * hd))?;
            let y = layer.wo.forward(&y)?;
            x = (y + residual)?;

            let residual = x.clone();
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            let gate = layer.w_gate.forward(&h)?;
            let up = layer.w_up.forward(&h)?;
            let h = (candle_nn::ops::silu(&gate)? * up)?;
            let h = layer.w_down.forward(&h)?;
            x = (h + residual)?;
        }
        self.len = kv_len;
        let last = x.narrow(1, seq - 1, 1)?;
        Ok(candle_nn::ops::rms_norm(&last, &self.norm, eps)?)
    }
}

/// Additive causal mask `[seq, pos+seq]`: 0 where key j ≤ pos+i, -inf elsewhere.
fn causal_mask(seq: usize, pos: usize, device: &Device) -> Result<Tensor> {
    let kv = pos + seq;
    let mask: Vec<f32> = (0..seq)
        .flat_map(|i| (0..kv).map(move |j| if j > pos + i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Ok(Tensor::from_vec(mask, (seq, kv), device)?)
}

fn rope_tables(
    head_dim: usize,
    base: f32,
    len: usize,
    device: &Device,
) -> Result<(Tensor, Tensor)> {
    let half = head_dim / 2;
    let inv: Vec<f32> = (0..half)
        .map(|i| 1.0 / base.powf((2 * i) as f32 / head_dim as f32))
        .collect();
    let mut cos = Vec::with_capacity(len * half);
    let mut sin = Vec::with_capacity(len * half);
    for p in 0..len {
        for f in &inv {
            let a = p as f32 * f;
            cos.push(a.cos());
            sin.push(a.sin());
        }
    }
    Ok((
        Tensor::from_vec(cos, (len, half), device)?,
        Tensor::from_vec(sin, (len, half), device)?,
    ))
}

/// Index of the largest value among `allowed` (or all) logits; ties go to the lowest id.
pub(crate) fn argmax(logits: &[f32], allowed: Option<&[u32]>) -> Option<u32> {
    let mut best: Option<(u32, f32)> = None;
    let mut consider = |id: u32, v: f32| {
        if v.is_nan() {
            return;
        }
        match best {
            Some((_, b)) if v <= b => {}
            _ => best = Some((id, v)),
        }
    };
    match allowed {
        None => {
            for (i, &v) in logits.iter().enumerate() {
                consider(i as u32, v);
            }
        }
        Some(ids) => {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            ids.dedup();
            for id in ids {
                if let Some(&v) = logits.get(id as usize) {
                    consider(id, v);
                }
            }
        }
    }
    best.map(|(id, _)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_respects_mask_and_ties() {
        let l = [0.1, 3.0, 3.0, -1.0];
        assert_eq!(argmax(&l, None), Some(1));
        assert_eq!(argmax(&l, Some(&[3, 0])), Some(0));
        assert_eq!(argmax(&l, Some(&[2])), Some(2));
        assert_eq!(argmax(&l, Some(&[9])), None);
        assert_eq!(argmax(&l, Some(&[])), None);
    }

    #[test]
    fn mask_is_causal_with_offset() {
        let m = causal_mask(2, 3, &Device::Cpu).unwrap();
        let v: Vec<Vec<f32>> = m.to_vec2().unwrap();
        assert_eq!(v[0], vec![0.0, 0.0, 0.0, 0.0, f32::NEG_INFINITY]);
        assert_eq!(v[1], vec![0.0; 5]);
    }
}
