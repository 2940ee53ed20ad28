/**
 * SHA-256 (FIPS 180-4 §6.2) in pure, synchronous TypeScript, for the browser-safe Merkle log.
 *
 * One module-level hashing state is reused by every call (the functions are synchronous and never
 * re-enter), so hashing allocates only the 32-byte result. Messages are limited to 2^53 − 1 bytes.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
])

const IV = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19])

/** Scratch state shared by all calls (safe: everything here is synchronous). */
const H = new Uint32Array(8)
const W = new Uint32Array(64)
const block = new Uint8Array(64)
let blockLen = 0
let totalLen = 0

/** Processes one 64-byte block of `src` starting at `off` (FIPS 180-4 §6.2.2). */
function compress(src: Uint8Array, off: number): void {
  for (let t = 0; t < 16; t++) {
    const i = off + t * 4
    W[t] = ((src[i] as number) << 24) | ((src[i + 1] as number) << 16) | ((src[i + 2] as number) << 8) | (src[i + 3] as number)
  }
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15] as number
    const w2 = W[t - 2] as number
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3)
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10)
    W[t] = (s1 + (W[t - 7] as number) + s0 + (W[t - 16] as number)) | 0
  }
  let a = H[0] as number
  let b = H[1] as number
  let c = H[2] as number
  let d = H[3] as number
  let e = H[4] as number
  let f = H[5] as number
  let g = H[6] as number
  let h = H[7] as number
  for (let t = 0; t < 64; t++) {
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))
    const ch = (e & f) ^ (~e & g)
    const t1 = (h + S1 + ch + (K[t] as number) + (W[t] as number)) | 0
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))
    const maj = (a & b) ^ (a & c) ^ (b & c)
    const t2 = (S0 + maj) | 0
    h = g
    g = f
    f = e
    e = (d + t1) | 0
    d = c
    c = b
    b = a
    a = (t1 + t2) | 0
  }
  H[0] = (H[0] as number) + a
  H[1] = (H[1] as number) + b
  H[2] = (H[2] as number) + c
  H[3] = (H[3] as number) + d
  H[4] = (H[4] as number) + e
  H[5] = (H[5] as number) + f
  H[6] = (H[6] as number) + g
  H[7] = (H[7] as number) + h
}

function reset(): void {
  H.set(IV)
  blockLen = 0
  totalLen = 0
}

function updateByte(x: number): void {
  block[blockLen++] = x
  totalLen++
  if (blockLen === 64) {
    compress(block, 0)
    blockLen = 0
  }
}

function update(data: Uint8Array): void {
  const n = data.length
  let i = 0
  totalLen += n
  if (blockLen > 0) {
    const take = Math.min(64 - blockLen, n)
    block.set(data.subarray(0, take), blockLen)
    blockLen += take
    i = take
    if (blockLen < 64) return
    compress(block, 0)
    blockLen = 0
  }
  for (; i + 64 <= n; i += 64) compress(data, i)
  if (i < n) {
    block.set(data.subarray(i), 0)
    blockLen = n - i
  }
}

/** Pads (FIPS 180-4 §5.1.1), processes the last block(s) and returns the digest. */
function finish(): Uint8Array {
  const bits = totalLen * 8
  block[blockLen++] = 0x80
  if (blockLen > 56) {
    block.fill(0, blockLen)
    compress(block, 0)
    blockLen = 0
  }
  block.fill(0, blockLen, 56)
  const hi = Math.floor(bits / 0x1_0000_0000)
  const lo = bits >>> 0
  block[56] = hi >>> 24
  block[57] = hi >>> 16
  block[58] = hi >>> 8
  block[59] = hi
  block[60] = lo >>> 24
  block[61] = lo >>> 16
  block[62] = lo >>> 8
  block[63] = lo
  compress(block, 0)
  const out = new Uint8Array(32)
  for (let j = 0; j < 8; j++) {
    const v = H[j] as number
    out[j * 4] = v >>> 24
    out[j * 4 + 1] = v >>> 16
    out[j * 4 + 2] = v >>> 8
    out[j * 4 + 3] = v
  }
  return out
}

/** SHA-256 digest (32 bytes) of the given bytes. */
export function sha256(data: Uint8Array): Uint8Array {
  reset()
  update(data)
  return finish()
}

/**
 * SHA-256 of `prefix ‖ a ‖ b` without building the concatenation: `prefix` is one byte (0–255),
 * `b` is optional. This is the shape of the RFC 6962 leaf (0x00 ‖ entry) and node (0x01 ‖ l ‖ r) hashes.
 */
export function sha256Prefixed(prefix: number, a: Uint8Array, b?: Uint8Array): Uint8Array {
  reset()
  updateByte(prefix & 0xff)
  update(a)
  if (b !== undefined) update(b)
  return finish()
}
