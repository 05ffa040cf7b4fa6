// Reading a request or response body with a size cap: refused as soon as the declared length or
// the bytes read pass `max`, and the stream is cancelled, so a huge body never fills memory.

/** The whole body, or `null` when it is larger than `max` bytes. */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  declaredLength: string | null,
  max: number,
): Promise<Uint8Array<ArrayBuffer> | null> {
  if (declaredLength !== null && /^\d+$/.test(declaredLength) && Number(declaredLength) > max) {
    await body?.cancel().catch(() => {});
    return null;
  }
  if (body === null) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}
