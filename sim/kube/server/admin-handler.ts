/**
 * The emulator's admin endpoints (`/_emulator/...`), so another process (a test, the
 * demo, an operator) can flip fault knobs and shape the cluster:
 *   GET  /_emulator/faults                  current fault state
 *   PUT  /_emulator/faults {unreachable?, latencyMs?, notReadyNodes?}
 *   GET  /_emulator/snapshot                nodes (allocatable, allocated) and workloads
 *   POST /_emulator/nodes {name, cpu, memory, pods, gpu, ...}   add a node
 *   DELETE /_emulator/nodes/<name>          remove a node
 *   PUT  /_emulator/nodes/<name>/ready {ready: boolean}
 * Fault changes are applied after the response is sent, so turning the API unreachable
 * through the API port itself still answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { badRequest, methodNotAllowed, statusError } from '../../../src/k8s/api-errors.ts'
import type { ClusterModel, FaultState } from '../model/cluster-model.ts'
import { isPlainObject } from '../../../src/k8s/json.ts'
import type { NodeSpec } from '../model/nodes.ts'
import { decodeBody, readBody, sendError, sendJson } from '../../../src/k8s/http-io.ts'

export async function handleAdmin (req: IncomingMessage, res: ServerResponse, model: ClusterModel, path: string[]): Promise<void> {
  try {
    const method = req.method ?? 'GET'
    const body = method === 'GET' ? undefined : decodeBody(await readBody(req, 1 << 20), req.headers['content-type'] ?? 'application/json')
    const [what, name, action] = path
    if (what === 'healthz' && path.length === 1) { sendJson(res, 200, '{"ok":true}'); return }
    if (what === 'faults' && path.length === 1) {
      if (method === 'GET') { sendJson(res, 200, JSON.stringify(model.faults())); return }
      if (method !== 'PUT' && method !== 'POST' && method !== 'PATCH') throw methodNotAllowed('use GET or PUT on /_emulator/faults')
      if (!isPlainObject(body)) throw badRequest('expected a JSON object with unreachable, latencyMs and/or notReadyNodes')
      const patch = body as Partial<FaultState>
      const rest: Partial<FaultState> = {}
      if (patch.unreachable !== undefined) rest.unreachable = patch.unreachable
      if (patch.latencyMs !== undefined) rest.latencyMs = patch.latencyMs
      // Validate now (a bad value is a 400); apply the API-level knobs once the answer is out.
      if (rest.unreachable !== undefined && rest.unreachable !== false && rest.unreachable !== 'refuse' && rest.unreachable !== 'reset') {
        throw badRequest(`'unreachable' must be false, "refuse" or "reset": received ${JSON.stringify(rest.unreachable)}`)
      }
      if (rest.latencyMs !== undefined && (typeof rest.latencyMs !== 'number' || !Number.isFinite(rest.latencyMs) || rest.latencyMs < 0)) {
        throw badRequest(`'latencyMs' must be a finite non-negative number: received ${JSON.stringify(rest.latencyMs)}`)
      }
      if (patch.notReadyNodes !== undefined) {
        if (!Array.isArray(patch.notReadyNodes) || !patch.notReadyNodes.every((n) => typeof n === 'string')) throw badRequest("'notReadyNodes' must be a list of node names")
        model.setFault({ notReadyNodes: patch.notReadyNodes })
      }
      const preview = { ...model.faults(), ...rest }
      res.on('finish', () => { model.setFault(rest) })
      sendJson(res, 200, JSON.stringify(preview))
      return
    }
    if (what === 'snapshot' && path.length === 1 && method === 'GET') { sendJson(res, 200, JSON.stringify(model.snapshot())); return }
    if (what === 'nodes') {
      if (path.length === 1 && method === 'GET') { sendJson(res, 200, JSON.stringify(model.nodes())); return }
      if (path.length === 1 && method === 'POST') {
        if (!isPlainObject(body) || typeof body['name'] !== 'string') throw badRequest('expected a node spec with at least a name')
        model.addNode(body as unknown as NodeSpec)
        sendJson(res, 201, JSON.stringify(model.nodes().find((n) => n.name === body['name'])))
        return
      }
      if (path.length === 2 && name !== undefined && method === 'DELETE') { model.removeNode(name); sendJson(res, 200, '{"ok":true}'); return }
      if (path.length === 3 && name !== undefined && action === 'ready' && (method === 'PUT' || method === 'POST')) {
        if (!isPlainObject(body) || typeof body['ready'] !== 'boolean') throw badRequest('expected {"ready": true|false}')
        model.setNodeReady(name, body['ready'])
        sendJson(res, 200, JSON.stringify(model.nodes().find((n) => n.name === name)))
        return
      }
    }
    throw statusError(404, 'NotFound', `no emulator admin endpoint at /_emulator/${path.join('/')}`)
  } catch (e) {
    sendError(res, e)
  }
}
