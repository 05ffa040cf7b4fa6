// Base64 decoding for the facade: the embedded WASM module (standard alphabet) and the payload
// segment of a token the core has verified (URL alphabet, no padding).

type FromBase64 = (s: string, o?: { alphabet: "base64" | "base64url" }) => Uint8Array<ArrayBuffer>;

export function decodeBase64(
  text: string,
  alphabet: "base64" | "base64url",
): Uint8Array<ArrayBuffer> {
  // Uint8Array.fromBase64 is recent; older runtimes take the atob path.
  const native = (Uint8Array as unknown as { fromBase64?: FromBase64 }).fromBase64;
  if (typeof native === "function") return native(text, { alphabet });
  const std = alphabet === "base64" ? text : text.replaceAll("-", "+").replaceAll("_", "/");
  const binary = atob(std + "=".repeat((4 - (std.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
