// read.mjs: reads a Parquet file with an independent reader and prints its
// rows as JSON lines, for tests/integration/parquet_test.py.
//   node read.mjs duckdb FILE     DuckDB (@duckdb/node-api), getRowObjectsJson
//   node read.mjs hyparquet FILE  hyparquet with hyparquet-compressors
// BigInts print as strings, Dates as ISO strings, byte arrays (utf8: false
// for columns without a string type) as {"hex": "..."}; the test normalises.
import { DuckDBInstance } from '@duckdb/node-api'
import { asyncBufferFromFile, parquetReadObjects, parquetMetadataAsync } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'

const [mode, file] = process.argv.slice(2)

function plain(v) {
  if (typeof v === 'bigint') return v.toString()
  if (v instanceof Date) return v.toISOString()
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString('hex') }
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v)
  return v
}

if (mode === 'duckdb') {
  const inst = await DuckDBInstance.create(':memory:')
  const con = await inst.connect()
  const path = file.replace(/'/g, "''")
  const reader = await con.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)
  const types = {}
  reader.columnNames().forEach((n, i) => { types[n] = reader.columnTypes()[i].toString() })
  process.stdout.write(JSON.stringify({ types }) + '\n')
  for (const row of reader.getRowObjectsJson()) process.stdout.write(JSON.stringify(row) + '\n')
} else if (mode === 'hyparquet') {
  const buf = await asyncBufferFromFile(file)
  const rows = await parquetReadObjects({ file: buf, compressors, utf8: true })
  for (const row of rows) {
    const o = {}
    for (const [k, v] of Object.entries(row)) o[k] = plain(v)
    process.stdout.write(JSON.stringify(o) + '\n')
  }
} else {
  console.error('usage: node read.mjs duckdb|hyparquet FILE')
  process.exit(64)
}
