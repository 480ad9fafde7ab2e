import { describe, expect, it } from 'vitest'
import { isKubeApiError } from '../../src/k8s/api-errors.ts'
import { decodeKubeProtobuf } from '../../src/k8s/protobuf.ts'

// A minimal protobuf writer, enough to build the bodies kubectl sends.
function varint (n: number): number[] {
  const out: number[] = []
  let v = n
  while (v > 0x7f) { out.push((v & 0x7f) | 0x80); v = Math.floor(v / 128) }
  out.push(v)
  return out
}
const bytesField = (field: number, payload: number[]): number[] => [...varint((field << 3) | 2), ...varint(payload.length), ...payload]
const str = (field: number, s: string): number[] => bytesField(field, [...Buffer.from(s)])
const int = (field: number, n: number): number[] => [...varint(field << 3), ...varint(n)]
const entry = (field: number, k: string, v: string): number[] => bytesField(field, [...str(1, k), ...str(2, v)])
function envelope (apiVersion: string, kind: string, raw: number[]): Uint8Array {
  return new Uint8Array([0x6b, 0x38, 0x73, 0x00, ...bytesField(1, [...str(1, apiVersion), ...str(2, kind)]), ...bytesField(2, raw)])
}

describe('kubernetes protobuf bodies', () => {
  it('decodes a Deployment as kubectl create sends it, dropping Go zero values but keeping pointer fields', () => {
    const meta = [...str(1, 'web'), ...str(2, ''), ...str(3, ''), ...int(7, 0), ...bytesField(8, []), ...entry(11, 'app', 'web')]
    const container = [...str(1, 'nginx'), ...str(2, 'nginx:1.27'), ...str(5, ''), ...bytesField(8, []), ...bytesField(6, [...int(3, 8080), ...str(4, '')]), ...int(16, 0)]
    const podSpec = [...bytesField(2, container), ...str(3, ''), ...str(6, ''), ...str(8, '')]
    const template = [...bytesField(1, [...str(1, ''), ...entry(11, 'app', 'web')]), ...bytesField(2, podSpec)]
    const spec = [...int(1, 0), ...bytesField(2, bytesField(1, [...str(1, 'app'), ...str(2, 'web')])), ...bytesField(3, template), ...bytesField(4, str(1, '')), ...int(5, 0)]
    const body = envelope('apps/v1', 'Deployment', [...bytesField(1, meta), ...bytesField(2, spec), ...bytesField(3, [])])
    expect(decodeKubeProtobuf(body)).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 8080 }] }] } }
      }
    })
  })

  it('decodes IntOrString ports and map-valued config data', () => {
    const port = [...str(1, 'http'), ...str(2, 'TCP'), ...int(3, 80), ...bytesField(4, [...int(1, 1), ...str(3, 'web')])]
    const svc = envelope('v1', 'Service', [...bytesField(1, str(1, 's')), ...bytesField(2, [...bytesField(1, port), ...entry(2, 'app', 'x'), ...str(4, 'ClusterIP')])])
    expect(decodeKubeProtobuf(svc)).toMatchObject({ spec: { ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'web' }], selector: { app: 'x' }, type: 'ClusterIP' } })
    const cm = envelope('v1', 'ConfigMap', [...bytesField(1, str(1, 'c')), ...entry(2, 'a', 'b'), ...entry(2, 'c', '')])
    expect(decodeKubeProtobuf(cm)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b', c: '' } })
  })

  it('refuses with 415 rather than dropping a field it does not know, or a kind it does not decode', () => {
    const unknownField = envelope('v1', 'Namespace', [...bytesField(1, str(1, 'x')), ...str(99, 'surprise')])
    const unknownKind = envelope('apps/v1', 'StatefulSet', bytesField(1, str(1, 'x')))
    for (const body of [unknownField, unknownKind, new Uint8Array([1, 2, 3, 4, 5])]) {
      try {
        decodeKubeProtobuf(body)
        expect.unreachable()
      } catch (e) {
        expect(isKubeApiError(e, 'UnsupportedMediaType')).toBe(true)
      }
    }
  })
})
