// Render TeX to HTML + MathML with KaTeX, at build time (tools/sphinx_math.py starts this).
//
// Protocol: one JSON request per line on stdin, one JSON answer per line on stdout, in order.
//   {"tex": "...", "display": true|false, "scope": "book/ntk"}
//     -> {"html": "<span class=\"katex...\">...</span>"}  or  {"error": "KaTeX parse error: ..."}
// "scope" is the page: a \newcommand or \def in one equation holds for the rest of its page
// (as MathJax did in the browser), never on another page.
// Errors are never drawn in red: KaTeX throws (throwOnError), and strict mode turns LaTeX that
// KaTeX would only warn about into an error too, so the build fails and names the equation.
"use strict";

const katex = require("katex");
const readline = require("readline");

if (process.argv.includes("--version")) {
  process.stdout.write(katex.version + "\n");
  process.exit(0);
}

const scopes = new Map();

function macrosOf(scope) {
  if (!scopes.has(scope)) {
    scopes.set(scope, {});
  }
  return scopes.get(scope);
}

function render(request) {
  return katex.renderToString(request.tex, {
    displayMode: Boolean(request.display),
    output: "htmlAndMathml", // MathML for screen readers, HTML (aria-hidden) for the eye
    throwOnError: true,
    strict: "error",
    trust: false,
    globalGroup: true, // \newcommand lasts for the page (its scope), as in MathJax
    macros: macrosOf(request.scope || ""),
  });
}

const lines = readline.createInterface({ input: process.stdin, terminal: false });
lines.on("line", (line) => {
  if (!line.trim()) {
    return;
  }
  let answer;
  try {
    answer = { html: render(JSON.parse(line)) };
  } catch (err) {
    answer = { error: String((err && err.message) || err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
lines.on("close", () => process.exit(0));
