import type { FunctionContract } from "../../../functions/shared/runtime/function-contract";

/** One handler's contract with its config loader and a valid environment for it. */
export interface HandlerCase {
  contract: FunctionContract;
  load: (env: Record<string, string | undefined>) => unknown;
  /** A valid environment for the loader, covering exactly the contract's variables. */
  sample: Record<string, string>;
}
