import * as fs from "node:fs";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { REPO_ROOT, buildBundle } from "./bundle";

/**
 * Bundles above this size are flagged (not failed): cold starts grow with bundle size. With the
 * AWS SDK bundled and pinned (DESIGN.md), the SDK alone is 200–300 KB of every handler.
 */
const AIM_BYTES = 300 * 1024;

/** Every handler entry: a .ts file under functions/<architecture>/ that exports `handler`. */
export function handlerEntries(root = REPO_ROOT): string[] {
  const functionsDir = path.join(root, "functions");
  const entries: string[] = [];
  for (const dir of fs.readdirSync(functionsDir, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === "shared") continue;
    for (const file of fs.readdirSync(path.join(functionsDir, dir.name))) {
      if (!file.endsWith(".ts")) continue;
      const source = fs.readFileSync(path.join(functionsDir, dir.name, file), "utf8");
      if (/export\s+(const|async\s+function|function)\s+handler\b|export\s*\{[^}]*\bhandler\b[^}]*\}/.test(source)) {
        entries.push(`functions/${dir.name}/${file}`);
      }
    }
  }
  return entries.sort();
}

/** `npm run build:functions`: writes dist/<architecture>/<handler>.js and prints each bundle's size. */
function main(): number {
  const dist = path.join(REPO_ROOT, "dist");
  console.log("handler bundle sizes (minified, AWS SDK v3 bundled; gzip approximates the zipped package):");
  for (const entry of handlerEntries()) {
    const bundle = buildBundle(entry);
    const out = path.join(dist, entry.replace(/^functions\//, "").replace(/\.ts$/, ".js"));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, bundle.code);
    const flag = bundle.bytes > AIM_BYTES ? "  (above the 300 KB aim)" : "";
    // Compressed size approximates the deployment package Lambda stores and loads.
    const compressed = gzipSync(bundle.code, { level: 9 }).byteLength;
    console.log(
      `  ${(bundle.bytes / 1024).toFixed(1).padStart(7)} KB  (gzip ${(compressed / 1024).toFixed(1).padStart(6)} KB)  ${entry}  sha256:${bundle.sha256.slice(0, 12)}${flag}`,
    );
  }
  console.log(`written to ${path.relative(process.cwd(), dist) || "."}/`);
  return 0;
}

if (require.main === module) process.exit(main());
