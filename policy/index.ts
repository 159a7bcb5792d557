import { PolicyPack } from "@pulumi/policy";
import { PACK_POLICIES } from "./pack";

// `pulumi preview --policy-pack policy` runs the same plain functions the offline plan runs.
new PolicyPack("digital-user-engagement", { policies: PACK_POLICIES });
