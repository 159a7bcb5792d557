import { expect } from "chai";
import { analyzeSmsBody, isGsm7, nonGsm7Characters } from "../../functions/shared/sms/sms-encoding";

describe("SMS encoding and segment counting", () => {
  const cases: Array<[string, string, { encoding: string; units: number; segments: number }]> = [
    ["empty", "", { encoding: "GSM-7", units: 0, segments: 0 }],
    ["the sample message", "Here is a long message, with a comma", { encoding: "GSM-7", units: 36, segments: 1 }],
    ["160 GSM-7 characters", "a".repeat(160), { encoding: "GSM-7", units: 160, segments: 1 }],
    ["161 GSM-7 characters", "a".repeat(161), { encoding: "GSM-7", units: 161, segments: 2 }],
    ["306 GSM-7 characters", "a".repeat(306), { encoding: "GSM-7", units: 306, segments: 2 }],
    ["307 GSM-7 characters", "a".repeat(307), { encoding: "GSM-7", units: 307, segments: 3 }],
    ["extension characters cost two septets", "€".repeat(80), { encoding: "GSM-7", units: 160, segments: 1 }],
    ["an escape pair is not split across segments", "a".repeat(152) + "€" + "a".repeat(10), { encoding: "GSM-7", units: 164, segments: 2 }],
    ["an escape pair at a boundary moves to the next segment", "a".repeat(152) + "€" + "a".repeat(152), { encoding: "GSM-7", units: 306, segments: 3 }],
    ["accented letters in the GSM table stay GSM-7", "Café à Paris, ¿qué tal? Ñ ü ø Å", { encoding: "GSM-7", units: 31, segments: 1 }],
    ["a character outside GSM-7 switches to UCS-2", "Olá, tudo bem? ç", { encoding: "UCS-2", units: 16, segments: 1 }],
    ["70 UCS-2 units", "ж".repeat(70), { encoding: "UCS-2", units: 70, segments: 1 }],
    ["71 UCS-2 units", "ж".repeat(71), { encoding: "UCS-2", units: 71, segments: 2 }],
    ["134 UCS-2 units", "ж".repeat(134), { encoding: "UCS-2", units: 134, segments: 2 }],
    ["an emoji is two units", "🙂".repeat(35), { encoding: "UCS-2", units: 70, segments: 1 }],
    ["a surrogate pair is not split across segments", "ж".repeat(66) + "🙂" + "ж".repeat(10), { encoding: "UCS-2", units: 78, segments: 2 }],
    ["a surrogate pair at a boundary moves to the next segment", "ж".repeat(66) + "🙂" + "ж".repeat(66), { encoding: "UCS-2", units: 134, segments: 3 }],
  ];
  for (const [name, text, expected] of cases) {
    it(`counts ${name}`, () => {
      const analysis = analyzeSmsBody(text);
      expect({ encoding: analysis.encoding, units: analysis.units, segments: analysis.segments }).to.deep.equal(expected);
    });
  }

  it("recognizes the full GSM-7 basic and extension tables", () => {
    const basic =
      "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    expect(Array.from(basic)).to.have.length(127);
    expect(isGsm7(basic)).to.equal(true);
    expect(isGsm7("\f^{}\\[~]|€")).to.equal(true);
    expect(analyzeSmsBody("\f^{}\\[~]|€").units).to.equal(20);
    expect(isGsm7("`")).to.equal(false);
  });

  it("lists the characters that force UCS-2, once each, in order", () => {
    expect(nonGsm7Characters("ça va? “oui” ç")).to.deep.equal(["ç", "“", "”"]);
  });
});
