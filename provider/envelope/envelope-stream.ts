/** Envelope encryption and decryption as async generators over byte streams: one chunk in memory at a time. */
import { EnvelopeError, parseHeader, type ChunkCipher, type EnvelopeHeader } from './envelope-format.js';

type Source = AsyncIterable<Buffer | Uint8Array | string>;

const asBuffer = (p: Buffer | Uint8Array | string): Buffer => (Buffer.isBuffer(p) ? p : typeof p === 'string' ? Buffer.from(p) : Buffer.from(p.buffer, p.byteOffset, p.byteLength));

/**
 * Yields the header then the sealed chunks of `src`. A full chunk is sealed only once a further
 * byte (or the end) is seen, so the last chunk is the one sealed final. `onBytes` counts input.
 */
export async function* encryptStream(src: Source, headerBytes: Buffer, header: EnvelopeHeader, cipher: ChunkCipher, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  yield headerBytes;
  const size = header.chunkSize;
  const buf = Buffer.allocUnsafe(size);
  let fill = 0;
  let index = 0;
  try {
    for await (const raw of src) {
      const piece = asBuffer(raw);
      onBytes?.(piece.length);
      let off = 0;
      while (off < piece.length) {
        if (fill === size) {
          yield* cipher.seal(buf, index++, false);
          fill = 0;
        }
        const n = Math.min(size - fill, piece.length - off);
        piece.copy(buf, fill, off, off + n);
        fill += n;
        off += n;
      }
    }
    yield* cipher.seal(buf.subarray(0, fill), index, true);
  } finally {
    buf.fill(0);
  }
}

/** Reads the header from the front of `src`: the header, its bytes and an iterator over what follows. */
export async function readHeader(src: Source): Promise<{ header: EnvelopeHeader; headerBytes: Buffer; rest: AsyncGenerator<Buffer> }> {
  const it = src[Symbol.asyncIterator]();
  let acc = Buffer.alloc(0);
  for (;;) {
    const parsed = parseHeader(acc);
    if (parsed) {
      const leftover = acc.subarray(parsed.length);
      async function* rest(): AsyncGenerator<Buffer> {
        if (leftover.length) yield leftover;
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          yield asBuffer(r.value);
        }
      }
      return { header: parsed.header, headerBytes: Buffer.from(acc.subarray(0, parsed.length)), rest: rest() };
    }
    const r = await it.next();
    if (r.done) throw new EnvelopeError(acc.length ? 'truncated dew envelope: the header is incomplete' : 'empty input: not a dew envelope');
    acc = Buffer.concat([acc, asBuffer(r.value)]);
    if (acc.length > 1 << 20) throw new EnvelopeError('not a dew envelope (header too long)');
  }
}

/**
 * Yields the plaintext of the chunks in `rest`. A full record is opened as non-final only once a
 * further byte is seen; whatever remains at the end is opened as the final chunk.
 */
export async function* decryptStream(rest: AsyncIterable<Buffer>, header: EnvelopeHeader, cipher: ChunkCipher, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  const record = header.chunkSize + cipher.tagLength;
  const buf = Buffer.allocUnsafe(record);
  let fill = 0;
  let index = 0;
  try {
    for await (const piece of rest) {
      onBytes?.(piece.length);
      let off = 0;
      while (off < piece.length) {
        if (fill === record) {
          yield cipher.open(buf, index++, false);
          fill = 0;
        }
        const n = Math.min(record - fill, piece.length - off);
        piece.copy(buf, fill, off, off + n);
        fill += n;
        off += n;
      }
    }
    if (fill === 0) throw new EnvelopeError(index === 0 ? 'truncated dew envelope: no chunks after the header' : `truncated dew envelope: the final chunk is missing after chunk ${index - 1}`);
    if (fill < cipher.tagLength) throw new EnvelopeError(`truncated dew envelope: chunk ${index} is shorter than its tag`);
    yield cipher.open(buf.subarray(0, fill), index, true);
  } finally {
    buf.fill(0);
  }
}
