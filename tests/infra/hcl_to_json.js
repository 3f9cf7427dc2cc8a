#!/usr/bin/env node
// Prints the Terraform configuration in a directory (default: infra/terraform) as one JSON object:
// every *.tf file parsed by @cdktf/hcl2json, merged the way Terraform merges files (objects by
// key, blocks of the same type and name appended), so a duplicate definition shows up as a
// second list element instead of silently replacing the first.
"use strict";

const fs = require("fs");
const path = require("path");

let parse;
try {
  ({ parse } = require("@cdktf/hcl2json"));
} catch (err) {
  process.stderr.write(
    "hcl_to_json: cannot load @cdktf/hcl2json; run: npm ci --prefix tests/infra\n" + err.message + "\n");
  process.exit(3);
}

function merge(into, from) {
  for (const [key, value] of Object.entries(from)) {
    if (!(key in into)) {
      into[key] = value;
    } else if (Array.isArray(into[key]) && Array.isArray(value)) {
      into[key] = into[key].concat(value);
    } else if (isObject(into[key]) && isObject(value)) {
      merge(into[key], value);
    } else {
      throw new Error(`conflicting definitions of "${key}"`);
    }
  }
  return into;
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

async function main() {
  const dir = path.resolve(process.argv[2] || path.join(__dirname, "..", "..", "infra", "terraform"));
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".tf")).sort();
  if (files.length === 0) throw new Error(`no .tf files in ${dir}`);
  const merged = {};
  for (const file of files) {
    const text = fs.readFileSync(path.join(dir, file), "utf8");
    let parsed;
    try {
      parsed = await parse(file, text);
    } catch (err) {
      throw new Error(`${file}: ${err.message || err}`);
    }
    merge(merged, parsed);
  }
  process.stdout.write(JSON.stringify({ files, config: merged }, null, 1) + "\n");
}

main().catch((err) => {
  process.stderr.write(`hcl_to_json: ${err.message || err}\n`);
  process.exit(1);
});
