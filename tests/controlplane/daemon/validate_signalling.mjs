// Checks the signalling schemas (api/signalling/*.json) with ajv in strict mode (JSON Schema
// 2020-12), and, given a JSONL file of messages a test received from mgw-controlplane, checks
// each against the schema of its content_type. Exit status 0 when all is well.
//   node validate_signalling.mjs SCHEMA_DIR [MESSAGES.jsonl]
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const require = createRequire(path.join(root, 'package.json'));
const Ajv2020 = require('ajv/dist/2020').default;

if (process.argv.length < 3 || process.argv.length > 4) {
  console.error('usage: validate_signalling.mjs SCHEMA_DIR [MESSAGES.jsonl]');
  process.exit(2);
}
const ajv = new Ajv2020({ strict: true, allErrors: true });
const validators = {};
let failures = 0;
for (const file of fs.readdirSync(process.argv[2]).filter((f) => f.endsWith('.json')).sort()) {
  const type = file.replace(/\.json$/, '');
  try {
    validators[type] = ajv.compile(JSON.parse(fs.readFileSync(path.join(process.argv[2], file), 'utf8')));
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    failures++;
  }
}
if (process.argv.length === 4 && fs.existsSync(process.argv[3])) {
  const lines = fs.readFileSync(process.argv[3], 'utf8').split('\n').filter((l) => l.trim());
  for (const line of lines) {
    const message = JSON.parse(line);
    const validate = validators[message.content_type];
    if (!validate) {
      console.error(`no schema for ${line}`);
      failures++;
    } else if (!validate(message)) {
      console.error(`${line}\n  ${ajv.errorsText(validate.errors)}`);
      failures++;
    }
  }
  console.log(`${lines.length} message(s) checked`);
}
process.exit(failures === 0 ? 0 : 1);
