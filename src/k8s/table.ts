/**
 * The shape of a `meta.k8s.io/v1` Table, as kubectl asks for it with
 * `Accept: application/json;as=Table`; shared by the site API and the emulator.
 */

export interface ColumnDefinition {
  name: string
  type: 'string' | 'integer' | 'date' | 'number' | 'boolean'
  format: string
  description: string
  priority: number
}

/** The `includeObject` query parameter: how much of each object a row carries. */
export type IncludeObject = 'None' | 'Metadata' | 'Object'
