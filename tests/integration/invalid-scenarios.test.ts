/**
 * Every malformed scenario in tests/fixtures/invalid must be rejected with an error that points at the right
 * line and field and names the problem. Each fixture is a small, otherwise valid scenario with ONE deliberate
 * problem; the table below says what the compiler must report for it.
 *
 * Where the message must say more than the field (or must not speak the YAML library's jargon), `clearer` says what.
 */
import { spawnSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { Diagnostic } from '../../orchestrator/src/compiler/diagnostic.ts';
import {
  compileScenarioFile,
  type ScenarioFileResult,
} from '../../orchestrator/src/scenarios/scenario-folder.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'invalid');
const MIB = 1024 * 1024;

interface Expectation {
  /** The one deliberate problem of the fixture. */
  about: string;
  rule: string;
  /** RFC 6901 pointer of the diagnostic (exact). */
  pointer: string;
  /** 1-based line (exact). */
  line: number;
  column?: number;
  /** A piece of the message naming the field or the problem. */
  message: string;
  severity?: 'error' | 'warning';
  /** The file the diagnostic names, relative to the fixtures folder (default: the fixture itself). */
  file?: string;
  /** Errors and warnings in all (defaults: 1 and 0; 0 errors for a warning fixture). */
  errors?: number;
  warnings?: number;
  /** What a clear message says (or must not say), and why. */
  clearer?: { includes?: string[]; excludes?: string[]; why: string };
}

const EXPECTED: Record<string, Expectation> = {
  // --- YAML syntax
  'yaml-syntax-unclosed-flow-map.yaml': {
    about: 'a flow map { ... never closed',
    rule: 'yaml.syntax',
    pointer: '',
    line: 21,
    message: 'Flow map',
  },
  'yaml-syntax-bad-indentation.yaml': {
    about: 'a key indented deeper than its siblings',
    rule: 'yaml.syntax',
    pointer: '',
    line: 13,
    message: 'YAML',
    clearer: {
      includes: ['indent'],
      why: "it names indentation, not the YAML library's terms",
    },
  },
  'yaml-syntax-tab-indentation.yaml': {
    about: 'a tab used for indentation',
    rule: 'yaml.syntax',
    pointer: '',
    line: 14,
    column: 1,
    message: 'Tabs are not allowed as indentation',
  },
  'yaml-syntax-unclosed-quote.yaml': {
    about: 'a double-quoted string never closed',
    rule: 'yaml.syntax',
    pointer: '',
    line: 19,
    message: 'Missing closing "quote',
  },
  'yaml-duplicate-key.yaml': {
    about: 'image: given twice in one host',
    rule: 'yaml.duplicate-key',
    pointer: '/hosts/0/image',
    line: 15,
    column: 5,
    message: "duplicate key 'image'",
  },
  'yaml-undefined-alias.yaml': {
    about: 'an alias (*question_title) with no anchor',
    rule: 'yaml.alias',
    pointer: '/objectives/0/title',
    line: 19,
    column: 12,
    message: 'question_title',
    clearer: {
      includes: ['question_title'],
      excludes: ['bomb', 'too large'],
      why: 'it names the alias and does not call an undefined alias a bomb',
    },
  },
  'yaml-bomb.yaml': {
    about: 'nested aliases expanding exponentially ("billion laughs")',
    rule: 'yaml.alias-limit',
    pointer: '',
    line: 10,
    column: 16,
    message: 'YAML bomb',
  },
  'yaml-too-many-aliases.yaml': {
    about: '101 aliases (*t) in one file, counted before any is resolved',
    rule: 'limit.yaml-aliases',
    pointer: '',
    line: 10,
    column: 413,
    message: 'at most 100 aliases',
    clearer: { includes: ['*t here is number 101'], why: 'it names the cap and the alias that passes it' },
  },
  'yaml-too-many-anchors.yaml': {
    about: '51 anchors (&a0 … &a50) in one file, counted before any alias is resolved',
    rule: 'limit.yaml-anchors',
    pointer: '',
    line: 9,
    column: 490,
    message: 'at most 50 anchors',
    clearer: { includes: ['&a50 here is number 51'], why: 'it names the cap and the anchor that passes it' },
  },
  'multi-document.yaml': {
    about: 'two YAML documents separated by ---',
    rule: 'yaml.syntax',
    pointer: '',
    line: 22,
    column: 1,
    message: 'multiple documents',
    clearer: {
      includes: ['one'],
      excludes: ['parseAllDocuments'],
      why: 'it says a scenario is one document, without naming a JavaScript API',
    },
  },
  'yaml-key-proto.yaml': {
    about: 'a __proto__ key in an env map',
    rule: 'yaml.forbidden-key',
    pointer: '/hosts/0/env/__proto__',
    line: 17,
    column: 7,
    message: "'__proto__' is not allowed",
  },
  'yaml-key-constructor.yaml': {
    about: 'a parameter named constructor',
    rule: 'yaml.forbidden-key',
    pointer: '/parameters/constructor',
    line: 10,
    column: 3,
    message: "'constructor' is not allowed",
  },

  // --- the document as a whole
  'empty-file.yaml': {
    about: 'an empty file',
    rule: 'schema.type',
    pointer: '',
    line: 1,
    column: 1,
    message: 'must be a map',
    clearer: {
      includes: ['empty'],
      why: 'it says the file is empty',
    },
  },
  'top-level-list.yaml': {
    about: 'a list at the top level',
    rule: 'schema.type',
    pointer: '',
    line: 1,
    column: 1,
    message: 'must be a map (got a list)',
  },
  'top-level-scalar.yaml': {
    about: 'a plain sentence at the top level',
    rule: 'schema.type',
    pointer: '',
    line: 1,
    column: 1,
    message: 'must be a map (got "just a sentence',
  },
  'wrong-api-version.yaml': {
    about: 'apiVersion cyrop/v2',
    rule: 'schema.const',
    pointer: '/apiVersion',
    line: 1,
    column: 13,
    message: 'must be "cyrop/v1" (got "cyrop/v2")',
  },
  'wrong-kind.yaml': {
    about: 'kind Exercise',
    rule: 'schema.const',
    pointer: '/kind',
    line: 2,
    column: 7,
    message: 'must be "Scenario" (got "Exercise")',
  },
  'hosts-empty.yaml': {
    about: 'hosts: []',
    rule: 'schema.minItems',
    pointer: '/hosts',
    line: 11,
    column: 8,
    message: 'at least 1 item',
  },

  // --- wrong types
  'wrong-type-points-string.yaml': {
    about: 'points: ten',
    rule: 'schema.type',
    pointer: '/objectives/0/points',
    line: 20,
    column: 13,
    message: 'must be an integer (got "ten")',
  },
  'wrong-type-host-networks-string.yaml': {
    about: 'host networks: lan instead of [lan]',
    rule: 'schema.type',
    pointer: '/hosts/0/networks',
    line: 14,
    column: 15,
    message: 'must be a list (got "lan")',
  },
  'wrong-type-console-string.yaml': {
    about: 'console: yes (a string in YAML 1.2)',
    rule: 'schema.oneOf',
    pointer: '/hosts/0/console',
    line: 15,
    column: 14,
    message: 'must be true, or { user, shell, workdir } (got "yes")',
  },
  'wrong-type-case-sensitive-string.yaml': {
    about: 'question caseSensitive: "no"',
    rule: 'schema.type',
    pointer: '/objectives/0/question/caseSensitive',
    line: 21,
    column: 49,
    message: 'must be true or false (got "no")',
  },
  'wrong-type-metadata-list.yaml': {
    about: 'metadata given as a list',
    rule: 'schema.type',
    pointer: '/metadata',
    line: 4,
    column: 3,
    message: 'must be a map (got a list)',
  },
  'wrong-type-hosts-map.yaml': {
    about: 'hosts given as a map of name to host',
    rule: 'schema.type',
    pointer: '/hosts',
    line: 12,
    column: 3,
    message: 'must be a list (got a map)',
  },

  // --- unknown keys
  'unknown-key-top-level.yaml': {
    about: 'scorng: at the top level',
    rule: 'schema.additionalProperties',
    pointer: '/scorng',
    line: 22,
    column: 1,
    message: "unknown key 'scorng' (did you mean 'scoring'?)",
  },
  'unknown-key-host.yaml': {
    about: 'capabilites: in a host',
    rule: 'schema.additionalProperties',
    pointer: '/hosts/0/capabilites',
    line: 16,
    column: 5,
    message: "unknown key 'capabilites' (did you mean 'capabilities'?)",
  },
  'unknown-key-objective.yaml': {
    about: 'descripton: in an objective',
    rule: 'schema.unevaluatedProperties',
    pointer: '/objectives/0/descripton',
    line: 22,
    column: 5,
    message: "unknown key 'descripton' (did you mean 'description'?)",
  },
  'unknown-key-host-network.yaml': {
    about: 'adress: in a host network entry',
    rule: 'schema.additionalProperties',
    pointer: '/hosts/0/networks/0/adress',
    line: 16,
    column: 22,
    message: "unknown key 'adress' (did you mean 'address'?)",
  },

  // --- missing required keys
  'missing-required-metadata-title.yaml': {
    about: 'metadata without title',
    rule: 'schema.required',
    pointer: '/metadata/title',
    line: 4,
    column: 3,
    message: "missing required key 'title'",
  },
  'missing-required-host-image.yaml': {
    about: 'a host without image',
    rule: 'schema.required',
    pointer: '/hosts/0/image',
    line: 12,
    column: 5,
    message: "missing required key 'image'",
  },
  'missing-required-objectives.yaml': {
    about: 'no objectives: at all',
    rule: 'schema.required',
    pointer: '/objectives',
    line: 1,
    column: 1,
    message: "missing required key 'objectives'",
  },
  'missing-required-check-run.yaml': {
    about: 'a check without run',
    rule: 'schema.required',
    pointer: '/objectives/0/check/run',
    line: 22,
    column: 7,
    message: "missing required key 'run'",
  },

  // --- duplicate names
  'duplicate-host-name.yaml': {
    about: 'two hosts named box',
    rule: 'duplicate.host',
    pointer: '/hosts/1/name',
    line: 16,
    column: 11,
    message: "duplicate host 'box' (first defined at line 12)",
  },
  'duplicate-network-name.yaml': {
    about: 'two networks named lan',
    rule: 'duplicate.network',
    pointer: '/networks/1/name',
    line: 11,
    column: 11,
    message: "duplicate network 'lan' (first defined at line 10)",
  },
  'duplicate-objective-id.yaml': {
    about: 'two objectives with id q1',
    rule: 'duplicate.objective',
    pointer: '/objectives/1/id',
    line: 22,
    column: 9,
    message: "duplicate objective 'q1' (first defined at line 17)",
  },
  'duplicate-hint-id.yaml': {
    about: 'two hints with id h1',
    rule: 'duplicate.hint',
    pointer: '/objectives/0/hints/1/id',
    line: 24,
    column: 15,
    message: "duplicate hint 'h1' (first defined at line 23)",
  },
  'duplicate-host-network.yaml': {
    about: 'a host naming network lan twice',
    rule: 'duplicate.host-network',
    pointer: '/hosts/0/networks/1',
    line: 14,
    column: 21,
    message: "'lan'",
  },

  // --- dangling references and cycles
  'dangling-host-network.yaml': {
    about: 'a host on an undeclared network dmz',
    rule: 'ref.network',
    pointer: '/hosts/0/networks/1',
    line: 14,
    column: 21,
    message: "names network 'dmz', which is not declared",
  },
  'dangling-requires.yaml': {
    about: 'requires: [recon], not an objective',
    rule: 'ref.requires',
    pointer: '/objectives/0/requires/0',
    line: 22,
    column: 16,
    message: "requires 'recon', which is not an objective",
  },
  'dangling-check-host.yaml': {
    about: 'check.host web, not a host',
    rule: 'ref.host',
    pointer: '/objectives/0/check/host',
    line: 22,
    column: 13,
    message: "host 'web', which is not declared",
  },
  'requires-cycle-self.yaml': {
    about: 'an objective requiring itself',
    rule: 'ref.requires',
    pointer: '/objectives/0/requires/0',
    line: 22,
    column: 16,
    message: "objective 'q1' requires itself",
  },
  'requires-cycle-three.yaml': {
    about: 'a requires b requires c requires a',
    rule: 'ref.requires-cycle',
    pointer: '/objectives/0/requires',
    line: 22,
    column: 15,
    message: 'cycle: a → c → b → a',
  },

  // --- networks and addresses
  'subnet-overlap.yaml': {
    about: 'fixed subnets 10.20.0.0/16 and 10.20.5.0/24',
    rule: 'network.overlap',
    pointer: '/networks/1/subnet',
    line: 13,
    column: 13,
    message: "overlaps 10.20.0.0/16 of network 'lan'",
  },
  'subnet-host-bits-set.yaml': {
    about: 'subnet 10.20.0.5/24',
    rule: 'network.subnet',
    pointer: '/networks/0/subnet',
    line: 11,
    column: 13,
    message: 'has host bits set',
  },
  'address-outside-subnet.yaml': {
    about: 'address 10.20.1.10 on 10.20.0.0/24',
    rule: 'network.address',
    pointer: '/hosts/0/networks/0/address',
    line: 16,
    column: 31,
    message: 'is outside subnet 10.20.0.0/24',
  },
  'address-is-gateway.yaml': {
    about: 'address 10.20.0.1, the gateway',
    rule: 'network.address',
    pointer: '/hosts/0/networks/0/address',
    line: 16,
    column: 31,
    message: 'is the gateway address',
  },
  'address-without-fixed-subnet.yaml': {
    about: 'a fixed address on a network without subnet:',
    rule: 'network.address',
    pointer: '/hosts/0/networks/0/address',
    line: 15,
    column: 31,
    message: "needs a fixed subnet on network 'lan'",
  },
  'address-taken-twice.yaml': {
    about: 'two hosts with address 10.20.0.10',
    rule: 'network.address',
    pointer: '/hosts/1/networks/0/address',
    line: 21,
    column: 31,
    message: "already taken by host 'box'",
  },

  // --- templates
  'template-undeclared-parameter.yaml': {
    about: '{{params.web_flg}} (declared: web_flag)',
    rule: 'template',
    pointer: '/objectives/0/description',
    line: 22,
    column: 28,
    message: "undeclared parameter 'web_flg' (declared: web_flag)",
  },
  'template-line-in-literal-block.yaml': {
    about: 'an undeclared parameter on the 3rd line of a | block',
    rule: 'template',
    pointer: '/objectives/0/description',
    line: 25,
    message: "undeclared parameter 'web_flg'",
    // (the column is 19, not 25: the block's indentation is not added; see the report)
  },
  'template-line-in-folded-block.yaml': {
    about: 'an undeclared parameter after a blank line of a >- block',
    rule: 'template',
    pointer: '/objectives/0/description',
    line: 25,
    message: "undeclared parameter 'web_flg'",
  },
  'template-line-in-multiline-string.yaml': {
    about: 'an undeclared parameter on the 3rd line of a plain multi-line scalar',
    rule: 'template',
    pointer: '/objectives/0/description',
    line: 24,
    column: 18,
    message: "undeclared parameter 'web_flg'",
  },
  'parameter-unused.yaml': {
    about: 'a parameter no template uses (a warning only)',
    severity: 'warning',
    rule: 'parameter.unused',
    pointer: '/parameters/spare_password',
    line: 11,
    column: 3,
    message: "parameter 'spare_password' is declared but no template uses it",
    errors: 0,
    warnings: 1,
  },
  'template-syntax-inline.yaml': {
    about: '"{{params.web_flag}" (one closing brace)',
    rule: 'template',
    pointer: '/objectives/0/flag',
    line: 23,
    message: 'template syntax error',
    clearer: {
      includes: ['}}'],
      excludes: ['CLOSE_RAW_BLOCK', 'OPEN_SEXPR'],
      why: "it speaks of }} and names, not of the parser's tokens",
    },
  },
  'template-syntax-source-file/scenario.yaml': {
    about: 'a .hbs source file with {{#if}} closed by {{/unless}} on its line 4',
    rule: 'template',
    file: 'template-syntax-source-file/files/app.ini.hbs',
    pointer: '/hosts/0/files/0/source',
    line: 4,
    message: '{{#if}} is closed by {{/unless}}',
  },
  'template-prototype-constructor.yaml': {
    about: '{{constructor.constructor}}',
    rule: 'template',
    pointer: '/hosts/0/env/PWN',
    line: 16,
    column: 20,
    message: 'prototype access is not allowed',
  },
  'template-prototype-params-proto.yaml': {
    about: '{{params.__proto__}}',
    rule: 'template',
    pointer: '/objectives/0/flag',
    line: 21,
    column: 14,
    message: "tries to reach '__proto__'",
  },
  'template-helper-lookup.yaml': {
    about: "{{lookup params '__proto__'}}",
    rule: 'template',
    pointer: '/objectives/0/flag',
    line: 21,
    column: 14,
    message: "helper 'lookup' is not allowed",
    // and "template 'params': use params.NAME" for its argument
    errors: 2,
  },
  'template-partial.yaml': {
    about: '{{> secret}}',
    rule: 'template',
    pointer: '/objectives/0/flag',
    line: 21,
    column: 12,
    message: 'partials ({{> name}}) are not allowed',
  },
  'template-helper-each.yaml': {
    about: '{{#each params.users}}',
    rule: 'template',
    pointer: '/objectives/0/flag',
    line: 23,
    column: 15,
    message: "helper 'each' is not allowed",
  },
  'template-helper-without-argument.yaml': {
    about: '{{json}} with no argument in a description',
    rule: 'template',
    pointer: '/objectives/0/description',
    line: 22,
    column: 32,
    message: 'json',
    // json without an argument would render handlebars' options object: every parameter, flags included.
  },

  // --- files[].source
  'source-parent-escape.yaml': {
    about: 'source: ../x',
    rule: 'file.source',
    pointer: '/hosts/0/files/0/source',
    line: 17,
    column: 33,
    message: "'../x': escapes the scenario folder",
  },
  'source-absolute-path.yaml': {
    about: 'source: /etc/hostname',
    rule: 'file.source',
    pointer: '/hosts/0/files/0/source',
    line: 17,
    column: 33,
    message: 'not an absolute path',
  },
  'source-missing-file.yaml': {
    about: 'source: files/does-not-exist.txt',
    rule: 'file.source',
    pointer: '/hosts/0/files/0/source',
    line: 17,
    column: 33,
    message: 'no such file in the scenario folder',
  },
  'source-symlink-escape/scenario.yaml': {
    about: 'source: files/escape, a symbolic link to ../../../../../package.json',
    rule: 'file.source',
    pointer: '/hosts/0/files/0/source',
    line: 17,
    column: 33,
    message: 'escapes the scenario folder through a symbolic link',
  },

  // --- values and limits
  'duration-words.yaml': {
    about: 'duration: 90 minutes',
    rule: 'schema.pattern',
    pointer: '/metadata/duration',
    line: 9,
    column: 13,
    message: 'must be a duration such as',
  },
  'duration-zero.yaml': {
    about: 'duration: 0s',
    rule: 'schema.pattern',
    pointer: '/metadata/duration',
    line: 9,
    column: 13,
    message: '(got "0s")',
  },
  'check-timeout-over-max.yaml': {
    about: 'check timeout: 2h (at most 10m)',
    rule: 'limit.duration',
    pointer: '/objectives/0/check/timeout',
    line: 24,
    column: 16,
    message: 'check timeout 2h is out of range',
    warnings: 1, // the check runs on the console host: check.forgeable
  },
  'check-forgeable.yaml': {
    about: 'a check that runs on the host with the console, which the trainee controls (a warning only)',
    severity: 'warning',
    rule: 'check.forgeable',
    pointer: '/objectives/0/check/host',
    line: 22,
    column: 13,
    message: "runs on host 'box', which trainees control",
    errors: 0,
    warnings: 1,
  },
  'dangling-check-from.yaml': {
    about: 'check.from probe, not a host',
    rule: 'ref.host',
    pointer: '/objectives/0/check/from',
    line: 26,
    column: 13,
    message: "check runs from host 'probe', which is not declared",
  },
  'disk-over-max.yaml': {
    about: 'resources.disk: 20Gi (the default operator maximum is 10Gi)',
    rule: 'limit.disk',
    pointer: '/hosts/0/resources/disk',
    line: 16,
    message: 'disk 20Gi is out of range',
    clearer: { includes: ['10Gi', 'maximum'], why: 'it says what the largest allowed value is' },
  },
  'semver-bad.yaml': {
    about: 'version: "1.0"',
    rule: 'schema.pattern',
    pointer: '/metadata/version',
    line: 5,
    column: 12,
    message: 'must be a semantic version',
  },
  'locale-key-bad.yaml': {
    about: 'title: { en: Base, english: Base }',
    rule: 'schema.propertyNames',
    pointer: '/metadata/title/english',
    line: 6,
    column: 22,
    message: "'english'",
    clearer: {
      includes: ['BCP 47'],
      why: 'it says what a locale key looks like',
    },
  },
  'parameter-name-invalid.yaml': {
    about: 'a parameter named Web-Flag',
    rule: 'schema.propertyNames',
    pointer: '/parameters/Web-Flag',
    line: 10,
    column: 3,
    message: "'Web-Flag'",
    clearer: {
      includes: ['lower-case identifier'],
      why: 'it says what a parameter name looks like',
    },
  },
  'capability-not-allowed.yaml': {
    about: 'capabilities: [NET_RAW, SYS_ADMIN]',
    rule: 'schema.enum',
    pointer: '/hosts/0/capabilities/1',
    line: 16,
    column: 29,
    message: '(got "SYS_ADMIN")',
  },
  'resources-cpu-over-max.yaml': {
    about: 'cpu: 8 (at most 4)',
    rule: 'schema.maximum',
    pointer: '/hosts/0/resources/cpu',
    line: 16,
    column: 23,
    message: 'must be <= 4 (got number 8)',
  },
  'resources-memory-over-max.yaml': {
    about: 'memory: 64Gi (at most 8Gi)',
    rule: 'limit.memory',
    pointer: '/hosts/0/resources/memory',
    line: 16,
    column: 26,
    message: 'memory 64Gi is out of range',
  },
  'resources-pids-over-max.yaml': {
    about: 'pids: 100000 (at most 4096)',
    rule: 'schema.maximum',
    pointer: '/hosts/0/resources/pids',
    line: 16,
    column: 24,
    message: 'must be <= 4096 (got number 100000)',
  },
  'flag-regex-invalid.yaml': {
    about: 'a flag regex with an unterminated character class',
    rule: 'flag.regex',
    pointer: '/objectives/0/flag/regex',
    line: 21,
    column: 20,
    message: 'flag regex does not compile',
  },
  'flag-regex-backreference.yaml': {
    about: 'a flag regex with a backreference (\\1), which RE2 cannot run',
    rule: 'flag.regex',
    pointer: '/objectives/0/flag/regex',
    line: 21,
    column: 20,
    message: 'backreference',
    clearer: { includes: ['RE2', 'linear time'], why: 'it says which dialect flag regexes are written in' },
  },
  'flag-regex-lookahead.yaml': {
    about: 'a flag regex with a lookahead (?=…), which RE2 cannot run',
    rule: 'flag.regex',
    pointer: '/objectives/0/flag/regex',
    line: 21,
    column: 20,
    message: 'lookahead',
    clearer: { includes: ['RE2'], why: 'it says which dialect flag regexes are written in' },
  },
  'check-regex-lookbehind.yaml': {
    about: 'an expected-stdout regex with a lookbehind (?<!…), which RE2 cannot run',
    rule: 'check.regex',
    pointer: '/objectives/0/check/expect/stdout',
    line: 24,
    column: 38,
    message: 'lookbehind',
    clearer: {
      includes: ['RE2'],
      excludes: ['named capture'],
      why: "it names the construct, not the engine's guess (a named group)",
    },
    warnings: 1, // the check runs on the console host: check.forgeable
  },
  'flag-objective-without-flag.yaml': {
    about: 'a flag objective without flag:',
    rule: 'schema.required',
    pointer: '/objectives/0/flag',
    line: 17,
    column: 5,
    message: "missing required key 'flag'",
  },
  'question-objective-with-flag.yaml': {
    about: 'a question objective with flag:',
    rule: 'schema.false-schema',
    pointer: '/objectives/0/flag',
    line: 22,
    column: 5,
    message: "key 'flag' is not allowed here (a question objective takes question",
  },
  'competency-bad-syntax.yaml': {
    about: 'work role PR-CDA-001 (2017 syntax) under nice-2.1.0',
    rule: 'competency.syntax',
    pointer: '/competencies/workRoles/0',
    line: 11,
    column: 15,
    message: 'PR-CDA-001',
  },
  'competency-without-framework.yaml': {
    about: 'objective competencies without competencies.framework',
    rule: 'competency.framework',
    pointer: '/objectives/0/competencies/0',
    line: 22,
    column: 20,
    message: 'competency ids need competencies.framework',
  },
};

const fixturePath = (name: string): string => path.join(FIXTURES, ...name.split('/'));

/** The fixtures on disk: lone .yaml files, and folders holding a scenario.yaml. */
function fixturesOnDisk(): string[] {
  const names: string[] = [];
  for (const entry of readdirSync(FIXTURES, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isDirectory()) names.push(`${entry.name}/scenario.yaml`);
    else names.push(entry.name);
  }
  return names.sort();
}

const cache = new Map<string, ScenarioFileResult>();
function resultOf(name: string): ScenarioFileResult {
  let result = cache.get(name);
  if (!result) {
    result = compileScenarioFile(fixturePath(name));
    cache.set(name, result);
  }
  return result;
}

const show = (diagnostics: readonly Diagnostic[]): string =>
  diagnostics
    .map((d) => `  ${d.severity} ${d.rule} ${d.file}:${d.line}:${d.column} ${d.pointer || '/'} ${d.message}`)
    .join('\n') || '  (none)';

const count = (result: ScenarioFileResult, severity: Diagnostic['severity']): number =>
  result.diagnostics.filter((d) => d.severity === severity).length;

/** The diagnostic the expectation is about: same severity, pointer and file, and the message piece. */
function expectDiagnostic(
  result: ScenarioFileResult,
  expected: Expectation,
  expectedFile: string,
): Diagnostic {
  const severity = expected.severity ?? 'error';
  const found = result.diagnostics.find(
    (d) => d.severity === severity && d.pointer === expected.pointer && d.message.includes(expected.message),
  );
  expect(
    found,
    `no ${severity} at pointer '${expected.pointer}' with a message containing ${JSON.stringify(expected.message)}; got:\n${show(result.diagnostics)}`,
  ).to.not.equal(undefined);
  const d = found!;
  expect(path.resolve(d.file), 'file').to.equal(expectedFile);
  expect(d.rule, 'rule').to.equal(expected.rule);
  expect(d.line, `line of: ${d.message}`).to.equal(expected.line);
  if (expected.column !== undefined) expect(d.column, `column of: ${d.message}`).to.equal(expected.column);
  return d;
}

describe('invalid scenarios (tests/fixtures/invalid)', function () {
  it('has an expectation for every fixture, and a fixture for every expectation', function () {
    const onDisk = fixturesOnDisk();
    for (const name of onDisk) {
      expect(name, 'a fixture is a .yaml file or a folder with scenario.yaml').to.match(/\.yaml$/);
      expect(statSync(fixturePath(name)).isFile(), `${name} exists`).to.equal(true);
    }
    expect(onDisk, 'fixtures without an entry in EXPECTED').to.include.members(Object.keys(EXPECTED));
    expect(Object.keys(EXPECTED), 'entries in EXPECTED without a fixture').to.include.members(onDisk);
    expect(onDisk.length).to.be.at.least(45);
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    describe(name, function () {
      const severity = expected.severity ?? 'error';
      const errors = expected.errors ?? (severity === 'error' ? 1 : 0);
      const warnings = expected.warnings ?? 0;
      const expectedFile = expected.file ? fixturePath(expected.file) : fixturePath(name);

      it(`${expected.about}: ${severity} ${expected.rule} at line ${expected.line}, ${expected.pointer || '/'}`, function () {
        const result = resultOf(name);
        expectDiagnostic(result, expected, expectedFile);
        if (severity === 'warning' && errors === 0) {
          expect(result.compiled, 'a warning-only scenario still compiles').to.not.equal(undefined);
        } else {
          expect(result.compiled, 'a scenario with errors does not compile').to.equal(undefined);
        }
      });

      it(`reports nothing else (${errors} error(s), ${warnings} warning(s))`, function () {
        const result = resultOf(name);
        expect(count(result, 'error'), `errors:\n${show(result.diagnostics)}`).to.equal(errors);
        expect(count(result, 'warning'), `warnings:\n${show(result.diagnostics)}`).to.equal(warnings);
      });

      const clearer = expected.clearer;
      if (clearer) {
        it(`says clearly what is wrong (${clearer.why})`, function () {
          const result = resultOf(name);
          const d = result.diagnostics.find(
            (x) => x.severity === severity && x.pointer === expected.pointer && x.line === expected.line,
          );
          expect(d, show(result.diagnostics)).to.not.equal(undefined);
          for (const piece of clearer.includes ?? []) expect(d!.message).to.include(piece);
          for (const piece of clearer.excludes ?? []) expect(d!.message).to.not.include(piece);
        });
      }
    });
  }

  it('compiles the whole folder, never throwing, with an error for every invalid fixture', function () {
    for (const name of fixturesOnDisk()) {
      let result: ScenarioFileResult | undefined;
      expect(() => {
        result = compileScenarioFile(fixturePath(name));
      }, name).to.not.throw();
      const expected = EXPECTED[name];
      const warningOnly = expected !== undefined && (expected.errors ?? 1) === 0;
      if (warningOnly) continue;
      expect(count(result!, 'error'), `${name} has errors`).to.be.at.least(1);
    }
  });

  it('runs `cyrop validate --format json` over the folder: exit 1, every fixture listed, no stack trace', function () {
    this.timeout(90_000);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'cyrop-invalid-data-'));
    try {
      const run = spawnSync(
        process.execPath,
        ['orchestrator/bin/cyrop.js', 'validate', 'tests/fixtures/invalid', '--format', 'json'],
        {
          cwd: ROOT,
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, CYROP_DATA_DIR: dataDir },
        },
      );
      expect(run.error, 'spawn error').to.equal(undefined);
      const output = `${run.stdout}\n${run.stderr}`;
      expect(output, 'no stack trace').to.not.match(/^ {4}at /m);
      expect(run.status, `exit status; stderr: ${run.stderr}`).to.equal(1);
      const report = JSON.parse(run.stdout) as {
        files: { file: string; valid: boolean; diagnostics: Diagnostic[] }[];
        summary: { files: number; invalid: number; errors: number };
      };
      const listed = report.files.map((f) =>
        path.relative(FIXTURES, path.resolve(ROOT, f.file)).split(path.sep).join('/'),
      );
      expect([...listed].sort()).to.deep.equal(fixturesOnDisk());
      for (const f of report.files) {
        const name = path.relative(FIXTURES, path.resolve(ROOT, f.file)).split(path.sep).join('/');
        const expected = EXPECTED[name];
        expect(f.valid, `${name} valid`).to.equal(expected !== undefined && (expected.errors ?? 1) === 0);
      }
      expect(report.summary.files).to.equal(listed.length);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  describe('problems generated at test time (not committed)', function () {
    let temp = '';
    beforeEach(function () {
      temp = mkdtempSync(path.join(os.tmpdir(), 'cyrop-invalid-'));
    });
    afterEach(function () {
      rmSync(temp, { recursive: true, force: true });
    });

    /** A copy of a fixture in a fresh scenario folder, with one string replaced. */
    const scenarioFrom = (fixture: string, from: string, to: string): string => {
      const text = readFileSync(fixturePath(fixture), 'utf8');
      expect(text, `${fixture} holds ${from}`).to.include(from);
      const file = path.join(temp, 'scenario.yaml');
      writeFileSync(file, text.replace(from, to));
      return file;
    };

    it('rejects a scenario file over 1 MiB', function () {
      const text = readFileSync(fixturePath('parameter-unused.yaml'), 'utf8');
      const file = path.join(temp, 'scenario.yaml');
      writeFileSync(file, text + `# ${'x'.repeat(98)}\n`.repeat(Math.ceil(MIB / 100) + 1));
      expect(statSync(file).size).to.be.above(MIB);
      const result = compileScenarioFile(file);
      expect(result.compiled).to.equal(undefined);
      expect(result.diagnostics, show(result.diagnostics)).to.have.length(1);
      const d = result.diagnostics[0]!;
      expect(d).to.include({ severity: 'error', rule: 'limit.file-size', pointer: '', line: 0, file });
      expect(d.message).to.include(`the limit is ${MIB}`);
    });

    it('rejects a files[].source over 1 MiB, at the source field', function () {
      const file = scenarioFrom('source-missing-file.yaml', 'files/does-not-exist.txt', 'files/big.bin');
      mkdirSync(path.join(temp, 'files'));
      writeFileSync(path.join(temp, 'files', 'big.bin'), Buffer.alloc(MIB + 1, 0x61));
      const result = compileScenarioFile(file);
      expect(result.compiled).to.equal(undefined);
      expect(count(result, 'error'), show(result.diagnostics)).to.equal(1);
      const d = result.diagnostics.find((x) => x.severity === 'error')!;
      expect(d).to.include({ pointer: '/hosts/0/files/0/source', line: 17, column: 33, file });
      expect(d.rule).to.match(/^(file\.source|limit\.file-size)$/);
      expect(d.message)
        .to.include('files/big.bin')
        .and.to.include(String(MIB + 1))
        .and.to.include(String(MIB));
    });

    it('rejects a files[].source that is a symbolic link to an absolute path outside the folder', function () {
      const outside = mkdtempSync(path.join(os.tmpdir(), 'cyrop-outside-'));
      try {
        writeFileSync(path.join(outside, 'secret.txt'), 'not for trainees\n');
        const file = scenarioFrom('source-missing-file.yaml', 'files/does-not-exist.txt', 'files/link');
        mkdirSync(path.join(temp, 'files'));
        symlinkSync(path.join(outside, 'secret.txt'), path.join(temp, 'files', 'link'));
        const result = compileScenarioFile(file);
        expect(count(result, 'error'), show(result.diagnostics)).to.equal(1);
        const d = result.diagnostics.find((x) => x.severity === 'error')!;
        expect(d).to.include({
          rule: 'file.source',
          pointer: '/hosts/0/files/0/source',
          line: 17,
          column: 33,
        });
        expect(d.message).to.include('escapes the scenario folder through a symbolic link');
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    });

    it('rejects a template nested 5000 sub-expressions deep without throwing', function () {
      const depth = 5000;
      const deep = `{{upper ${'(upper '.repeat(depth)}team.id${')'.repeat(depth)}}}`;
      const file = scenarioFrom('template-prototype-constructor.yaml', '{{constructor.constructor}}', deep);
      let result: ScenarioFileResult | undefined;
      expect(() => {
        result = compileScenarioFile(file);
      }).to.not.throw();
      expect(result!.compiled).to.equal(undefined);
      const d = result!.diagnostics.find((x) => x.severity === 'error');
      expect(d, show(result!.diagnostics)).to.not.equal(undefined);
      expect(d!).to.include({ pointer: '/hosts/0/env/PWN', line: 16 });
      expect(d!.message).to.match(/nest|deep/);
    });
  });
});
