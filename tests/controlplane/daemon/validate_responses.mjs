// Checks recorded HTTP responses against api/openapi.yaml. The integration tests write one JSON
// object per line: {method, path, status, headers: {lower-case name: value}, body}. For each, the
// path is matched to a path template of the spec (literal segments beat parameters, as in the
// server's router), then the response must be declared for that status, its content type listed,
// its JSON body valid against the schema (JSON Schema 2020-12, as OpenAPI 3.1 uses) and every
// required header present and valid. Prints each violation; exits 1 when there is any, 2 on
// usage errors.
//
//   node validate_responses.mjs api/openapi.yaml responses.jsonl
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The tools live in the repository's node_modules (package.json), wherever the script runs from.
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const require = createRequire(path.join(root, 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;
const addFormats = require('ajv-formats');
const YAML = require('yaml');

if (process.argv.length !== 4) {
  console.error('usage: validate_responses.mjs SPEC.yaml RESPONSES.jsonl');
  process.exit(2);
}
const spec = YAML.parse(fs.readFileSync(process.argv[2], 'utf8'));
const lines = fs.readFileSync(process.argv[3], 'utf8').split('\n').filter((l) => l.trim());

const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
addFormats(ajv);
ajv.addSchema(spec, 'openapi');

const pointer = (...parts) => '#/' + parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

function resolve(node) {
  while (node && node.$ref) {
    node = node.$ref.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  }
  return node;
}

function matchTemplate(requestPath) {
  const parts = requestPath.split('/');
  let best = null;
  let bestScore = -1;
  for (const template of Object.keys(spec.paths)) {
    const segments = template.split('/');
    if (segments.length !== parts.length) continue;
    let score = 0;
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      if (segments[i].startsWith('{')) ok = parts[i] !== '';
      else if (segments[i] === parts[i]) score++;
      else ok = false;
    }
    if (ok && score > bestScore) { best = template; bestScore = score; }
  }
  return best;
}

let failures = 0;
const fail = (record, message) => {
  failures++;
  console.error(`${record.method} ${record.path} -> ${record.status}: ${message}`);
};

for (const line of lines) {
  const record = JSON.parse(line);
  const template = matchTemplate(record.path);
  const serverWide = (spec['x-server-responses'] ?? {})[String(record.status)];
  if (!template) {
    // Only the server-wide 404 (and the size limits) may answer a path the spec does not have.
    if (!serverWide) { fail(record, 'no path of the spec matches'); continue; }
  }
  const operation = template ? spec.paths[template][record.method.toLowerCase()] : undefined;
  // An undeclared method on a declared path must be the documented 405.
  const responses = operation ? operation.responses : null;
  let response = responses ? (responses[String(record.status)] ?? responses.default) : null;
  if (template && !operation && record.status === 405) response = spec.components.responses.MethodNotAllowed;
  if (!response && serverWide && (!template || record.status !== 404)) response = serverWide;
  if (!response) { fail(record, `status ${record.status} is not declared for ${record.method.toLowerCase()} ${template}`); continue; }
  const responsePointer = operation && responses[String(record.status)] ? ['paths', template, record.method.toLowerCase(), 'responses', String(record.status)] : null;
  response = resolve(response);

  for (const [name, header] of Object.entries(response.headers ?? {})) {
    const h = resolve(header);
    const value = record.headers[name.toLowerCase()];
    if (value === undefined) {
      if (h.required) fail(record, `required header ${name} is missing`);
      continue;
    }
    const validate = ajv.compile(h.schema);
    if (!validate(value)) fail(record, `header ${name}: ${ajv.errorsText(validate.errors)}`);
  }

  const content = response.content;
  const type = record.headers['content-type'] ?? '';
  if (!content) {
    if (record.body !== '') fail(record, 'the spec declares no body, but one was sent');
    continue;
  }
  const mediaKey = content[type] ? type : Object.keys(content).find((k) => k === type.split(';')[0].trim());
  if (!mediaKey) { fail(record, `content type "${type}" is not one of ${Object.keys(content).join(', ')}`); continue; }
  if (!/json/.test(mediaKey)) continue;
  let body;
  try { body = JSON.parse(record.body); } catch (e) { fail(record, `body is not JSON: ${e.message}`); continue; }
  // Compile by reference into the spec, so the schema's own $refs resolve against it.
  const schemaRef = responsePointer
      ? 'openapi' + pointer(...responsePointer, 'content', mediaKey, 'schema')
      : null;
  const validate = schemaRef && !operation.responses[String(record.status)].$ref
      ? ajv.compile({ $ref: schemaRef })
      : ajv.compile({ $ref: 'openapi#/components/schemas/Problem' });
  if (!validate(body)) fail(record, `body ${record.body}: ${ajv.errorsText(validate.errors)}`);
}

console.log(`${lines.length} response(s) checked, ${failures} violation(s)`);
process.exit(failures === 0 ? 0 : 1);
