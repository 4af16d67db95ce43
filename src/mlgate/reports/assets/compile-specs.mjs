// Compile the HTML report's Vega-Lite templates to Vega, so that pages need only the
// Vega runtime (no Vega-Lite compiler runs in the page: faster to open, 250 KB smaller).
//   node compile-specs.mjs NODE_MODULES TEMPLATES.json > vega-specs.json
// TEMPLATES.json: {"digest": ..., "templates": {name: vega-lite spec}} from
// mlgate.reports.charts; the output keeps the digest, so a test can tell stale specs.
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [modules, input] = process.argv.slice(2);
const entry = path.resolve(modules, "vega-lite", "build", "index.js");
const vegaLite = await import(pathToFileURL(entry).href);
const source = JSON.parse(fs.readFileSync(input, "utf8"));
const specs = {};
for (const [name, spec] of Object.entries(source.templates)) {
  const compiled = vegaLite.compile(spec).spec;
  delete compiled.$schema; // a URL the page has no use for
  specs[name] = compiled;
}
const out = { digest: source.digest, "vega-lite": vegaLite.version, specs };
process.stdout.write(JSON.stringify(out, null, 1) + "\n");
