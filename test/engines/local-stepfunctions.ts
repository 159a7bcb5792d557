/**
 * The local Step Functions interpreter (aws-local-stepfunctions 3.0.0) and the ASL validator, for
 * executing the state machines the components declare. The interpreter calls Promise.withResolvers,
 * which Node 20 lacks (it declares Node >= 22): without the polyfill every Task fails and a Catch on
 * States.ALL hides why. So it is loaded only through here, after the polyfill.
 */
import type * as LocalStepFunctions from "aws-local-stepfunctions" with { "resolution-mode": "import" };

// asl-validator ships no type declarations: its default export, as its README documents it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const aslValidator = require("asl-validator") as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

type Resolvers<T> = { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void };

function polyfillPromiseWithResolvers(): void {
  const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
  if (typeof P.withResolvers === "function") return;
  P.withResolvers = <T>() => {
    let resolve!: Resolvers<T>["resolve"];
    let reject!: Resolvers<T>["reject"];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

/** The interpreter module, loaded after the polyfill. */
export async function loadLocalStepFunctions(): Promise<typeof LocalStepFunctions> {
  polyfillPromiseWithResolvers();
  return import("aws-local-stepfunctions");
}

/**
 * asl-validator's verdict on a definition: the error messages, empty when it is valid ASL. It is given
 * a copy, because asl-validator 4 writes into the definition it checks (a QueryLanguage per state).
 */
export function aslProblems(definition: unknown): string[] {
  const { isValid, errorsText } = aslValidator(structuredClone(definition));
  return isValid ? [] : [errorsText("\n")];
}
