/** The Kubernetes engine's entry point for the engine factory (loaded with a dynamic import). */
export { createKubernetesDriver, KubernetesRuntimeDriver } from './kubernetes-runtime-driver.ts';
export type { KubernetesDriverSettings } from './kubernetes-runtime-driver.ts';
