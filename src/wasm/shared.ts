// The thread pool's variant of a kernel binary, derived from the shipped one at load time.
//
// Threads need every instance (the calling thread's and each worker's) to run on one shared
// `WebAssembly.Memory`. A shipped binary defines its own, unshared memory; this rewrites that
// definition into an import of a shared memory with a declared maximum (a shared memory must
// have one), and changes nothing else: the code is byte for byte the same, so a kernel
// computes the same bits in either variant. Why at load time and not as more asc targets:
// building twice the targets would double the kernel build, and bundlers would have to emit
// twice the files; the rewrite is a copy of a few hundred kilobytes.
//
// The data segments stay active: every instantiation writes them again. That is harmless only
// because nothing static is mutable any more: each instance moves its scratch blocks to a
// region of its own (setScratch, assembly/index.ts), and what remains static are constant
// tables, rewritten with the same bytes.

/** Maximum pages of the shared memory: wasm32's whole 4 GiB (what the arena allows). */
export const SHARED_MAX_PAGES = 65536;

/** Reads an unsigned LEB128 at `pos`; returns [value, next position]. */
function leb(bytes: Uint8Array, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++]!;
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, pos];
    shift += 7;
  }
}

function encodeLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** A section's bytes: id, size, body (pushed as parts, not spread: bodies are large). */
function section(id: number, body: Uint8Array): Uint8Array[] {
  return [Uint8Array.from([id, ...encodeLeb(body.length)]), body];
}

const ENV_MEMORY = [3, 0x65, 0x6e, 0x76, 6, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79]; // "env" "memory"

/**
 * The shared-memory variant of a kernel binary: its one defined memory becomes the import
 * `env.memory` (shared, `SHARED_MAX_PAGES` maximum). Returns the new binary and the memory's
 * minimum in pages; null when the binary is not shaped as expected (then threads stay off).
 * @internal
 */
export function sharedVariant(bytes: Uint8Array): { bytes: Uint8Array<ArrayBuffer>; minPages: number } | null {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return null;
  const sections: { id: number; body: Uint8Array }[] = [];
  for (let pos = 8; pos < bytes.length;) {
    const id = bytes[pos]!;
    const [size, start] = leb(bytes, pos + 1);
    sections.push({ id, body: bytes.subarray(start, start + size) });
    pos = start + size;
  }
  const memory = sections.find((s) => s.id === 5);
  if (!memory) return null;
  const [count, p0] = leb(memory.body, 0);
  if (count !== 1) return null;
  const flags = memory.body[p0]!;
  if (flags !== 0 && flags !== 1) return null; // already shared, or 64-bit
  const [minPages] = leb(memory.body, p0 + 1);
  // limits: flags 3 = has maximum, shared
  const entry = [...ENV_MEMORY, 0x02, 0x03, ...encodeLeb(minPages), ...encodeLeb(SHARED_MAX_PAGES)];
  const out: Uint8Array[] = [bytes.subarray(0, 8)];
  let imported = false;
  const addImport = (body: Uint8Array | null): void => {
    let n = 0;
    let rest: Uint8Array = new Uint8Array(0);
    if (body) {
      const [c, p] = leb(body, 0);
      n = c;
      rest = body.subarray(p);
    }
    const head = Uint8Array.from(encodeLeb(n + 1));
    const body2 = new Uint8Array(head.length + rest.length + entry.length);
    body2.set(head);
    body2.set(rest, head.length);
    body2.set(entry, head.length + rest.length);
    out.push(...section(2, body2));
    imported = true;
  };
  for (const s of sections) {
    if (s.id === 5) continue;
    // Known sections come in id order (type 1, import 2, function 3, …); custom ones (0) anywhere.
    if (!imported && s.id !== 0 && s.id > 2) addImport(null);
    if (s.id === 2) addImport(s.body);
    else out.push(...section(s.id, s.body));
  }
  if (!imported) return null;
  const result = new Uint8Array(out.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of out) {
    result.set(part, at);
    at += part.length;
  }
  return { bytes: result, minPages };
}
