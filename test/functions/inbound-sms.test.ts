import { expect } from "chai";
import {
  buildKeywordSets,
  classifyKeyword,
  DEFAULT_OPT_OUT_KEYWORDS,
  normalizeKeyword,
  parseInboundSms,
  type KeywordClass,
} from "../../functions/shared/inbound-sms";
import { parseWordList } from "../../functions/shared/sms-config";
import { fixtureJson } from "./sms-test-helpers";

describe("inbound SMS keyword classification", () => {
  const defaults = buildKeywordSets();

  const cases: Array<[string, KeywordClass]> = [
    ["stop", "OPT_OUT"],
    [" Stop. ", "OPT_OUT"],
    ["REVOKE", "OPT_OUT"],
    ["STOPALL", "OPT_OUT"],
    ["Unsubscribe!", "OPT_OUT"],
    ["opt   out", "OPT_OUT"],
    ["Opt-Out", "OPT_OUT"],
    ["optout", "OPT_OUT"],
    ["cancel", "OPT_OUT"],
    ["END", "OPT_OUT"],
    ["quit", "OPT_OUT"],
    ["\"STOP\"", "OPT_OUT"],
    ["🛑 stop 🛑", "OPT_OUT"],
    ["ＳＴＯＰ", "OPT_OUT"],
    ["\tstop\r\n", "OPT_OUT"],
    ["START", "OPT_IN"],
    ["unstop", "OPT_IN"],
    ["Yes!", "OPT_IN"],
    ["help", "HELP"],
    ["HELP?", "HELP"],
    ["info", "HELP"],
    ["Please SEND info", "NONE"],
    ["weekend", "NONE"],
    ["see you this weekend", "NONE"],
    ["don't stop", "NONE"],
    ["stop please", "NONE"],
    ["quite good", "NONE"],
    ["no cancellation please", "NONE"],
    ["STANDARD", "NONE"],
    ["ARRET", "NONE"],
    ["REMOVE", "NONE"],
    ["", "NONE"],
    ["   ", "NONE"],
  ];
  for (const [body, expected] of cases) {
    it(`classifies ${JSON.stringify(body)} as ${expected}`, () => {
      expect(classifyKeyword(body, defaults).keywordClass).to.equal(expected);
    });
  }

  it("returns the normalized keyword that matched", () => {
    expect(classifyKeyword(" opt-OUT! ", defaults)).to.deep.equal({ keywordClass: "OPT_OUT", keyword: "OPT-OUT" });
    expect(classifyKeyword("hello", defaults)).to.deep.equal({ keywordClass: "NONE" });
  });

  it("normalizes by trimming, stripping surrounding punctuation and collapsing internal whitespace", () => {
    expect(normalizeKeyword(" Stop. ")).to.equal("STOP");
    expect(normalizeKeyword("...opt \t out!!")).to.equal("OPT OUT");
    expect(normalizeKeyword("opt-out")).to.equal("OPT-OUT");
    expect(normalizeKeyword("Please SEND info")).to.equal("PLEASE SEND INFO");
  });

  it("adds localized opt-out words through configuration", () => {
    const sets = buildKeywordSets({ optOut: [...DEFAULT_OPT_OUT_KEYWORDS, "ARRET", "ARRÊT"] });
    expect(classifyKeyword("arret", sets).keywordClass).to.equal("OPT_OUT");
    expect(classifyKeyword("Arrêt.", sets).keywordClass).to.equal("OPT_OUT");
    expect(classifyKeyword("stop", sets).keywordClass).to.equal("OPT_OUT");
  });

  it("replaces a whole set when one is configured", () => {
    const sets = buildKeywordSets({ optIn: ["SUBSCRIBE"] });
    expect(classifyKeyword("subscribe", sets).keywordClass).to.equal("OPT_IN");
    expect(classifyKeyword("start", sets).keywordClass).to.equal("NONE");
  });

  it("rejects a keyword configured in two classes and a keyword that normalizes to nothing", () => {
    expect(() => buildKeywordSets({ optIn: ["START", "YES"], help: ["HELP", "yes"] })).to.throw(
      'keyword "YES" is in both the opt-in and the help keywords',
    );
    expect(() => buildKeywordSets({ optOut: ["STOP", "!!"] })).to.throw('opt-out keyword "!!" is empty after normalization');
  });
});

describe("inbound SMS payload", () => {
  it("parses the two-way SMS fixture carried in an SNS record", () => {
    const event = fixtureJson<{ Records: Array<{ Sns: { Message: string } }> }>("inbound-sms-sns-event.json");
    expect(parseInboundSms(event.Records[0]!.Sns.Message)).to.deep.equal({
      originationNumber: "+14255550182",
      destinationNumber: "+12065550142",
      messageKeyword: "KEYWORD_123456789012",
      messageBody: " Stop. ",
      inboundMessageId: "cae173d2-66b9-564c-8309-21f858e9fb84",
      previousPublishedMessageId: "wJalrXUtnFEMI/K7MDENG/bPxRfiCY",
    });
  });

  it("reports a message that is not JSON", () => {
    expect(() => parseInboundSms("STOP")).to.throw("Inbound SMS message is not valid JSON");
  });

  it("names every missing or invalid field", () => {
    expect(() => parseInboundSms(JSON.stringify({ originationNumber: "4255550182", destinationNumber: "+12065550142", messageBody: "STOP" }))).to.throw(
      "Inbound SMS message is invalid: originationNumber: originationNumber must be an E.164 phone number; inboundMessageId: Invalid input: expected string, received undefined",
    );
  });
});

describe("keyword list configuration", () => {
  it("accepts a JSON array or a comma-separated list", () => {
    expect(parseWordList('["STOP", "OPT OUT"]')).to.deep.equal(["STOP", "OPT OUT"]);
    expect(parseWordList("STOP, ARRET ,QUIT")).to.deep.equal(["STOP", "ARRET", "QUIT"]);
  });

  it("rejects JSON that is not an array of strings", () => {
    expect(() => parseWordList("[1, 2]")).to.throw("must be a JSON array of strings");
  });
});
