#!/usr/bin/env node
// Runs SQL with DuckDB (from npm, no download at run time) and prints the rows as JSON.
//
//   node run_sql.js [-f FILE | -e SQL]...
//
// Each argument is one script (one or more statements), run in order on one in-memory database.
// Output: one JSON array with one element per argument, the rows of its last statement as objects
// (BIGINTs and other wide values as strings, as DuckDB's JSON conversion gives them). Exit 1 with
// the error on stderr when any script fails.
'use strict';

const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

function parseArgs(argv) {
  const scripts = [];
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (value === undefined || (flag !== '-f' && flag !== '-e')) {
      throw new Error(`usage: run_sql.js [-f FILE | -e SQL]... (bad argument ${JSON.stringify(flag)})`);
    }
    scripts.push(flag === '-f' ? fs.readFileSync(value, 'utf8') : value);
  }
  return scripts;
}

async function main() {
  const scripts = parseArgs(process.argv.slice(2));
  // The json extension is built into the npm binary; never fetch one from the network.
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false' });
  const connection = await instance.connect();
  const results = [];
  for (const sql of scripts) {
    const reader = await connection.runAndReadAll(sql);
    results.push(reader.getRowObjectsJson());
  }
  process.stdout.write(JSON.stringify(results) + '\n');
}

main().catch((err) => {
  process.stderr.write(`run_sql.js: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
});
