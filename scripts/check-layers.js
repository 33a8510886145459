// The engine's folders import each other in one direction: a cycle between
// folders (load reading validate reading load) means neither can be read,
// changed or tested without the other. eslint's import-x/no-cycle checks
// modules; this checks the folders of engine/, and fails naming each
// folder cycle and the files that make it. Run by `npm run lint`.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ENGINE = path.join(__dirname, "..", "engine");
const IMPORT = /(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g;

/** The folder of a file under engine/: its first folder, or the file itself at the top. */
const folderOf = (file) => {
  const parts = path.relative(ENGINE, file).split(path.sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, "");
};

function resolve(from, spec) {
  const base = path.resolve(path.dirname(from), spec);
  for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) if (fs.existsSync(candidate)) return candidate;
  return null;
}

const edges = new Map(); // folder -> folder -> files
for (const entry of fs.readdirSync(ENGINE, { recursive: true, withFileTypes: true })) {
  const file = path.join(entry.parentPath, entry.name);
  // The public index re-exports every folder: it is the top, not a layer.
  if (!entry.isFile() || !file.endsWith(".ts") || file === path.join(ENGINE, "index.ts")) continue;
  for (const [, spec] of fs.readFileSync(file, "utf8").matchAll(IMPORT)) {
    const target = resolve(file, spec);
    if (!target || !target.startsWith(ENGINE + path.sep)) continue;
    const [from, to] = [folderOf(file), folderOf(target)];
    if (from === to) continue;
    if (!edges.has(from)) edges.set(from, new Map());
    const files = edges.get(from).get(to) ?? new Set();
    files.add(path.relative(ENGINE, file));
    edges.get(from).set(to, files);
  }
}

// Tarjan's strongly connected components: each with more than one folder is a cycle.
let index = 0;
const indexes = new Map();
const lows = new Map();
const stack = [];
const cycles = [];
function visit(folder) {
  indexes.set(folder, index);
  lows.set(folder, index++);
  stack.push(folder);
  for (const next of edges.get(folder)?.keys() ?? []) {
    if (!indexes.has(next)) {
      visit(next);
      lows.set(folder, Math.min(lows.get(folder), lows.get(next)));
    } else if (stack.includes(next)) lows.set(folder, Math.min(lows.get(folder), indexes.get(next)));
  }
  if (lows.get(folder) !== indexes.get(folder)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    component.push(member);
  } while (member !== folder);
  if (component.length > 1) cycles.push(component);
}
for (const folder of edges.keys()) if (!indexes.has(folder)) visit(folder);

if (cycles.length > 0) {
  for (const cycle of cycles) {
    console.error(`engine folders import each other: ${cycle.join(", ")}`);
    for (const from of cycle)
      for (const [to, files] of edges.get(from) ?? [])
        if (cycle.includes(to)) console.error(`  ${from} -> ${to}: ${[...files].join(", ")}`);
  }
  process.exit(1);
}
