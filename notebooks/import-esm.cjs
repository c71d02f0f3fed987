// import() for notebooks. tslab runs cells in a vm context without a
// dynamic-import hook and compiles import() to require(), which cannot load
// ES modules with top-level await (vega's). A CommonJS module's import()
// works: `const importEsm = require('./import-esm.cjs')`.
module.exports = (url) => import(url);
