import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildSync } from "esbuild";
import * as pulumi from "@pulumi/pulumi";

/**
 * The package root, the nearest directory above this module with a package.json: the repository
 * (from components/shared/) or the installed package (from lib/components/shared/, wherever it is
 * installed). Handler entries are given relative to it (e.g. "functions/x/handler.ts").
 */
export const REPO_ROOT = packageRoot(__dirname);

function packageRoot(dir: string): string {
  if (fs.existsSync(path.join(dir, "package.json"))) return dir;
  if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  return packageRoot(path.dirname(dir));
}

export interface HandlerBundle {
  /** The entry, relative to the package root. */
  entry: string;
  /** The minified CommonJS bundle. */
  code: string;
  /** Bytes of `code`. */
  bytes: number;
  /** sha256 of `code`, hex: equal sources give an equal hash, so previews show no spurious diff. */
  sha256: string;
}

const USE_STRICT = '"use strict";';

const cache = new Map<string, HandlerBundle>();

/**
 * Bundles one handler with esbuild: tree-shaken, minified, with the AWS SDK v3 clients bundled (so
 * the versions we test are the versions that run), no source paths or timestamps in the output.
 * Synchronous and cached per process, so `pulumi up` bundles by itself with no separate build step
 * and two components sharing a handler bundle it once.
 */
export function bundleHandler(entry: string, nodeTarget = "node22"): HandlerBundle {
  const key = `${entry}@${nodeTarget}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const bundle = buildBundle(entry, nodeTarget);
  cache.set(key, bundle);
  return bundle;
}

/** One uncached esbuild run (see `bundleHandler`). */
export function buildBundle(entry: string, nodeTarget = "node22"): HandlerBundle {
  const result = buildSync({
    entryPoints: [path.join(REPO_ROOT, entry)],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: "node",
    target: nodeTarget,
    format: "cjs",
    // ESM builds of the SDK and Powertools tree-shake far better than their CJS builds.
    mainFields: ["module", "main"],
    minify: true,
    treeShaking: true,
    legalComments: "none",
    // Lambda supplies credentials in environment variables: bundle only the env provider
    // (functions/shared/runtime/lambda-credentials.ts) instead of the SDK's whole provider chain.
    alias: { "@aws-sdk/credential-provider-node": "./functions/shared/runtime/lambda-credentials.ts" },
    charset: "utf8",
    sourcemap: false,
    write: false,
    logLevel: "silent",
  });
  // esbuild ignores tsconfig.json under node_modules, so from an installed package the `strict`
  // directive would be missing: add it, so the bundle is the same wherever the package is installed.
  const text = result.outputFiles[0].text;
  const code = text.startsWith(USE_STRICT) ? text : USE_STRICT + text;
  return { entry, code, bytes: Buffer.byteLength(code), sha256: createHash("sha256").update(code).digest("hex") };
}

/** The Lambda runtime name ("nodejs22.x") to the esbuild target ("node22"). */
export function esbuildTargetFor(runtime: string): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match) throw new Error(`unsupported Lambda runtime "${runtime}": expected nodejsNN.x`);
  return `node${match[1]}`;
}

/** A deployable archive holding the bundle as index.js (handler "index.handler"). */
export function handlerArchive(bundle: HandlerBundle): pulumi.asset.AssetArchive {
  return new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset(bundle.code) });
}
