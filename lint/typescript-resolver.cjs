/**
 * An import resolver (eslint-module-utils' interface v2) that resolves each import exactly as the
 * TypeScript compiler does, with the nearest tsconfig.json's `paths` (`@vigil/core`, the app's
 * `@/`): eslint-plugin-boundaries then sees which file, and so which layer, an import reaches.
 * The `@vigil/*` names are the repository's layers wherever they are imported from, so they always
 * resolve with the root tsconfig.json: an app file importing `@vigil/local/...` is caught as the
 * layer it reaches, not passed as an unknown package because app/tsconfig.json has no such path.
 * Written here because eslint-import-resolver-typescript is not a dependency; TypeScript is.
 */
const { existsSync } = require('node:fs');
const { isBuiltin } = require('node:module');
const { dirname, join, resolve } = require('node:path');
const ts = require('typescript');

/** tsconfig path -> its compiler options and a module resolution cache. */
const projects = new Map();

const ROOT_TSCONFIG = join(__dirname, '..', 'tsconfig.json');

const projectFor = (file, source) => {
  const configFile = source.startsWith('@vigil/') ? ROOT_TSCONFIG : ts.findConfigFile(dirname(file), ts.sys.fileExists);
  if (!configFile) return undefined;
  let project = projects.get(configFile);
  if (!project) {
    const { config } = ts.readConfigFile(configFile, ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config ?? {}, ts.sys, dirname(configFile));
    project = { options, cache: ts.createModuleResolutionCache(dirname(configFile), (name) => name, options) };
    projects.set(configFile, project);
  }
  return project;
};

exports.interfaceVersion = 2;

exports.resolve = (source, file) => {
  if (isBuiltin(source)) return { found: true, path: null };
  const project = projectFor(file, source);
  if (!project) return { found: false };
  const { resolvedModule } = ts.resolveModuleName(source, file, project.options, ts.sys, project.cache);
  if (resolvedModule) return { found: true, path: resolvedModule.resolvedFileName };
  // Not code (a stylesheet, say): a relative import names its file.
  const asset = source.startsWith('.') ? resolve(dirname(file), source) : undefined;
  return asset && existsSync(asset) ? { found: true, path: asset } : { found: false };
};
