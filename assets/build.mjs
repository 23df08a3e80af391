// Builds trainingapp/static/dist: the compiled stylesheet, GOV.UK Frontend's
// JavaScript, and our own icons. The output is git-ignored; `make run` and
// `make test` build it.
import { cpSync, mkdirSync, writeFileSync } from "node:fs";
import * as sass from "sass";

const out = "trainingapp/static/dist";
mkdirSync(out, { recursive: true });

const result = sass.compile("assets/scss/app.scss", {
  loadPaths: ["node_modules"],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
writeFileSync(`${out}/app.css`, result.css);

const govuk = "node_modules/govuk-frontend/dist/govuk";
cpSync(`${govuk}/govuk-frontend.min.js`, `${out}/govuk-frontend.min.js`);
cpSync("assets/js/app.mjs", `${out}/app.mjs`);
cpSync("assets/images", `${out}/images`, { recursive: true });
console.log(`built ${out}`);
