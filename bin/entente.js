#!/usr/bin/env node
// The `entente` command. In a checkout it runs the TypeScript sources through tsx;
// in a built package it runs the compiled JavaScript from dist/.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const src = join(root, 'src', 'cli', 'main.ts')
const dist = join(root, 'dist', 'cli', 'main.js')

if (existsSync(src)) {
  const { register } = await import('tsx/esm/api')
  register()
  await import(pathToFileURL(src).href)
} else {
  await import(pathToFileURL(dist).href)
}
