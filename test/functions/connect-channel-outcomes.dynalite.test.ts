/**
 * The dialer's outcome table on a real DynamoDB engine (dynalite, table from the shared key
 * schema), and the in-memory store the benchmark uses held to the same behaviour table.
 */
import { expect } from "chai";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { DynamoDbDialOutcomeStore, MemoryDialOutcomeStore, type DialClaim, type DialOutcomeStore } from "../../functions/connect-channel/outcome-store";
import { CONNECT_DIAL_OUTCOME_TABLE } from "../../functions/shared/runtime/tables";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";

const NOW = Date.parse("2026-03-02T17:50:00.000Z");
const claimOf = (claimToken: string, leaseUntil = NOW + 60_000): DialClaim => ({
  dialId: "d".repeat(64),
  claimToken,
  leaseUntil,
  campaignKey: "campaign:spring",
  destination: "+12065550100",
  sourceKind: "api",
  sourceRef: "test#1",
});

describe("dial outcome store", () => {
  let engine: DynaliteEngine;
  before(async () => {
    engine = await startDynalite();
  });
  after(async () => {
    await engine.stop();
  });

  const stores: [string, () => Promise<{ store: DialOutcomeStore; setNow: (ms: number) => void; item: () => Promise<Record<string, unknown> | undefined> }>][] = [
    [
      "DynamoDB (dynalite)",
      async () => {
        const table = await engine.createTable(CONNECT_DIAL_OUTCOME_TABLE, "dials");
        let now = NOW;
        const store = new DynamoDbDialOutcomeStore(engine.documents, table, () => now);
        return {
          store,
          setNow: (ms) => void (now = ms),
          item: async () => (await engine.documents.send(new GetCommand({ TableName: table, Key: { dialId: "d".repeat(64) }, ConsistentRead: true }))).Item,
        };
      },
    ],
    [
      "memory",
      async () => {
        let now = NOW;
        const store = new MemoryDialOutcomeStore(() => now);
        return { store, setNow: (ms) => void (now = ms), item: async () => store.items.get("d".repeat(64)) };
      },
    ],
  ];

  for (const [label, make] of stores) {
    describe(label, () => {
      it("claims a new call once; a second claim under a live lease sees DIALING", async () => {
        const { store, item } = await make();
        expect(await store.claim(claimOf("a"))).to.deep.equal({ claimed: true, attempts: 1, takenOver: false, firstAttemptAt: NOW, mayHaveStarted: false });
        expect(await store.claim(claimOf("b"))).to.deep.equal({ claimed: false, status: "DIALING" });
        expect(await item()).to.include({ status: "DIALING", claimToken: "a", attempts: 1, firstAttemptAt: NOW, campaignKey: "campaign:spring", destination: "+12065550100" });
      });

      it("never claims a call in a final status again", async () => {
        const { store } = await make();
        await store.claim(claimOf("a"));
        expect(await store.finish({ dialId: "d".repeat(64), claimToken: "a", status: "STARTED", contactId: "contact-1" })).to.equal(true);
        expect(await store.claim(claimOf("b"))).to.deep.equal({ claimed: false, status: "STARTED" });
      });

      it("re-claims a RETRYING call, keeping the first attempt's time and counting attempts", async () => {
        const { store, setNow } = await make();
        await store.claim(claimOf("a"));
        await store.finish({ dialId: "d".repeat(64), claimToken: "a", status: "RETRYING", errorName: "ThrottlingException" });
        setNow(NOW + 30_000);
        expect(await store.claim(claimOf("b", NOW + 90_000))).to.deep.equal({ claimed: true, attempts: 2, takenOver: false, firstAttemptAt: NOW, mayHaveStarted: false });
      });

      it("lets an expired DIALING claim be taken over, flags it as maybe started, and refuses the dead claim's late outcome", async () => {
        const { store, setNow, item } = await make();
        await store.claim(claimOf("dead", NOW + 1000));
        setNow(NOW + 2000);
        expect(await store.claim(claimOf("new", NOW + 60_000))).to.deep.equal({ claimed: true, attempts: 2, takenOver: true, firstAttemptAt: NOW, mayHaveStarted: true });
        expect(await store.finish({ dialId: "d".repeat(64), claimToken: "dead", status: "STARTED", contactId: "late" })).to.equal(false);
        expect(await store.finish({ dialId: "d".repeat(64), claimToken: "new", status: "STARTED", contactId: "contact-2", mayHaveStarted: true })).to.equal(true);
        const stored = await item();
        expect(stored).to.include({ status: "STARTED", contactId: "contact-2", mayHaveStarted: true });
        expect(stored).to.not.have.property("claimToken");
        expect(stored).to.not.have.property("leaseUntil");
      });

      it("keeps the maybe-started flag across a RETRYING release", async () => {
        const { store } = await make();
        await store.claim(claimOf("a"));
        await store.finish({ dialId: "d".repeat(64), claimToken: "a", status: "RETRYING", errorName: "TimeoutError", mayHaveStarted: true });
        expect(await store.claim(claimOf("b"))).to.include({ claimed: true, mayHaveStarted: true });
      });
    });
  }

  it("writes the TTL attribute the table schema declares, beyond the ClientToken's 7 days", async () => {
    const table = await engine.createTable(CONNECT_DIAL_OUTCOME_TABLE, "dials");
    await new DynamoDbDialOutcomeStore(engine.documents, table, () => NOW).claim(claimOf("a"));
    const { Item } = await engine.documents.send(new GetCommand({ TableName: table, Key: { dialId: "d".repeat(64) } }));
    expect(CONNECT_DIAL_OUTCOME_TABLE.ttlAttribute).to.equal("expiration");
    expect(Item?.expiration).to.equal(Math.floor(NOW / 1000) + 30 * 24 * 3600);
  });
});
