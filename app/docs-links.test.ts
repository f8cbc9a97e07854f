import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * README.md and docs/: every relative link `[text](target)` resolves to a
 * file of the repository, a `file.md#anchor` (or `#anchor`) link to a heading
 * of that file, and no doc points outside the product (`../shared`).
 * Links in fenced code blocks and inline code are not links.
 */

const root = fileURLToPath(new URL("../", import.meta.url));

/** What the check reads: paths relative to the repository's root. */
interface Tree {
  exists(path: string): boolean;
  read(path: string): string;
}

/** Each line outside fenced code blocks, with its number. */
function proseLines(text: string): { line: number; prose: string }[] {
  const lines: { line: number; prose: string }[] = [];
  let fence: string | undefined;
  for (const [index, prose] of text.split("\n").entries()) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(prose)?.[1];
    if (marker && (fence === undefined || marker.startsWith(fence))) {
      fence = fence === undefined ? marker : undefined;
    } else if (fence === undefined) {
      lines.push({ line: index + 1, prose });
    }
  }
  return lines;
}

/** GitHub's anchor for a heading: lowercase, punctuation removed, each space a dash. */
function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors of a file's headings; a repeated heading gets -1, -2, ... as on GitHub. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { prose } of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(prose)?.[1];
    if (heading === undefined) continue;
    const slug = slugOf(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** `[text](target)` or `[text](target "title")`; the target is group 1. */
const markdownLink = /\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g;

/** What is wrong with one doc's links, one line per problem (`file:line: ...`). */
function linkProblems(file: string, tree: Tree): string[] {
  const text = tree.read(file);
  const problems: string[] = [];
  if (/(\.\.|\/work)\/shared\b/.test(text)) problems.push(`${file}: mentions ../shared, outside the product`);
  for (const { line, prose } of proseLines(text)) {
    // Inline code is not a link: `[text](target)` in backticks is left out.
    for (const match of prose.replace(/`[^`]*`/g, "").matchAll(markdownLink)) {
      const target = match[1] as string;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:: not a file of ours
      const [pathPart = "", anchor] = target.split("#");
      const path =
        pathPart === ""
          ? file
          : normalize(join(dirname(file), decodeURIComponent(pathPart))).replace(/\/$/, "");
      const at = `${file}:${line}: ${target}`;
      if (path.startsWith("..")) problems.push(`${at}: outside the repository`);
      else if (!tree.exists(path)) problems.push(`${at}: no file ${path}`);
      else if (anchor !== undefined && path.endsWith(".md") && !anchorsOf(tree.read(path)).has(anchor)) {
        problems.push(`${at}: no heading #${anchor} in ${path}`);
      }
    }
  }
  return problems;
}

/** An in-memory tree of files (directories are implied by the paths). */
function treeOf(files: Record<string, string>): Tree {
  return {
    exists: (path) => path in files || Object.keys(files).some((f) => f.startsWith(`${path}/`)),
    read: (path) => files[path] ?? "",
  };
}

describe("the docs' link check", () => {
  it("finds GitHub's anchors", () => {
    expect(slugOf("kind clusters (real kubelets)")).toBe("kind-clusters-real-kubelets");
    expect(slugOf("Images, and the air-gapped path")).toBe("images-and-the-air-gapped-path");
    expect(slugOf("`amc cluster`")).toBe("amc-cluster");
    expect([...anchorsOf("# A\n## Notes\n```\n# not a heading\n```\n## Notes\n")]).toEqual([
      "a",
      "notes",
      "notes-1",
    ]);
  });

  it("reports a missing file, a missing heading and ../shared, and nothing else", () => {
    const tree = treeOf({
      "README.md": [
        "See [the CLI](docs/cli.md#options), [gone](docs/gone.md), [bad anchor](docs/cli.md#nope),",
        "[the profiles](profiles/), [top](#readme), [the web](https://example.com/x.md) and `[code](x.md)`.",
        "```",
        "[in a code block](also-gone.md)",
        "```",
        "Shared tools: ../shared/tools/ensure-docker.",
        "# Readme",
      ].join("\n"),
      "docs/cli.md": "# amc\n\n## Options\n\nBack to the [README](../README.md).\n",
      "profiles/local.yaml": "",
    });
    expect(linkProblems("README.md", tree)).toEqual([
      "README.md: mentions ../shared, outside the product",
      "README.md:1: docs/gone.md: no file docs/gone.md",
      "README.md:1: docs/cli.md#nope: no heading #nope in docs/cli.md",
    ]);
    expect(linkProblems("docs/cli.md", tree)).toEqual([]);
  });

  it("finds every link of README.md and docs/ in place", () => {
    const docs = [
      "README.md",
      ...readdirSync(join(root, "docs"), { recursive: true, encoding: "utf8" })
        .filter((path) => path.endsWith(".md"))
        .map((path) => join("docs", path)),
    ];
    const tree: Tree = {
      exists: (path) => existsSync(join(root, path)),
      read: (path) => readFileSync(join(root, path), "utf8"),
    };
    expect(docs.length).toBeGreaterThan(1);
    expect(docs.flatMap((file) => linkProblems(file, tree))).toEqual([]);
  });
});
