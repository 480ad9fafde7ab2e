/**
 * Decodes the Kubernetes protobuf request bodies kubectl sends for its typed commands
 * (`kubectl create namespace|deployment|configmap|service`, `kubectl expose`, `kubectl
 * run`): the `k8s\0` envelope (runtime.Unknown) and the fields those commands fill in,
 * turned into the JSON the rest of the emulator handles. Field numbers follow the
 * k8s.io/api generated.proto files. Go writes every non-pointer field, so zero values are
 * dropped unless the schema marks the field as a pointer (`keep`), as JSON's omitempty
 * would; any field the schema does not know fails the request with 415 instead of being
 * silently lost. Everything else (apply, patch, get) arrives as JSON.
 */
import { statusError } from './api-errors.ts'
import type { Json, JsonObject } from './json.ts'

type Scalar = 'string' | 'int' | 'bool' | 'bytes' | 'time' | 'quantity' | 'intOrString'
interface Field {
  name: string
  type: Scalar | Message | { map: Scalar | Message }
  repeated?: boolean
  /** A pointer field in Go: present means set, even when zero. */
  keep?: boolean
  /** Decoded and dropped (status of a created object is ignored anyway). */
  ignore?: boolean
}
interface Message { message: string, fields: Record<number, Field> }

const msg = (message: string, fields: Record<number, Field>): Message => ({ message, fields })
const ignored = (name: string): Field => ({ name, type: 'bytes', ignore: true })

const TYPE_META = msg('TypeMeta', { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } })

const OWNER_REFERENCE = msg('OwnerReference', {
  1: { name: 'kind', type: 'string' }, 3: { name: 'name', type: 'string' }, 4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' }, 6: { name: 'controller', type: 'bool', keep: true }, 7: { name: 'blockOwnerDeletion', type: 'bool', keep: true }
})

const OBJECT_META = msg('ObjectMeta', {
  1: { name: 'name', type: 'string' }, 2: { name: 'generateName', type: 'string' }, 3: { name: 'namespace', type: 'string' },
  4: { name: 'selfLink', type: 'string' }, 5: { name: 'uid', type: 'string' }, 6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int' }, 8: { name: 'creationTimestamp', type: 'time' }, 9: { name: 'deletionTimestamp', type: 'time' },
  10: { name: 'deletionGracePeriodSeconds', type: 'int', keep: true },
  11: { name: 'labels', type: { map: 'string' } }, 12: { name: 'annotations', type: { map: 'string' } },
  13: { name: 'ownerReferences', type: OWNER_REFERENCE, repeated: true }, 14: { name: 'finalizers', type: 'string', repeated: true },
  17: ignored('managedFields')
})

const REQUIREMENT = msg('LabelSelectorRequirement', {
  1: { name: 'key', type: 'string' }, 2: { name: 'operator', type: 'string' }, 3: { name: 'values', type: 'string', repeated: true }
})
const LABEL_SELECTOR = msg('LabelSelector', {
  1: { name: 'matchLabels', type: { map: 'string' } }, 2: { name: 'matchExpressions', type: REQUIREMENT, repeated: true }
})

const CONTAINER_PORT = msg('ContainerPort', {
  1: { name: 'name', type: 'string' }, 2: { name: 'hostPort', type: 'int' }, 3: { name: 'containerPort', type: 'int' },
  4: { name: 'protocol', type: 'string' }, 5: { name: 'hostIP', type: 'string' }
})
const ENV_VAR = msg('EnvVar', { 1: { name: 'name', type: 'string' }, 2: { name: 'value', type: 'string' } })
const RESOURCES = msg('ResourceRequirements', {
  1: { name: 'limits', type: { map: 'quantity' } }, 2: { name: 'requests', type: { map: 'quantity' } }
})
const CONTAINER = msg('Container', {
  1: { name: 'name', type: 'string' }, 2: { name: 'image', type: 'string' }, 3: { name: 'command', type: 'string', repeated: true },
  4: { name: 'args', type: 'string', repeated: true }, 5: { name: 'workingDir', type: 'string' },
  6: { name: 'ports', type: CONTAINER_PORT, repeated: true }, 7: { name: 'env', type: ENV_VAR, repeated: true },
  8: { name: 'resources', type: RESOURCES }, 13: { name: 'terminationMessagePath', type: 'string' },
  14: { name: 'imagePullPolicy', type: 'string' }, 16: { name: 'stdin', type: 'bool' }, 17: { name: 'stdinOnce', type: 'bool' },
  18: { name: 'tty', type: 'bool' }, 20: { name: 'terminationMessagePolicy', type: 'string' }
})
const POD_SECURITY_CONTEXT = msg('PodSecurityContext', {})
const POD_SPEC = msg('PodSpec', {
  2: { name: 'containers', type: CONTAINER, repeated: true }, 3: { name: 'restartPolicy', type: 'string' },
  4: { name: 'terminationGracePeriodSeconds', type: 'int', keep: true }, 5: { name: 'activeDeadlineSeconds', type: 'int', keep: true },
  6: { name: 'dnsPolicy', type: 'string' }, 7: { name: 'nodeSelector', type: { map: 'string' } },
  8: { name: 'serviceAccountName', type: 'string' }, 9: { name: 'serviceAccount', type: 'string' }, 10: { name: 'nodeName', type: 'string' },
  11: { name: 'hostNetwork', type: 'bool' }, 12: { name: 'hostPID', type: 'bool' }, 13: { name: 'hostIPC', type: 'bool' },
  14: { name: 'securityContext', type: POD_SECURITY_CONTEXT }, 16: { name: 'hostname', type: 'string' }, 17: { name: 'subdomain', type: 'string' },
  19: { name: 'schedulerName', type: 'string' }, 20: { name: 'initContainers', type: CONTAINER, repeated: true },
  21: { name: 'automountServiceAccountToken', type: 'bool', keep: true }, 24: { name: 'priorityClassName', type: 'string' },
  25: { name: 'priority', type: 'int', keep: true }, 30: { name: 'enableServiceLinks', type: 'bool', keep: true }
})
const POD_TEMPLATE = msg('PodTemplateSpec', { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: POD_SPEC } })

const KINDS: Record<string, Message> = {
  'v1/Namespace': msg('Namespace', {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'spec', type: msg('NamespaceSpec', { 1: { name: 'finalizers', type: 'string', repeated: true } }) },
    3: ignored('status')
  }),
  'v1/ConfigMap': msg('ConfigMap', {
    1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'data', type: { map: 'string' } },
    3: { name: 'binaryData', type: { map: 'bytes' } }, 4: { name: 'immutable', type: 'bool', keep: true }
  }),
  'v1/Pod': msg('Pod', { 1: { name: 'metadata', type: OBJECT_META }, 2: { name: 'spec', type: POD_SPEC }, 3: ignored('status') }),
  'v1/Service': msg('Service', {
    1: { name: 'metadata', type: OBJECT_META },
    2: {
      name: 'spec',
      type: msg('ServiceSpec', {
        1: {
          name: 'ports',
          repeated: true,
          type: msg('ServicePort', {
            1: { name: 'name', type: 'string' }, 2: { name: 'protocol', type: 'string' }, 3: { name: 'port', type: 'int' },
            4: { name: 'targetPort', type: 'intOrString' }, 5: { name: 'nodePort', type: 'int' }, 6: { name: 'appProtocol', type: 'string', keep: true }
          })
        },
        2: { name: 'selector', type: { map: 'string' } }, 3: { name: 'clusterIP', type: 'string' }, 4: { name: 'type', type: 'string' },
        5: { name: 'externalIPs', type: 'string', repeated: true }, 7: { name: 'sessionAffinity', type: 'string' },
        8: { name: 'loadBalancerIP', type: 'string' }, 9: { name: 'loadBalancerSourceRanges', type: 'string', repeated: true },
        10: { name: 'externalName', type: 'string' }, 11: { name: 'externalTrafficPolicy', type: 'string' },
        12: { name: 'healthCheckNodePort', type: 'int' }, 13: { name: 'publishNotReadyAddresses', type: 'bool' },
        17: { name: 'ipFamilyPolicy', type: 'string', keep: true }, 18: { name: 'clusterIPs', type: 'string', repeated: true },
        19: { name: 'ipFamilies', type: 'string', repeated: true }, 20: { name: 'allocateLoadBalancerNodePorts', type: 'bool', keep: true },
        21: { name: 'loadBalancerClass', type: 'string', keep: true }, 22: { name: 'internalTrafficPolicy', type: 'string', keep: true }
      })
    },
    3: ignored('status')
  }),
  'apps/v1/Deployment': msg('Deployment', {
    1: { name: 'metadata', type: OBJECT_META },
    2: {
      name: 'spec',
      type: msg('DeploymentSpec', {
        1: { name: 'replicas', type: 'int', keep: true }, 2: { name: 'selector', type: LABEL_SELECTOR }, 3: { name: 'template', type: POD_TEMPLATE },
        4: { name: 'strategy', type: msg('DeploymentStrategy', { 1: { name: 'type', type: 'string' } }) },
        5: { name: 'minReadySeconds', type: 'int' }, 6: { name: 'revisionHistoryLimit', type: 'int', keep: true },
        7: { name: 'paused', type: 'bool' }, 9: { name: 'progressDeadlineSeconds', type: 'int', keep: true }
      })
    },
    3: ignored('status')
  })
}

class Reader {
  pos = 0
  readonly buf: Uint8Array
  constructor (buf: Uint8Array) { this.buf = buf }
  done (): boolean { return this.pos >= this.buf.length }
  varint (): bigint {
    let result = 0n
    let shift = 0n
    for (;;) {
      if (this.pos >= this.buf.length) throw unreadable('truncated varint')
      const b = this.buf[this.pos++] as number
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) return result
      shift += 7n
      if (shift > 70n) throw unreadable('varint too long')
    }
  }
  bytes (): Uint8Array {
    const n = Number(this.varint())
    if (this.pos + n > this.buf.length) throw unreadable('truncated field')
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }
  skip (wireType: number): void {
    if (wireType === 0) this.varint()
    else if (wireType === 1) this.pos += 8
    else if (wireType === 2) this.bytes()
    else if (wireType === 5) this.pos += 4
    else throw unreadable(`unsupported wire type ${wireType}`)
  }
}

function unreadable (why: string): Error {
  return statusError(415, 'UnsupportedMediaType',
    `the emulator cannot read this protobuf body (${why}); send JSON or YAML instead (e.g. kubectl apply --server-side -f)`)
}

const text = new TextDecoder()

function toInt (v: bigint): number {
  return Number(BigInt.asIntN(64, v))
}

function scalar (r: Reader, type: Scalar): Json {
  switch (type) {
    case 'string': return text.decode(r.bytes())
    case 'bytes': return Buffer.from(r.bytes()).toString('base64')
    case 'int': return toInt(r.varint())
    case 'bool': return r.varint() !== 0n
    case 'quantity': {
      const inner = new Reader(r.bytes())
      let s = ''
      while (!inner.done()) {
        const key = Number(inner.varint())
        if (key >> 3 === 1) s = text.decode(inner.bytes())
        else inner.skip(key & 7)
      }
      return s
    }
    case 'time': {
      const inner = new Reader(r.bytes())
      let seconds = 0
      while (!inner.done()) {
        const key = Number(inner.varint())
        if (key >> 3 === 1) seconds = toInt(inner.varint())
        else inner.skip(key & 7)
      }
      return seconds === 0 ? null : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
    }
    case 'intOrString': {
      const inner = new Reader(r.bytes())
      let kind = 0
      let int = 0
      let str = ''
      while (!inner.done()) {
        const key = Number(inner.varint())
        if (key >> 3 === 1) kind = toInt(inner.varint())
        else if (key >> 3 === 2) int = toInt(inner.varint())
        else if (key >> 3 === 3) str = text.decode(inner.bytes())
        else inner.skip(key & 7)
      }
      return kind === 1 ? str : int
    }
  }
}

function isEmpty (v: Json): boolean {
  if (v === null || v === '' || v === 0 || v === false) return true
  if (Array.isArray(v)) return v.length === 0
  if (typeof v === 'object') return Object.keys(v).length === 0
  return false
}

function decodeValue (r: Reader, type: Field['type']): Json {
  if (typeof type === 'string') return scalar(r, type)
  if ('message' in type) return decodeMessage(r.bytes(), type)
  throw unreadable('a map entry outside a map')
}

function decodeMessage (buf: Uint8Array, schema: Message): JsonObject {
  const r = new Reader(buf)
  const out: JsonObject = {}
  const keep = new Set<string>()
  while (!r.done()) {
    const key = Number(r.varint())
    const number = key >> 3
    const wireType = key & 7
    const field = schema.fields[number]
    if (field === undefined) throw unreadable(`field ${number} of ${schema.message} is not emulated`)
    if (field.ignore === true) { r.skip(wireType); continue }
    if (typeof field.type === 'object' && 'map' in field.type) {
      const entry = new Reader(r.bytes())
      let k = ''
      let v: Json = null
      while (!entry.done()) {
        const ek = Number(entry.varint())
        if (ek >> 3 === 1) k = text.decode(entry.bytes())
        else if (ek >> 3 === 2) v = decodeValue(entry, field.type.map)
        else entry.skip(ek & 7)
      }
      const map = (out[field.name] ?? {}) as JsonObject
      map[k] = v ?? ''
      out[field.name] = map
      continue
    }
    const value = decodeValue(r, field.type)
    if (field.repeated === true) {
      const list = (out[field.name] ?? []) as Json[]
      list.push(value)
      out[field.name] = list
    } else {
      out[field.name] = value
    }
    if (field.keep === true) keep.add(field.name)
  }
  for (const [k, v] of Object.entries(out)) if (!keep.has(k) && isEmpty(v as Json)) delete out[k]
  return out
}

const MAGIC = [0x6b, 0x38, 0x73, 0x00]

/** Decodes a `k8s\0`-framed protobuf object into its JSON form (apiVersion and kind included). */
export function decodeKubeProtobuf (body: Uint8Array): JsonObject {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b)) throw unreadable('missing the k8s protobuf envelope')
  const envelope = new Reader(body.subarray(4))
  let typeMeta: JsonObject = {}
  let raw: Uint8Array | undefined
  while (!envelope.done()) {
    const key = Number(envelope.varint())
    if (key >> 3 === 1) typeMeta = decodeMessage(envelope.bytes(), TYPE_META)
    else if (key >> 3 === 2) raw = envelope.bytes()
    else envelope.skip(key & 7)
  }
  const apiVersion = String(typeMeta['apiVersion'] ?? '')
  const kind = String(typeMeta['kind'] ?? '')
  const schema = KINDS[`${apiVersion}/${kind}`]
  if (schema === undefined) throw unreadable(`${apiVersion} ${kind} bodies are only accepted as JSON`)
  return { apiVersion, kind, ...decodeMessage(raw ?? new Uint8Array(), schema) }
}
