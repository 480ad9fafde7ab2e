/**
 * Member clusters through the Kubernetes API: the push driver (client-node), the
 * pull-mode agent with the site's pull driver and agent endpoint, and the shared
 * reconciler they are built on. See docs/clusters.md.
 */
export { createPushDriver, type PushDriverOptions } from './push-driver.ts'
export { createReconciler, type ReconcilerOptions, type ReconcilerStats, type ReconcilingDriver } from './reconciler.ts'
export { createPullDriver, type PullDriver, type PullDriverOptions } from './pull-driver.ts'
export { createAgentEndpoint, type AgentEndpoint, type AgentEndpointCluster, type AgentEndpointOptions } from './agent-endpoint.ts'
export { createAgent, type Agent, type AgentOptions, type AgentStatus } from './agent.ts'
export { AGENT_PATH_PREFIX, type AgentReport, type AssignmentsResponse } from './agent-protocol.ts'
export { loadKubeConfig } from './kubeconfig.ts'
export { KubeCallError, isKubeCallError, type KubeClient } from './kube-client.ts'
export { APPLIED_HASH_ANNOTATION, CREATED_NAMESPACE_ANNOTATION } from './render.ts'
