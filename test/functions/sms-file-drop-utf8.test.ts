import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { expect } from "chai";
import { InvalidUtf8Error, Utf8Validator, utf8Guard } from "../../functions/sms-file-drop/utf8";

/** The first invalid offset the validator reports when `bytes` arrives in chunks of `size`. */
function firstInvalid(bytes: Uint8Array, size: number): number {
  const validator = new Utf8Validator();
  for (let i = 0; i < bytes.length; i += size) {
    const invalid = validator.push(bytes.subarray(i, i + size));
    if (invalid >= 0) return invalid;
  }
  return validator.end();
}

function fatalDecodes(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

describe("SMS file drop: UTF-8 guard", () => {
  const cases: Array<[string, number[], number]> = [
    ["ASCII", [0x61, 0x2c, 0x62], -1],
    ["a BOM and é", [0xef, 0xbb, 0xbf, 0xc3, 0xa9], -1],
    ["an emoji", [0xf0, 0x9f, 0x91, 0x8b], -1],
    ["Latin-1 é before a comma", [0x63, 0x61, 0x66, 0xe9, 0x2c], 3],
    ["a lone continuation byte", [0x61, 0x80], 1],
    ["an overlong slash", [0xc0, 0xaf], 0],
    ["an overlong 3-byte form", [0xe0, 0x80, 0xaf], 0],
    ["a UTF-16 surrogate", [0xed, 0xa0, 0x80], 0],
    ["a code point above U+10FFFF", [0xf4, 0x90, 0x80, 0x80], 0],
    ["a sequence cut off at the end", [0x61, 0xe2, 0x82], 1],
  ];
  for (const [name, bytes, expected] of cases) {
    it(`reports ${name} at ${expected}, in any chunking, agreeing with TextDecoder's fatal mode`, () => {
      const input = Uint8Array.from(bytes);
      for (const size of [1, 2, 3, bytes.length]) expect(firstInvalid(input, size), `chunks of ${size}`).to.equal(expected);
      expect(fatalDecodes(input)).to.equal(expected === -1);
    });
  }

  it("agrees with TextDecoder's fatal mode on random byte strings", () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let n = 0; n < 2000; n++) {
      const bytes = Uint8Array.from({ length: 1 + Math.floor(random() * 12) }, () => (random() < 0.5 ? 0x61 : Math.floor(random() * 256)));
      expect(firstInvalid(bytes, 1 + Math.floor(random() * 4)) === -1, Buffer.from(bytes).toString("hex")).to.equal(fatalDecodes(bytes));
    }
  });

  it("passes valid bytes through unchanged and fails the stream with the offset of the first invalid byte", async () => {
    const out: Buffer[] = [];
    await pipeline(Readable.from([Buffer.from("héllo\n"), Buffer.from("wörld")]), utf8Guard(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) out.push(chunk);
    });
    expect(Buffer.concat(out).toString("utf8")).to.equal("héllo\nwörld");

    let error: unknown;
    await pipeline(Readable.from([Buffer.from("ok\n"), Buffer.from([0x61, 0xff])]), utf8Guard(), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) void chunk;
    }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(InvalidUtf8Error);
    expect((error as InvalidUtf8Error).byteOffset).to.equal(4);
  });
});
