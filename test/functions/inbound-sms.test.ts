import { expect } from "chai";
import {
  buildKeywordSets,
  classifyKeyword,
  AWS_REQUIRED_OPT_OUT_KEYWORDS,
  DEFAULT_OPT_OUT_KEYWORDS,
  normalizeKeyword,
  parseInboundSms,
  type KeywordClass,
} from "../../functions/shared/sms/inbound-sms";
import { parseWordList } from "../../functions/shared/sms/sms-config";
import { fixtureJson } from "./sms-test-helpers";

describe("inbound SMS keyword classification", () => {
  const defaults = buildKeywordSets();

  // [message, class, keyword that matched]: the keyword policy, in full (see inbound-sms.ts).
  const cases: Array<[string, KeywordClass, string | undefined]> = [
    // AWS's required opt-out list, each word alone.
    ["ARRET", "OPT_OUT", "ARRET"],
    ["cancel", "OPT_OUT", "CANCEL"],
    ["END", "OPT_OUT", "END"],
    ["Opt-Out", "OPT_OUT", "OPT-OUT"],
    ["optout", "OPT_OUT", "OPTOUT"],
    ["quit", "OPT_OUT", "QUIT"],
    ["Remove", "OPT_OUT", "REMOVE"],
    ["stop", "OPT_OUT", "STOP"],
    ["td", "OPT_OUT", "TD"],
    ["Unsubscribe!", "OPT_OUT", "UNSUBSCRIBE"],
    // The FCC's words and STOPALL.
    ["REVOKE", "OPT_OUT", "REVOKE"],
    ["opt   out", "OPT_OUT", "OPT OUT"],
    ["STOPALL", "OPT_OUT", "STOPALL"],
    // Normalization.
    [" Stop. ", "OPT_OUT", "STOP"],
    ["stop.", "OPT_OUT", "STOP"],
    ['"STOP"', "OPT_OUT", "STOP"],
    ["🛑 stop 🛑", "OPT_OUT", "STOP"],
    ["ＳＴＯＰ", "OPT_OUT", "STOP"],
    ["\tstop\r\n", "OPT_OUT", "STOP"],
    // First word(s) decide.
    ["STOP ALL", "OPT_OUT", "STOP"],
    ["Stop please", "OPT_OUT", "STOP"],
    ["stop, please!", "OPT_OUT", "STOP"],
    ["Stop texting me", "OPT_OUT", "STOP"],
    ["opt out of everything", "OPT_OUT", "OPT OUT"],
    ["Remove me from this list", "OPT_OUT", "REMOVE"],
    ["Cancel my appointment", "OPT_OUT", "CANCEL"],
    ["STOP HELP", "OPT_OUT", "STOP"],
    ["Help me understand this", "HELP", "HELP"],
    ["help", "HELP", "HELP"],
    ["HELP?", "HELP", "HELP"],
    ["info", "HELP", "INFO"],
    ["Info please", "HELP", "INFO"],
    // Opt-in: the whole message only.
    ["START", "OPT_IN", "START"],
    ["unstop", "OPT_IN", "UNSTOP"],
    ["Yes!", "OPT_IN", "YES"],
    ["Yes, see you then", "NONE", undefined],
    ["Start time is 5pm?", "NONE", undefined],
    // Whole words only: never substrings, never a later word.
    ["SEND", "NONE", undefined],
    ["WEEKEND", "NONE", undefined],
    ["Please SEND info", "NONE", undefined],
    ["see you this weekend", "NONE", undefined],
    ["don't stop", "NONE", undefined],
    ["please don't text me anymore", "NONE", undefined],
    ["Stopped by the store", "NONE", undefined],
    ["quite good", "NONE", undefined],
    ["no cancellation please", "NONE", undefined],
    ["Information about my order", "NONE", undefined],
    ["STANDARD", "NONE", undefined],
    ["OPT", "NONE", undefined],
    ["STOP-ALL", "NONE", undefined],
    ["", "NONE", undefined],
    ["   ", "NONE", undefined],
  ];
  for (const [body, expected, keyword] of cases) {
    it(`classifies ${JSON.stringify(body)} as ${expected}${keyword ? ` (${keyword})` : ""}`, () => {
      expect(classifyKeyword(body, defaults)).to.deep.equal(keyword === undefined ? { keywordClass: expected } : { keywordClass: expected, keyword });
    });
  }

  it("has every keyword AWS End User Messaging requires in its default sets", () => {
    expect([...AWS_REQUIRED_OPT_OUT_KEYWORDS]).to.deep.equal(["ARRET", "CANCEL", "END", "OPT-OUT", "OPTOUT", "QUIT", "REMOVE", "STOP", "TD", "UNSUBSCRIBE"]);
    expect([...defaults.optOut]).to.include.members([...AWS_REQUIRED_OPT_OUT_KEYWORDS, "REVOKE", "OPT OUT"]);
    expect([...defaults.optIn]).to.include.members(["START", "UNSTOP"]);
    expect([...defaults.help]).to.include("HELP");
  });

  it("matches a configured multi-word keyword by its leading words and prefers the longest", () => {
    const sets = buildKeywordSets({ optOut: ["STOP", "STOP ALL"], help: ["HELP", "HELP DESK"] });
    expect(classifyKeyword("stop all messages", sets)).to.deep.equal({ keywordClass: "OPT_OUT", keyword: "STOP ALL" });
    expect(classifyKeyword("stop now", sets)).to.deep.equal({ keywordClass: "OPT_OUT", keyword: "STOP" });
    expect(classifyKeyword("help desk number?", sets)).to.deep.equal({ keywordClass: "HELP", keyword: "HELP DESK" });
  });

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
    const sets = buildKeywordSets({ optOut: [...DEFAULT_OPT_OUT_KEYWORDS, "ARRÊT", "ALTO"] });
    expect(classifyKeyword("alto", sets).keywordClass).to.equal("OPT_OUT");
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
