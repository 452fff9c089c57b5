#!/usr/bin/env node
// `npm start`: the api and the worker as two processes of one install. If either stops, both stop.
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entries = ['main', 'worker'].map((name) => join(root, 'dist', 'src', `${name}.js`));
if (!entries.every(existsSync)) {
  console.error('dist/ is missing: run `npm run build` first (npm run quickstart does).');
  process.exit(1);
}

const children = entries.map((script) => spawn(process.execPath, [script], { stdio: 'inherit', env: process.env }));
let exiting = false;
const stopAll = (signal) => children.forEach((child) => child.exitCode === null && child.kill(signal));

for (const child of children) {
  child.on('exit', (code) => {
    if (!exiting) {
      exiting = true;
      stopAll('SIGTERM');
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(code ?? 1);
  });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    exiting = true;
    stopAll(signal);
  });
}
