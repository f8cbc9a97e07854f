import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The layers (docs/architecture.md): entry points and wiring on top (app/,
 * suites/, bin/, bench/ and the root's config files), then the providers
 * (clusters/), then the engine and helpers (lib/). A file may import its own
 * layer and the ones below it, never one above; and no two modules may import
 * each other, even through others and even for types only.
 */

const root = fileURLToPath(new URL("../", import.meta.url));

const layerOf = (file: string): number =>
  file.startsWith("lib/") ? 0 : file.startsWith("clusters/") ? 1 : 2;
const layerName = ["lib", "clusters", "the top (app, suites, bin, bench)"];

/** Every relative module a source file names: imports, re-exports, dynamic imports, and URLs of programs it starts. */
function importsOf(file: string, text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.{1,2}\/[^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s*["'](\.{1,2}\/[^"']+)["']/gm),
    ...text.matchAll(/\bimport\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
    ...text.matchAll(/\bnew URL\(\s*["'](\.{1,2}\/[^"']+\.(?:ts|js|mjs))["']\s*,\s*import\.meta\.url/g),
  ].map((m) => m[1] as string);
  return [...new Set(specifiers.map((s) => normalize(join(dirname(file), s))))];
}

function upwardImports(graph: ReadonlyMap<string, readonly string[]>): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      if (layerOf(target) > layerOf(file)) {
        found.push(`${file} (${layerName[layerOf(file)]}) imports ${target} (${layerName[layerOf(target)]})`);
      }
    }
  }
  return found;
}

/** Strongly connected components of more than one module (Tarjan), each as a sorted list. */
function importCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (node: string) => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) as number, index.get(target) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

function sourceGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = readdirSync(root, { recursive: true, encoding: "utf8" })
    .map((f) => f.replaceAll("\\", "/"))
    .filter((f) => /\.(ts|js|mjs)$/.test(f) && !/(^|\/)(node_modules|reports|\.git)\//.test(f));
  for (const file of files) graph.set(file, importsOf(file, readFileSync(join(root, file), "utf8")));
  return graph;
}

describe("layers", () => {
  const graph = sourceGraph();

  it("reads the tree it checks", () => {
    expect(graph.get("app/cli/main.ts")).toContain("app/cli/run-command.ts");
    expect(graph.get("clusters/registry.ts")).toContain("clusters/local/index.ts");
  });

  it("has no import from a lower layer to a higher one", () => {
    expect(upwardImports(graph)).toEqual([]);
  });

  it("has no import cycle, type-only imports included", () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it("catches an upward import and a cycle when there is one", () => {
    const bad = new Map([
      ["lib/run.ts", ["clusters/local/provider.ts"]],
      ["clusters/local/provider.ts", ["lib/run.ts"]],
      ["app/cli/main.ts", ["lib/run.ts"]],
    ]);
    expect(upwardImports(bad)).toEqual(["lib/run.ts (lib) imports clusters/local/provider.ts (clusters)"]);
    expect(importCycles(bad)).toEqual([["clusters/local/provider.ts", "lib/run.ts"]]);
  });

  it("finds type-only, re-exported, dynamic and URL imports", () => {
    // Written with IMPORT in place of the keyword, so that this file itself does not name these modules.
    const text = [
      'IMPORT type { A } from "../cluster/contract.ts";',
      'IMPORT "./side-effect.ts";',
      'const config = new URL("../../allurerc.mjs", IMPORT.meta.url);',
      'export { b } from "./b.ts";',
      'const m = await IMPORT("../../app/cli/main.ts");',
      'const main = new URL("./guardian-main.ts", IMPORT.meta.url);',
    ]
      .join("\n")
      .replaceAll("IMPORT", "import");
    expect(importsOf("lib/report/x.ts", text)).toEqual([
      "lib/cluster/contract.ts",
      "lib/report/b.ts",
      "lib/report/side-effect.ts",
      "app/cli/main.ts",
      "allurerc.mjs",
      "lib/report/guardian-main.ts",
    ]);
  });
});
