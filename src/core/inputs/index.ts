export * from './table.js'
export * from './fields.js'
